"""Posting commands: `gateway era import`, `gateway deposits list|show|post|reset|remove|report`.

`era import` joins the `era` group of the X12 commands (gateway/cli/x12.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import select

from gateway.cli._progress import progress_reporter
from gateway.cli._util import database_url, emit, run
from gateway.core.errors import UserError
from gateway.core.money import format_money
from gateway.db.engine import session_scope

if TYPE_CHECKING:
    from gateway.core.progress import OnProgress

ACTOR = "cli"


def _human_deposits(items: list[Any]) -> str:
    if not items:
        return "no deposits"
    lines = []
    for d in items:
        lines.append(
            f"{d.id:>6}  {d.type:<4} {d.status:<15} {d.posted_status:<22} {d.deposit_date}  "
            f"{d.check_trace_id or '-':<16} {format_money(d.amount):>12}  {d.payer or '-'}"
            f"{'  errors: ' + str(d.open_errors) if d.open_errors else ''}"
        )
    return "\n".join(lines)


def _list_out(items: list[Any]) -> list[dict[str, Any]]:
    import msgspec

    return [msgspec.to_builtins(d, enc_hook=_enc) for d in items]


def _enc(obj: Any) -> Any:
    from decimal import Decimal

    if isinstance(obj, Decimal):
        return format_money(obj)
    raise NotImplementedError(type(obj).__name__)


async def _practice_of(s: Any, deposit_id: int, practice_id: int | None) -> int:
    from gateway.posting.models import Deposit

    found = await s.scalar(select(Deposit.practice_id).where(Deposit.id == deposit_id))
    if found is None or (practice_id is not None and found != practice_id):
        raise UserError(f"no deposit {deposit_id}")
    return found


def _on_deposit(ctx: click.Context, deposit_id: int, practice_id: int | None,
                work: Callable[[Any, int], Awaitable[Any]]) -> Any:
    """`work(session, practice id)` on a deposit of the given practice (any when none is
    given), in one session: committed when it returns, rolled back when it raises."""
    async def go() -> Any:
        async with session_scope(database_url(ctx)) as s:
            return await work(s, await _practice_of(s, deposit_id, practice_id))

    return run(go)


@click.command("import")
@click.option("--practice", "practice_id", required=True, type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-auto-post", is_flag=True, help="Do not auto-post even if the setting says 0.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def era_import(ctx: click.Context, practice_id: int, file: Path, no_auto_post: bool,
               as_json: bool) -> None:
    """Import an 835: one deposit per payment (BPR/TRN). The same file or the same payment
    twice is blocked."""
    from gateway.admin.practices import get_practice
    from gateway.posting.era_import import import_era_file

    async def go(advance: OnProgress) -> Any:
        async with session_scope(database_url(ctx)) as s:
            await get_practice(s, practice_id)
            return await import_era_file(s, practice_id, file, owner=ACTOR,
                                         auto_post=not no_auto_post, on_progress=advance)

    with progress_reporter("era import", enabled=not as_json) as advance:
        result = run(go, advance)

    def human(r: Any) -> str:
        if r.duplicate_file:
            return f"{r.file_name}: already imported (file {r.imported_file_id}); nothing written"
        out = [f"{r.file_name}: {len(r.deposits)} deposit(s), {r.claims} claims"]
        for d in r.deposits:
            extra = f" errors: {', '.join(d.errors)}" if d.errors else ""
            out.append(f"  deposit {d.id} trace {d.check_trace_id or '-'} "
                       f"{format_money(d.amount)} {d.status}{extra}")
        if r.auto_posted:
            out.append(f"  auto-posted: {', '.join(map(str, r.auto_posted))}")
        return "\n".join(out)

    emit(result, as_json, human)


@click.group()
def deposits() -> None:
    """Insurance deposits: ERAs, manual EOBs, imports."""


def _deposit_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """A `deposits` command on one deposit: DEPOSIT_ID, --practice, --json, the context."""
    def wrap(fn: Callable[..., None]) -> click.Command:
        fn = click.pass_context(fn)
        fn = click.option("--json", "as_json", is_flag=True)(fn)
        fn = click.option("--practice", "practice_id", type=int)(fn)
        fn = click.argument("deposit_id", type=int)(fn)
        return deposits.command(name)(fn)

    return wrap


@deposits.command("list")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--status")
@click.option("--posted-status")
@click.option("--type", "type_")
@click.option("--payer")
@click.option("--trace", "check_trace_id")
@click.option("--errors", type=click.Choice(["any", "deposit", "claim", "procedure", "none"]))
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def deposits_list(ctx: click.Context, practice_id: int, limit: int, as_json: bool,
                  **options: Any) -> None:
    """Search deposits."""
    from gateway.posting.deposit_filter import DepositFilter
    from gateway.posting.search import search_deposits

    date_from, date_to = options.pop("date_from"), options.pop("date_to")
    filters = DepositFilter(
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None, type=options.pop("type_"), **options)

    async def go() -> Any:
        async with session_scope(database_url(ctx)) as s:
            return await search_deposits(s, practice_id, filters, limit=limit)

    items = run(go)
    emit(items, as_json, _human_deposits)


@_deposit_command("show")
def deposits_show(ctx: click.Context, deposit_id: int, practice_id: int | None,
                  as_json: bool) -> None:
    """A deposit with its claims, lines, adjustments and errors."""
    from gateway.posting.search import show_deposit

    detail = _on_deposit(ctx, deposit_id, practice_id,
                         lambda s, pid: show_deposit(s, pid, deposit_id))

    def human(d: Any) -> str:
        out = [_human_deposits([d.deposit]),
               f"payments {format_money(d.deposit.payments)}  adjustments "
               f"{format_money(d.deposit.adjustments)}  PLB "
               f"{format_money(d.deposit.plb_adjustments)}  exclusions "
               f"{format_money(d.deposit.exclusions)}  difference "
               f"{format_money(d.deposit.difference)}"]
        for c in d.claims:
            out.append(f"  {c.claim_xref:<20} {c.remit_status:>3} {format_money(c.charged):>10} "
                       f"{format_money(c.paid):>10}  {c.state:<9} {c.result_status or ''}")
        for e in d.errors:
            if e.resolved_at is None:
                out.append(f"  ! {e.level} {e.type}: {e.message}")
        return "\n".join(out)

    emit(detail, as_json, human)


@_deposit_command("post")
def deposits_post(ctx: click.Context, deposit_id: int, practice_id: int | None,
                  as_json: bool) -> None:
    """Send a deposit to posting."""
    from gateway.admin.audit import audit
    from gateway.posting.engine import post_deposit

    async def post(s: Any, pid: int) -> Any:
        result = await post_deposit(s, pid, deposit_id, actor=ACTOR, on_progress=advance)
        await audit(s, practice_id=pid, actor=ACTOR, action="deposit.post",
                    object_type="deposit", object_id=deposit_id,
                    detail={"posted_claims": result.posted_claims})
        return result

    with progress_reporter(f"deposit {deposit_id} post", enabled=not as_json) as advance:
        result = _on_deposit(ctx, deposit_id, practice_id, post)
    emit(result, as_json, lambda r: (
        f"deposit {r.deposit_id}: {r.posted_claims} claims posted, {r.error_claims} with "
        f"errors; {r.posted_status}"))


@_deposit_command("reset")
def deposits_reset(ctx: click.Context, deposit_id: int, practice_id: int | None,
                   as_json: bool) -> None:
    """Undo a posted deposit with compensating ledger rows."""
    from gateway.posting.reset import reset_deposit

    with progress_reporter(f"deposit {deposit_id} reset", enabled=not as_json) as advance:
        result = _on_deposit(ctx, deposit_id, practice_id, lambda s, pid: reset_deposit(
            s, pid, deposit_id, actor=ACTOR, on_progress=advance))
    emit(result, as_json, lambda r: (
        f"deposit {r.deposit_id}: {r.claims_reset} claims reset, {r.ledger_rows} ledger rows "
        "compensated"))


@_deposit_command("remove")
def deposits_remove(ctx: click.Context, deposit_id: int, practice_id: int | None,
                    as_json: bool) -> None:
    """Delete a deposit that never posted."""
    from gateway.posting.reset import remove_deposit

    _on_deposit(ctx, deposit_id, practice_id,
                lambda s, pid: remove_deposit(s, pid, deposit_id, actor=ACTOR))
    emit({"id": deposit_id, "removed": True}, as_json, lambda d: f"deposit {d['id']} removed")


@deposits.command("report")
@click.option("--practice", "practice_id", type=int,
              help="Required when the database holds several practices.")
@click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--owner")
@click.option("--status")
@click.option("--type", "type_")
@click.option("--file", "imported_file_id", type=int, help="Imported file id.")
@click.option("--xlsx", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def deposits_report(ctx: click.Context, practice_id: int | None, out: Path, as_json: bool,
                    **options: Any) -> None:
    """Write the Deposit Reconciliation workbook."""
    from gateway.db.models import Practice
    from gateway.posting.report import reconciliation_report

    date_from: dt.datetime = options["date_from"]
    date_to: dt.datetime = options["date_to"]

    async def go() -> Any:
        async with session_scope(database_url(ctx)) as s:
            pid = practice_id
            if pid is None:
                ids = (await s.scalars(select(Practice.id).limit(2))).all()
                if len(ids) != 1:
                    raise UserError("--practice is required (the database holds "
                                    f"{'no' if not ids else 'several'} practices)",
                                    where="--practice")
                pid = ids[0]
            return await reconciliation_report(
                s, pid, out, date_from=date_from.date(), date_to=date_to.date(),
                owner=options["owner"], status=options["status"], type=options["type_"],
                imported_file_id=options["imported_file_id"])

    totals = run(go)
    data = {"path": str(out), **{k: v for k, v in totals.items()}}
    emit(data, as_json, lambda d: f"{d['path']}: {d['deposits']} deposits, amount "
                                  f"{format_money(d['Amount'])}")


@deposits.command("autopost")
@click.option("--practice", "practice_id", type=int, help="Default: every practice.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def deposits_autopost(ctx: click.Context, practice_id: int | None, as_json: bool) -> None:
    """Post the ERA deposits whose auto-post delay has passed."""
    from gateway.posting.autopost import auto_post_all, post_due_deposits

    async def go() -> Any:
        async with session_scope(database_url(ctx)) as s:
            if practice_id is not None:
                return {str(practice_id): await post_due_deposits(s, practice_id, actor=ACTOR)}
            return {str(k): v for k, v in (await auto_post_all(s, actor=ACTOR)).items()}

    result = run(go)
    emit(result, as_json, lambda r: "\n".join(f"practice {k}: posted {v}" for k, v in r.items())
         or "nothing due")


def register(root: click.Group) -> None:
    from gateway.cli.x12 import era

    era.add_command(era_import)
    root.add_command(deposits)
