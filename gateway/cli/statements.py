"""`gateway statement-payments`: fetch a Data Media connector's ePayment files, schedule that
hourly, the Statement ePayments view (unprocessed by default, a date range, a payment's
history), Mark Reviewed, the .xlsx export, and the statements payments are made against."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click
import msgspec

from gateway.cli._util import database_url, emit, iso_date, run
from gateway.core.errors import UserError
from gateway.db.engine import make_engine, make_sessionmaker, session_scope
from gateway.statements.schemas import PaymentSearch

T = TypeVar("T")


def _in_session(ctx: click.Context, service: Callable[..., Awaitable[T]], *args: Any,
                **kwargs: Any) -> T:
    """`service(session, *args, **kwargs)` in one transaction of the command's database."""

    async def go() -> T:
        async with session_scope(database_url(ctx)) as s:
            return await service(s, *args, **kwargs)

    return run(go)


@click.group("statement-payments")
def statement_payments() -> None:
    """Statement ePayments from Data Media: import, review, export."""


@statement_payments.command("fetch")
@click.option("--practice", "practice_id", type=int, default=None)
@click.option("--connector", required=True, help="connector id or name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def fetch(ctx: click.Context, practice_id: int | None, connector: str, as_json: bool) -> None:
    """Fetch and import the connector's waiting payment files (each file commits on its own)."""
    from gateway.statements.connector import run_connector
    from gateway.statements.schemas import RunResult

    async def go() -> RunResult:
        engine = make_engine(database_url(ctx))
        try:
            return await run_connector(make_sessionmaker(engine), practice_id, connector,
                                       actor="cli")
        finally:
            await engine.dispose()

    out = run(go)
    emit(out, as_json, lambda r: "\n".join(
        [f"{r.seen} file(s): {r.imported} imported, {r.duplicates} duplicate(s), "
         f"{r.rejected} rejected"] + [f"  {f.name}: {f.status} {f.why or ''}".rstrip()
                                      for f in r.files]))


@statement_payments.command("schedule")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--connector", required=True, help="connector id or name")
@click.option("--pattern", type=click.Choice(["minutes", "hourly", "daily"]), default="hourly",
              show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def schedule(ctx: click.Context, practice_id: int, connector: str, pattern: str,
             as_json: bool) -> None:
    """Define the connector's import_statement_payments job (hourly by default)."""
    from gateway.statements.jobs import schedule_connector

    job_id = _in_session(ctx, schedule_connector, practice_id, connector, pattern=pattern)
    emit({"id": job_id}, as_json, lambda d: f"job {d['id']} defined")


def _search(date_from: dt.date | None, date_to: dt.date | None, state: str | None,
            account: str | None, limit: int) -> PaymentSearch:
    try:
        return msgspec.convert(dict(date_from=date_from, date_to=date_to, state=state,
                                    patient_account=account, limit=limit), PaymentSearch)
    except msgspec.ValidationError as exc:
        raise UserError(str(exc)) from exc


_filters = [
    click.option("--practice", "practice_id", required=True, type=int),
    click.option("--from", "date_from", callback=iso_date, default=None,
                 help="payment date from (YYYY-MM-DD): with a range, every payment"),
    click.option("--to", "date_to", callback=iso_date, default=None),
    click.option("--state", default=None,
                 help="waiting, posted, unprocessed, not_posted or reversed"),
    click.option("--account", default=None, help="patient account"),
]


def _with_filters(fn: Any) -> Any:
    """The view's filter options on a command."""
    for option in reversed(_filters):
        fn = option(fn)
    return fn


@statement_payments.command("list")
@_with_filters
@click.option("--limit", type=int, default=500, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_payments(ctx: click.Context, practice_id: int, date_from: dt.date | None,
                  date_to: dt.date | None, state: str | None, account: str | None,
                  limit: int, as_json: bool) -> None:
    """Unprocessed payments with the reason (default), or every payment of a date range."""
    from gateway.statements import review

    f = _search(date_from, date_to, state, account, limit)

    emit(_in_session(ctx, review.search, practice_id, f), as_json, lambda rows: "\n".join(
        f"{p.id:>6} {p.transaction_id:<16} {p.status:<13} {p.state:<11} {p.amount:>10} "
        f"{p.reason or ''}" for p in rows) or "no payments")


@statement_payments.command("show")
@click.argument("payment_id", type=int)
@click.option("--practice", "practice_id", required=True, type=int)
@click.pass_context
def show(ctx: click.Context, payment_id: int, practice_id: int) -> None:
    """A payment with its status history (JSON)."""
    from gateway.statements import review

    emit(_in_session(ctx, review.show, practice_id, payment_id), True)


@statement_payments.command("review")
@click.argument("payment_ids", type=int, nargs=-1, required=True)
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--actor", default="cli", show_default=True, help="who marks them reviewed")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def mark_reviewed(ctx: click.Context, payment_ids: tuple[int, ...], practice_id: int,
                  actor: str, as_json: bool) -> None:
    """Mark Reviewed: one or many unprocessed payments (audited)."""
    from gateway.statements import review

    done = _in_session(ctx, review.mark_reviewed, practice_id, list(payment_ids), actor=actor)
    emit(done, as_json, lambda r: f"reviewed {len(r.reviewed)}, already reviewed "
                                  f"{len(r.already_reviewed)}")


@statement_payments.command("retry")
@click.argument("payment_ids", type=int, nargs=-1, required=True)
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--actor", default="cli", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def retry_payments(ctx: click.Context, payment_ids: tuple[int, ...], practice_id: int,
                   actor: str, as_json: bool) -> None:
    """Post again unprocessed payments once what stopped them is fixed (audited)."""
    from gateway.statements.retry import retry

    done = _in_session(ctx, retry, practice_id, list(payment_ids), actor=actor)
    emit(done, as_json, lambda r: f"posted {len(r.posted)}, still unprocessed "
                                  f"{len(r.still_unprocessed)}")


@statement_payments.command("export")
@_with_filters
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@click.pass_context
def export(ctx: click.Context, practice_id: int, date_from: dt.date | None,
           date_to: dt.date | None, state: str | None, account: str | None,
           out_path: str) -> None:
    """Write the view as an .xlsx workbook."""
    from gateway.statements import review

    f = _search(date_from, date_to, state, account, 10_000)

    Path(out_path).write_bytes(_in_session(ctx, review.export_xlsx, practice_id, f))
    click.echo(f"wrote {out_path}")


@statement_payments.command("add-statements")
@click.option("--practice", "practice_id", required=True, type=int)
@click.argument("json_file", type=click.File("r"))
@click.pass_context
def add_statements(ctx: click.Context, practice_id: int, json_file: IO[str]) -> None:
    """Record mailed statements (a JSON list of {statement_id, patient_account, ...})."""
    from gateway.statements.importer import record_statements
    from gateway.statements.schemas import StatementIn

    try:
        rows = msgspec.convert(json.load(json_file), list[StatementIn])
    except (ValueError, msgspec.ValidationError) as exc:
        raise UserError(str(exc), where="statements") from exc

    emit(_in_session(ctx, record_statements, practice_id, rows), True)


def register(root: click.Group) -> None:
    root.add_command(statement_payments)
