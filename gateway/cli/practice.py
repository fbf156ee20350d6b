"""Practice data commands: `gateway practice pull` (a connector's PMS exports) and
`gateway patients|coverages|appointments import` (a hand-made CSV, XLSX or JSON file in the
canonical columns); `gateway claims import` hands canonical claim files here too.

A rejected file prints its problems (with --json, `{"status": "rejected", "problems": [...]}`
on stdout) and exits 2 having written nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
import msgspec

from gateway.cli._progress import progress_reporter
from gateway.cli._util import database_url, emit, run
from gateway.core.errors import UserError

if TYPE_CHECKING:  # the database layers load only when a command runs (fast `--help`)
    from gateway.core.progress import OnProgress
    from gateway.core.records import PracticeKind
    from gateway.practice.service import PracticeDataRejected, PracticeSummary


def _human(s: PracticeSummary) -> str:
    if s.status == "already_imported":
        return f"already imported: {', '.join(s.files)} (nothing written)"
    read = ", ".join(f"{n} {k}" for k, n in s.read.items() if n)
    written = ", ".join(f"{n} {k}" for k, n in s.written.items() if n)
    return f"read {read or 'nothing new'}; written {written or 'no changes'}; " \
           f"{s.charges} charge row(s)"


def _rejected() -> type[PracticeDataRejected]:
    from gateway.practice.service import PracticeDataRejected

    return PracticeDataRejected


def _report_rejection(exc: PracticeDataRejected, as_json: bool) -> None:
    from gateway.practice.service import describe

    if as_json:
        click.echo(msgspec.json.encode({"status": "rejected", "problems": exc.problems}))
    else:
        for p in exc.problems:
            click.echo(describe(p), err=True)


def import_kind(ctx: click.Context, kind: PracticeKind, practice_id: int, file: Path,
                as_json: bool) -> None:
    """Import one canonical file of `kind` in one transaction (all or nothing)."""
    content = file.read_bytes()

    async def go(advance: OnProgress) -> PracticeSummary:
        from gateway.admin.practices import get_practice
        from gateway.db.engine import session_scope
        from gateway.practice.pull import import_file

        async with session_scope(database_url(ctx)) as s:
            await get_practice(s, practice_id)
            return await import_file(s, practice_id, kind, file.name, content, advance)

    try:
        with progress_reporter(f"{kind} import", enabled=not as_json) as advance:
            summary = run(go, advance)
    except _rejected() as exc:
        _report_rejection(exc, as_json)
        raise
    emit(summary, as_json, _human)


_IMPORT_HELP = ("Create or update {kind} from a CSV, XLSX or JSON file in the canonical "
                "columns (keyed on the PMS's ids; all of the file or, with any problem, "
                "nothing).")


def _import_options(fn: Callable[..., None]) -> Callable[..., None]:
    """The options every `<kind> import` command takes."""
    fn = click.pass_context(fn)
    fn = click.option("--json", "as_json", is_flag=True)(fn)
    fn = click.argument("file", type=click.Path(exists=True, dir_okay=False,
                                                path_type=Path))(fn)
    return click.option("--practice", "practice_id", required=True, type=int)(fn)


# One plain @click.group per kind (not made in a loop): the lazy CLI loader reads these from
# the source, so `gateway --help` lists them without importing this module.
@click.group()
def patients() -> None:
    """Patients of a practice."""


@click.group()
def coverages() -> None:
    """Coverages of a practice."""


@click.group()
def appointments() -> None:
    """Appointments of a practice."""


@patients.command("import", help=_IMPORT_HELP.format(kind="patients"))
@_import_options
def patients_import(ctx: click.Context, practice_id: int, file: Path, as_json: bool) -> None:
    import_kind(ctx, "patients", practice_id, file, as_json)


@coverages.command("import", help=_IMPORT_HELP.format(kind="coverages"))
@_import_options
def coverages_import(ctx: click.Context, practice_id: int, file: Path, as_json: bool) -> None:
    import_kind(ctx, "coverages", practice_id, file, as_json)


@appointments.command("import", help=_IMPORT_HELP.format(kind="appointments"))
@_import_options
def appointments_import(ctx: click.Context, practice_id: int, file: Path,
                        as_json: bool) -> None:
    import_kind(ctx, "appointments", practice_id, file, as_json)


@click.group()
def practice() -> None:
    """Practice data from the PMS."""


@practice.command("pull")
@click.option("--practice", "practice_id", type=int, default=None,
              help="The connector's practice (needed when --connector is a name).")
@click.option("--connector", "connector_ref", required=True, help="Connector id or name.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def practice_pull(ctx: click.Context, practice_id: int | None, connector_ref: str,
                  as_json: bool) -> None:
    """Pull the PMS's newest complete exports through a connector and write them (one
    transaction; a pull with any problem writes nothing)."""
    ref: int | str = int(connector_ref) if connector_ref.isdigit() else connector_ref
    if isinstance(ref, str) and practice_id is None:
        raise UserError("a connector name needs --practice", where="--connector")

    async def go(advance: OnProgress) -> PracticeSummary:
        from gateway.db.engine import session_scope
        from gateway.practice.pull import pull_connector

        async with session_scope(database_url(ctx)) as s:
            return await pull_connector(s, practice_id, ref, advance)

    try:
        with progress_reporter("practice pull", enabled=not as_json) as advance:
            summary = run(go, advance)
    except _rejected() as exc:
        _report_rejection(exc, as_json)
        raise
    emit(summary, as_json, _human)


def is_api_claims_json(content: bytes) -> bool:
    """A JSON array in the API's create-claim shape (objects with a nested `patient`), as
    `gateway claims import` always read; anything else is a canonical claims file."""
    try:
        items = msgspec.json.decode(content)
    except msgspec.DecodeError:
        return False
    return isinstance(items, list) and any(isinstance(i, dict) and "patient" in i for i in items)


def register(root: click.Group) -> None:
    for command in (practice, patients, coverages, appointments):
        root.add_command(command)
