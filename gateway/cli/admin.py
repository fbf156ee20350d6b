"""Foundation commands: database, server, practices, locations, keys, plugins, claims."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import msgspec

from gateway.admin import practices as practice_svc
from gateway.cli._util import database_url, emit, in_session, practice_command
from gateway.core.errors import UserError
from gateway.ledger import service as claim_svc
from gateway.ledger.schemas import ClaimIn
from gateway.ledger.states import ClaimOrigin

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Migrate the database to the newest schema."""
    from gateway.db.migrate import upgrade

    upgrade(database_url(ctx))
    click.echo("database is up to date")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Serve the API only; run no scheduled jobs.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes on the one port (use PostgreSQL for more than one).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, no_scheduler: bool, workers: int) -> None:
    """Serve the admin API and tick the job scheduler until stopped."""
    import os

    import uvicorn

    from gateway.api.app import SCHEDULER_ENV, create_app
    from gateway.core.plugins import get_plugin_manager

    get_plugin_manager()  # a broken built-in plugin stops start-up here, with a clear message
    if workers == 1:
        app = create_app(database_url(ctx), scheduler=not no_scheduler)
        uvicorn.run(app, host=host, port=port, log_level="info")
        return
    # several processes: uvicorn imports the app factory in each, so settings go by environment
    url = database_url(ctx)
    if url:
        os.environ["GATEWAY_DATABASE_URL"] = url
    os.environ[SCHEDULER_ENV] = "0" if no_scheduler else "1"
    uvicorn.run("gateway.api.app:serve_app", factory=True, workers=workers, host=host,
                port=port, log_level="info")


@click.group()
def practices() -> None:
    """Practices."""


@practices.command("add")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def practices_add(ctx: click.Context, name: str, as_json: bool) -> None:
    """Add a practice."""

    practice_id = in_session(ctx, lambda s: practice_svc.create_practice(s, name))
    emit({"id": practice_id}, as_json, lambda d: f"practice {d['id']} added")


@click.group()
def locations() -> None:
    """Locations of a practice."""


@practice_command(locations, "add")
@click.argument("name")
@click.option("--code", default=None)
def locations_add(ctx: click.Context, practice_id: int, name: str, code: str | None,
                  as_json: bool) -> None:
    """Add a location to a practice."""
    location_id = in_session(ctx, lambda s: practice_svc.create_location(s, practice_id, name,
                                                                          code))
    emit({"id": location_id}, as_json, lambda d: f"location {d['id']} added")


@click.group()
def keys() -> None:
    """API keys."""


@practice_command(keys, "create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "biller", "viewer"]))
def keys_create(ctx: click.Context, practice_id: int, email: str, role: str, as_json: bool) -> None:
    """Create an API key for a user (created if new). The key is shown once."""
    key = in_session(ctx, lambda s: practice_svc.create_key(s, practice_id, email, role))
    emit({"key": key}, as_json, lambda d: d["key"])


@click.group()
def plugins() -> None:
    """Installed plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True)
def plugins_list(as_json: bool) -> None:
    """Every loaded plugin with the hooks it implements."""
    from gateway.core.plugins import get_plugin_manager, hooks_of, plugin_summaries

    pm = get_plugin_manager()
    rows = [
        {**msgspec.to_builtins(summary), "hooks": hooks_of(summary.name, pm)}
        for summary in plugin_summaries(pm)
    ]
    emit(rows, as_json, lambda rs: "\n".join(
        f"{r['name']:<22} {r['version']:<8} {'built-in' if r['builtin'] else 'third-party':<11} "
        f"{r['vendor']}  ({', '.join(r['capabilities'])})"
        for r in rs))


@click.group()
def claims() -> None:
    """Claims and their balances."""


@practice_command(claims, "import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def claims_import(ctx: click.Context, practice_id: int, file: Path, as_json: bool) -> None:
    """Create claims from a JSON array in the API's create-claim shape, or create / update
    them from a CSV, XLSX or JSON file in the canonical practice-data columns (one row per
    claim line, keyed on the PMS claim id). All of the file or nothing."""
    from gateway.cli.practice import import_kind, is_api_claims_json

    if not is_api_claims_json(file.read_bytes()):
        import_kind(ctx, "claims", practice_id, file, as_json)
        return
    try:
        items = msgspec.json.decode(file.read_bytes(), type=list[ClaimIn])
    except msgspec.ValidationError as exc:
        raise UserError(str(exc), where=str(file)) from exc
    except msgspec.DecodeError as exc:
        raise UserError(f"not JSON: {exc}", where=str(file)) from exc

    async def create(s: AsyncSession) -> list[int]:
        await practice_svc.get_practice(s, practice_id)
        return await claim_svc.create_claims(s, practice_id, items, origin=ClaimOrigin.IMPORT)

    created = in_session(ctx, create)
    emit({"created": created}, as_json, lambda d: f"{len(d['created'])} claims created")


@claims.command("show")
@click.argument("claim_id", type=int)
@click.option("--practice", "practice_id", type=int, default=None,
              help="Restrict to this practice (default: the claim's own).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def claims_show(ctx: click.Context, claim_id: int, practice_id: int | None, as_json: bool) -> None:
    """A claim with charges, payments, adjustments and balances from the ledger."""
    from gateway.ledger.models import Claim
    from gateway.ledger.schemas import ClaimOut

    async def show(s: AsyncSession) -> ClaimOut:
        pid = practice_id
        if pid is None:
            claim = await s.get(Claim, claim_id)
            if claim is None:
                raise UserError(f"no claim {claim_id}")
            pid = claim.practice_id
        return await claim_svc.show_claim(s, pid, claim_id)

    emit(in_session(ctx, show), as_json, lambda c: (
        f"claim {c.id} ({c.patient_control_number}) {c.status}: charges {c.charges}, "
        f"insurance paid {c.insurance_paid}, adjustments {c.adjustments}, patient paid "
        f"{c.patient_paid}, insurance balance {c.insurance_balance}, patient balance "
        f"{c.patient_balance}"))


def register(root: click.Group) -> None:
    for command in (db, serve, practices, locations, keys, plugins, claims):
        root.add_command(command)
