"""`gateway accounts`: the synced PMS account balances, a sync by hand, portion edits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import click
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.cli._util import database_url, emit, run
from gateway.core.errors import UserError
from gateway.db.engine import session_scope


@click.group()
def accounts() -> None:
    """Account balances pulled from the PMS (list, show, set a portion, sync now)."""


def _command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """An `accounts` command with what every one takes: `--practice` and `--json`."""
    def make(fn: Callable[..., None]) -> click.Command:
        fn = click.option("--json", "as_json", is_flag=True)(click.pass_context(fn))
        fn = click.option("--practice", "practice_id", required=True, type=int)(fn)
        return accounts.command(name)(fn)
    return make


def _emit(ctx: click.Context, as_json: bool, human: Callable[[dict[str, Any]], str],
          call: Callable[[AsyncSession], Awaitable[Any]]) -> None:
    """Run a service in one transaction and print what it returns (JSON with --json)."""
    async def go() -> dict[str, Any]:
        async with session_scope(database_url(ctx)) as s:
            return msgspec.to_builtins(await call(s))

    emit(run(go), as_json, human)


@_command("sync")
@click.argument("connector")
def accounts_sync(ctx: click.Context, practice_id: int, connector: str, as_json: bool) -> None:
    """Pull the connector's newest balance export and apply it now."""
    from gateway.balances.service import sync_connector

    _emit(ctx, as_json, lambda d: (
        f"{d['accounts']} accounts: {d['created']} created, {d['changed']} changed, "
        f"{d['closed']} closed, {d['held']} held ({len(d['problems'])} problems)"),
        lambda s: sync_connector(s, practice_id, connector))


@_command("list")
@click.option("--bucket", type=click.Choice(["0_30", "31_60", "61_90", "91_120", "120_plus"]))
@click.option("--portion", type=click.Choice(["patient", "insurance"]))
@click.option("--location")
@click.option("--payer")
@click.option("--sort", default="account", show_default=True, help="a field; -field descends")
@click.option("--offset", type=int, default=0)
@click.option("--limit", type=int, default=50)
def accounts_list(ctx: click.Context, practice_id: int, as_json: bool, sort: str,
                  **filters: Any) -> None:
    """Open accounts, filtered, sorted, one page."""
    from gateway.balances.schemas import summary
    from gateway.balances.service import AccountFilter, list_accounts

    flt = AccountFilter(sort=sort.lstrip("-"), descending=sort.startswith("-"),
                        **{k: v for k, v in filters.items() if v is not None})

    async def page(s: AsyncSession) -> dict[str, Any]:
        total, rows = await list_accounts(s, practice_id, flt)
        return {"total": total, "items": [summary(a) for a in rows]}

    _emit(ctx, as_json, lambda d: "\n".join(
        [f"{d['total']} accounts"] + [
            f"{a['id']:>6} {a['account']:<14} {a['total']:>10} patient {a['patient_portion']}"
            f" insurance {a['insurance_portion']}" for a in d["items"]]), page)


@_command("show")
@click.argument("account_id", type=int)
def accounts_show(ctx: click.Context, practice_id: int, account_id: int, as_json: bool) -> None:
    """One account: synced and effective portions side by side, claims, edits, history."""
    from gateway.balances.service import account_view

    _emit(ctx, as_json, _human_view, lambda s: account_view(s, practice_id, account_id))


@_command("set")
@click.argument("account_id", type=int)
@click.option("--patient-portion", "patient_portion")
@click.option("--insurance-portion", "insurance_portion")
@click.option("--reason", required=True)
def accounts_set(ctx: click.Context, practice_id: int, account_id: int,
                 patient_portion: str | None, insurance_portion: str | None, reason: str,
                 as_json: bool) -> None:
    """Override the patient or insurance portion (kept until the PMS reports a new value)."""
    from gateway.balances.edits import set_portion
    from gateway.balances.service import AccountView, account_view

    values = {f: _amount(v, f) for f, v in (("patient_portion", patient_portion),
                                             ("insurance_portion", insurance_portion)) if v}
    if not values:
        raise UserError("give --patient-portion or --insurance-portion")

    async def edit(s: AsyncSession) -> AccountView:
        for field, value in values.items():
            await set_portion(s, practice_id, account_id, field=field, value=value,
                              reason=reason, actor="cli", user_id=None)
        return await account_view(s, practice_id, account_id)

    _emit(ctx, as_json, _human_view, edit)


def _amount(text: str, field: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise UserError(f"not an amount: {text!r}", where=f"--{field.replace('_', '-')}") from exc


def _human_view(d: dict[str, Any]) -> str:
    lines = [f"account {d['account']} (id {d['id']}, {d['status']}): total {d['total']}"]
    for part in ("patient_portion", "insurance_portion"):
        p = d[part]
        lines.append(f"  {part.replace('_', ' ')}: synced {p['synced']}, "
                     f"effective {p['effective']}")
    lines += [f"  claim {c['claim']} {c['service_date'] or '-'} {c['payer_name'] or '-'} "
              f"{c['balance']}" for c in d["claims"]]
    lines += [f"  edit {e['id']} {e['field']} {e['old_value']} -> {e['new_value']} "
              f"({e['status']})" for e in d["edits"]]
    return "\n".join(lines)


def register(root: click.Group) -> None:
    root.add_command(accounts)
