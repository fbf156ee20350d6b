"""`gateway accounts`: the synced PMS account balances, a sync by hand, portion edits."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import click
import msgspec

from gateway.cli._util import database_url, emit, run
from gateway.core.errors import UserError
from gateway.db.engine import session_scope


@click.group()
def accounts() -> None:
    """Account balances pulled from the PMS (list, show, set a portion, sync now)."""


@accounts.command("sync")
@click.option("--practice", "practice_id", required=True, type=int)
@click.argument("connector")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def accounts_sync(ctx: click.Context, practice_id: int, connector: str, as_json: bool) -> None:
    """Pull the connector's newest balance export and apply it now."""
    from gateway.balances.service import sync_connector

    async def go() -> dict[str, Any]:
        async with session_scope(database_url(ctx)) as s:
            return msgspec.to_builtins(await sync_connector(s, practice_id, connector))

    emit(run(go), as_json, lambda d: (
        f"{d['accounts']} accounts: {d['created']} created, {d['changed']} changed, "
        f"{d['closed']} closed, {d['held']} held ({len(d['problems'])} problems)"))


@accounts.command("list")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--bucket", type=click.Choice(["0_30", "31_60", "61_90", "91_120", "120_plus"]))
@click.option("--portion", type=click.Choice(["patient", "insurance"]))
@click.option("--location")
@click.option("--payer")
@click.option("--sort", default="account", show_default=True, help="a field; -field descends")
@click.option("--offset", type=int, default=0)
@click.option("--limit", type=int, default=50)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def accounts_list(ctx: click.Context, practice_id: int, as_json: bool, sort: str,
                  **filters: Any) -> None:
    """Open accounts, filtered, sorted, one page."""
    from gateway.balances.schemas import summary
    from gateway.balances.service import AccountFilter, list_accounts

    flt = AccountFilter(sort=sort.lstrip("-"), descending=sort.startswith("-"),
                        **{k: v for k, v in filters.items() if v is not None})

    async def go() -> dict[str, Any]:
        async with session_scope(database_url(ctx)) as s:
            total, rows = await list_accounts(s, practice_id, flt)
            return {"total": total, "items": [msgspec.to_builtins(summary(a)) for a in rows]}

    emit(run(go), as_json, lambda d: "\n".join(
        [f"{d['total']} accounts"] + [
            f"{a['id']:>6} {a['account']:<14} {a['total']:>10} patient {a['patient_portion']}"
            f" insurance {a['insurance_portion']}" for a in d["items"]]))


@accounts.command("show")
@click.option("--practice", "practice_id", required=True, type=int)
@click.argument("account_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def accounts_show(ctx: click.Context, practice_id: int, account_id: int, as_json: bool) -> None:
    """One account: synced and effective portions side by side, edits, history."""
    from gateway.balances.service import account_view

    async def go() -> dict[str, Any]:
        async with session_scope(database_url(ctx)) as s:
            return msgspec.to_builtins(await account_view(s, practice_id, account_id))

    emit(run(go), as_json, _human_view)


@accounts.command("set")
@click.option("--practice", "practice_id", required=True, type=int)
@click.argument("account_id", type=int)
@click.option("--patient-portion", "patient_portion")
@click.option("--insurance-portion", "insurance_portion")
@click.option("--reason", required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def accounts_set(ctx: click.Context, practice_id: int, account_id: int,
                 patient_portion: str | None, insurance_portion: str | None, reason: str,
                 as_json: bool) -> None:
    """Override the patient or insurance portion (kept until the PMS reports a new value)."""
    from gateway.balances.edits import set_portion
    from gateway.balances.service import account_view

    values = {f: _amount(v, f) for f, v in (("patient_portion", patient_portion),
                                             ("insurance_portion", insurance_portion)) if v}
    if not values:
        raise UserError("give --patient-portion or --insurance-portion")

    async def go() -> dict[str, Any]:
        async with session_scope(database_url(ctx)) as s:
            for field, value in values.items():
                await set_portion(s, practice_id, account_id, field=field, value=value,
                                  reason=reason, actor="cli", user_id=None)
            return msgspec.to_builtins(await account_view(s, practice_id, account_id))

    emit(run(go), as_json, _human_view)


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
