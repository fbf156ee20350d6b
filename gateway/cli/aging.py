"""`gateway aging`: parse an aging export (nothing written) or import it for a location."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from gateway.aging import service
from gateway.aging.schemas import ImportResult, ParseSummary
from gateway.cli._progress import progress_reporter
from gateway.cli._util import database_url, emit, iso_date, run
from gateway.core.errors import UserError
from gateway.core.money import format_money
from gateway.core.progress import OnProgress
from gateway.core.records import AgingContext, AgingSource, RowProblem
from gateway.db.engine import session_scope

ACTOR = "cli"


_date = iso_date


def _read(file: Path) -> AgingSource:
    try:
        return AgingSource(name=file.name, content=file.read_bytes())
    except OSError as exc:
        raise UserError(f"cannot read the file ({exc.strerror})", where=str(file)) from exc


def _with_problems(lines: list[str], problems: list[RowProblem]) -> str:
    """The summary lines, then the problems (the first 20) when there are any."""
    if problems:
        lines = [*lines, f"{len(problems)} problems:", *_problems_text(problems)]
    return "\n".join(lines)


def _problems_text(problems: list[RowProblem]) -> list[str]:
    out = []
    for p in problems[:20]:
        where = ", ".join(x for x in (f"row {p.row}" if p.row else "", p.column or "") if x)
        out.append(f"  {where}: {p.why}" if where else f"  {p.why}")
    if len(problems) > 20:
        out.append(f"  ... {len(problems) - 20} more")
    return out


def _parse_human(s: ParseSummary) -> str:
    return _with_problems([
        f"{s.rows} rows, balance total {format_money(s.balance_total)}",
        f"payers: {', '.join(s.payers) or '-'}",
    ], s.problems)


def _import_human(r: ImportResult) -> str:
    head = (
        f"file {r.file_id} already imported (snapshot {r.snapshot_id}): nothing changed"
        if r.duplicate
        else f"snapshot {r.snapshot_id} of location {r.location_id} ({r.vendor}, as of "
        f"{r.export_date})"
    )
    return _with_problems([
        head,
        f"{r.rows} rows imported ({r.rows_skipped} skipped), balance total "
        f"{format_money(r.balance_total)}",
        f"claims: {r.claims_created} created, {r.claims_updated} updated, "
        f"{r.claims_unchanged} unchanged, {r.claims_completed} completed, "
        f"{r.claims_reopened} reopened",
        f"payers added: {', '.join(r.payers_added) or '-'}",
    ], r.problems)


def _parse_shape(s: ParseSummary) -> dict[str, Any]:
    return {
        "rows": s.rows,
        "balance_total": format_money(s.balance_total),
        "payers": s.payers,
        "problems": [{"row": p.row, "column": p.column, "why": p.why} for p in s.problems],
    }


@click.group()
def aging() -> None:
    """Aging exports of the practice-management systems, one snapshot per location."""


@aging.command("parse")
@click.option("--vendor", required=True,
              help="compulink, crystalpm, officemate, revolutionehr, eyefinity")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--export-date", callback=_date, default=None, metavar="YYYY-MM-DD",
              help="Age rows without buckets as of this date "
              "(default: the report's date, or today).")
@click.option("--json", "as_json", is_flag=True)
def parse_cmd(vendor: str, file: Path, export_date: dt.date | None, as_json: bool) -> None:
    """Read FILE as VENDOR's aging report and say what it holds; nothing is written."""
    summary = service.parse_summary(vendor, _read(file), AgingContext(export_date=export_date))
    emit(_parse_shape(summary) if as_json else summary, as_json, _parse_human)


@aging.command("import")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--location", "location_id", required=True, type=int)
@click.option("--vendor", default=None,
              help="Default: the plugin of the practice's aging connector for the location.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--export-date", callback=_date, default=None, metavar="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def import_cmd(ctx: click.Context, practice_id: int, location_id: int, vendor: str | None,
               file: Path, export_date: dt.date | None, as_json: bool) -> None:
    """Import FILE as the new aging snapshot of a location (all or nothing). On a terminal,
    progress goes to stderr (never with --json or when piped)."""
    source = _read(file)

    async def go(advance: OnProgress) -> ImportResult:
        async with session_scope(database_url(ctx)) as s:
            read = await service.read_upload(s, practice_id, location_id, source,
                                             vendor=vendor, export_date=export_date)
            if isinstance(read, ImportResult):
                return read
            export, uploaded = read
            return await service.import_export(s, practice_id, location_id, export,
                                               file=uploaded, actor=ACTOR, on_progress=advance)

    with progress_reporter("aging import", enabled=not as_json) as advance:
        result = run(go, advance)
    emit(result, as_json, _import_human)


@aging.command("remove")
@click.option("--practice", "practice_id", required=True, type=int)
@click.argument("snapshot_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def remove_cmd(ctx: click.Context, practice_id: int, snapshot_id: int, as_json: bool) -> None:
    """Remove a location's latest aging snapshot and undo what it did (audited)."""
    from gateway.aging.removal import RemovalResult, remove_snapshot

    async def go() -> RemovalResult:
        async with session_scope(database_url(ctx)) as s:
            return await remove_snapshot(s, practice_id, snapshot_id, actor=ACTOR)

    emit(run(go), as_json, lambda r: (
        f"snapshot {r.snapshot_id} removed: {r.ledger_rows_reversed} ledger rows reversed, "
        f"{len(r.claims_marked_removed)} claims marked removed, {len(r.claims_reopened)} "
        f"reopened, {len(r.claims_completed_again)} completed again, {len(r.kept)} kept "
        "for review"))


def register(root: click.Group) -> None:
    root.add_command(aging)
