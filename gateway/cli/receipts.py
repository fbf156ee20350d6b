"""`gateway receipts`: import a workbook, reconcile, list and export receipts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from gateway.cli._util import database_url, emit, iso_date, run
from gateway.core.errors import UserError
from gateway.core.money import format_money
from gateway.db.engine import session_scope
from gateway.receipts import service
from gateway.receipts.importer import import_receipts
from gateway.receipts.models import STATUSES
from gateway.receipts.schemas import ImportResult, ReceiptOut, ReceiptSearch, ReconcileResult

ACTOR = "cli"


_date = iso_date


TODAY = click.option("--today", callback=_date, default=None, metavar="YYYY-MM-DD",
                     help="Run as of this date (default: today in the practice's time zone).")


@click.group()
def receipts() -> None:
    """Patient payments (receipts) and the engine that applies them to claims."""


@receipts.command("import")
@click.option("--practice", "practice_id", required=True, type=int)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--location", "location_id", type=int, default=None)
@TODAY
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def import_cmd(ctx: click.Context, practice_id: int, file: Path, location_id: int | None,
               today: dt.date | None, as_json: bool) -> None:
    """Import receipts from an .xlsx workbook (Patient ID, Statement ID, Date, Amount, Type,
    Method, Check/Trace Number, Comment) and reconcile the new ones."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read the file ({exc.strerror})", where=str(file)) from exc

    async def go() -> ImportResult:
        async with session_scope(database_url(ctx)) as s:
            return await import_receipts(s, practice_id, data, filename=file.name, actor=ACTOR,
                                         today=today, location_id=location_id)

    result = run(go)

    def human(r: Any) -> str:
        lines = [f"{r.rows} rows: {len(r.created)} imported, {len(r.duplicates)} already "
                 f"imported, {len(r.problems)} problem(s)"]
        lines += [f"row {p.row}: {p.field}: {p.message}" for p in r.problems]
        if r.reconcile is not None:
            c = r.reconcile
            lines.append(f"reconciled: {c.completed} completed, {c.hold} on hold, "
                         f"{c.error} in error")
        return "\n".join(lines)

    emit(result, as_json, human)


@receipts.command("reconcile")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--all", "all_", is_flag=True, help="Every New and Hold receipt (the nightly run).")
@click.argument("ids", nargs=-1, type=int)
@TODAY
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def reconcile_cmd(ctx: click.Context, practice_id: int, all_: bool, ids: tuple[int, ...],
                  today: dt.date | None, as_json: bool) -> None:
    """Run the engine on the given receipts, or on all of them with --all."""
    if all_ == bool(ids):
        raise UserError("give receipt ids or --all", where="reconcile")

    async def go() -> ReconcileResult:
        async with session_scope(database_url(ctx)) as s:
            if all_:
                return await service.reconcile_practice(s, practice_id, today, actor=ACTOR)
            return await service.reconcile(s, practice_id, ids, today=today, actor=ACTOR)

    result = run(go)
    emit(result, as_json, lambda r: (
        f"{r.considered} receipts: {r.completed} completed, {r.hold} on hold, {r.error} in "
        f"error ({r.unchanged} unchanged); {r.applications} applications, "
        f"${format_money(r.applied)} applied; {len(r.skipped)} skipped (not New or Hold)"))


def _search(status: tuple[str, ...], chart: str | None, date_from: dt.date | None,
            date_to: dt.date | None, limit: int) -> ReceiptSearch:
    wanted = [s for s in status]
    for s in wanted:
        if s.lower() != "all" and s not in STATUSES:
            raise click.BadParameter(f"{s!r} is not one of {', '.join(STATUSES)} or all",
                                     param_hint="--status")
    return ReceiptSearch(status=wanted or None, chart_number=chart, date_from=date_from,
                         date_to=date_to, limit=limit)


FILTERS = [
    click.option("--status", multiple=True,
                 help="Status to show (repeatable; default Error; 'all' for every status)."),
    click.option("--chart", default=None, help="Only this chart number."),
    click.option("--from", "date_from", callback=_date, default=None, metavar="YYYY-MM-DD"),
    click.option("--to", "date_to", callback=_date, default=None, metavar="YYYY-MM-DD"),
]


def _filters(f: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(FILTERS):
        f = option(f)
    return f


@receipts.command("list")
@click.option("--practice", "practice_id", required=True, type=int)
@_filters
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_cmd(ctx: click.Context, practice_id: int, status: tuple[str, ...], chart: str | None,
             date_from: dt.date | None, date_to: dt.date | None, limit: int,
             as_json: bool) -> None:
    """List receipts (default: the Error queue), newest first."""
    f = _search(status, chart, date_from, date_to, limit)

    async def go() -> list[ReceiptOut]:
        async with session_scope(database_url(ctx)) as s:
            return await service.search(s, practice_id, f)

    rows = run(go)
    emit(rows, as_json, lambda rs: "\n".join(
        f"{r.id:>8} {r.received_on} {r.status:<9} {r.patient_account or '-':<12} "
        f"{format_money(r.amount):>10} unapplied {format_money(r.unapplied):>10}  "
        f"{r.status_reason or ''}" for r in rs) or "no receipts")


@receipts.command("export")
@click.option("--practice", "practice_id", required=True, type=int)
@_filters
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def export_cmd(ctx: click.Context, practice_id: int, status: tuple[str, ...], chart: str | None,
               date_from: dt.date | None, date_to: dt.date | None, out: Path,
               as_json: bool) -> None:
    """Write the listed receipts to an .xlsx workbook."""
    f = _search(status, chart, date_from, date_to, 100_000)

    async def go() -> bytes:
        async with session_scope(database_url(ctx)) as s:
            return await service.export_xlsx(s, practice_id, f)

    data = run(go)
    out.write_bytes(data)
    emit({"file": str(out), "bytes": len(data)}, as_json, lambda d: f"wrote {d['file']}")


def register(root: click.Group) -> None:
    root.add_command(receipts)
