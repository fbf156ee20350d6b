"""`gateway connectors`: add, list, set a secret, check, run an action.

    gateway connectors add --practice 1 --plugin clearinghouse_sftp --name ch --config ch.json
    gateway connectors list --practice 1 --json          (never shows secrets)
    gateway connectors set-secret ch password            (prompts without echo; or --stdin)
    gateway connectors check ch                           (connect, folders, host key, latency)
    gateway connectors run ch --action fetch-eras --json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gateway.cli._util import database_url, emit, in_session, practice_command, run
from gateway.core.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@click.group()
def connectors() -> None:
    """Connectors: a practice's configured plugins (clearinghouse, PMS, statements)."""


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise UserError(
            f"line {exc.lineno}, column {exc.colno}: {exc.msg}", where=str(path)
        ) from exc
    if not isinstance(data, dict):
        raise UserError("the config must be a JSON object", where=str(path))
    return data


@connectors.command("add")
@click.option("--practice", "practice_id", type=int, required=True)
@click.option("--plugin", required=True)
@click.option("--name", required=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="JSON file with the connector's config (secrets may be in it).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def add(ctx: click.Context, practice_id: int, plugin: str, name: str, config_path: Path,
        as_json: bool) -> None:
    """Add a connector to a practice."""
    from gateway.admin.audit import audit
    from gateway.admin.connectors import create_connector
    from gateway.admin.practices import get_practice
    from gateway.db.engine import session_scope

    config = _read_config(config_path)

    async def go() -> int:
        async with session_scope(database_url(ctx)) as s:
            await get_practice(s, practice_id)
            cid = await create_connector(s, practice_id, plugin, name, config)
            await audit(s, practice_id=practice_id, actor="cli", action="connector.add",
                        object_type="connector", object_id=cid, detail={"plugin": plugin})
            return cid

    cid = run(go)
    emit({"id": cid}, as_json, lambda d: f"connector {d['id']} added")


@practice_command(connectors, "list")
def list_(ctx: click.Context, practice_id: int, as_json: bool) -> None:
    """The practice's connectors: config without secrets, and which secrets are set."""
    from sqlalchemy import select

    from gateway.admin.connectors import secret_names
    from gateway.db.models import Connector

    async def listing(s: AsyncSession) -> list[dict[str, Any]]:
        rows = (await s.scalars(select(Connector).where(Connector.practice_id == practice_id)
                                .order_by(Connector.id))).all()
        return [{"id": c.id, "name": c.name, "plugin": c.plugin, "enabled": c.enabled,
                 "config": c.config, "secrets_set": await secret_names(s, c.id)}
                for c in rows]

    emit(in_session(ctx, listing), as_json, lambda xs: "\n".join(
        f"{c['id']:>4}  {c['name']:<24} {c['plugin']:<22} secrets: "
        f"{', '.join(c['secrets_set']) or '-'}" for c in xs) or "no connectors")


@connectors.command("set-secret")
@click.argument("name")
@click.argument("field")
@click.option("--practice", "practice_id", type=int, default=None,
              help="Needed when several practices have a connector of that name.")
@click.option("--stdin", "from_stdin", is_flag=True,
              help="Read the value from standard input (a PEM key, a password from a vault).")
@click.pass_context
def set_secret(ctx: click.Context, name: str, field: str, practice_id: int | None,
               from_stdin: bool) -> None:
    """Set one secret of a connector (a password, a private key) without echoing it."""
    from gateway.admin.audit import audit
    from gateway.admin.connectors import get_connector_row, update_connector
    from gateway.core.plugins import plugin_info
    from gateway.db.engine import session_scope

    if from_stdin:
        value = sys.stdin.read()
        value = value if "PRIVATE KEY" in value else value.rstrip("\r\n")
    else:
        value = click.prompt(f"{field} for {name}", hide_input=True, confirmation_prompt=False)
    if not value:
        raise UserError("empty value: nothing set", where=field)

    async def go() -> None:
        async with session_scope(database_url(ctx)) as s:
            row = await get_connector_row(s, practice_id, name)
            secrets = plugin_info(row.plugin).secret_fields
            if field not in secrets:
                raise UserError(f"{field!r} is not a secret of {row.plugin} "
                                f"(secrets: {', '.join(secrets) or 'none'})", where="field")
            await update_connector(s, row.practice_id, row.id, {field: value})
            await audit(s, practice_id=row.practice_id, actor="cli", action="connector.secret",
                        object_type="connector", object_id=row.id, detail={"field": field})

    run(go)
    click.echo(f"{field} set for {name}")


async def _with_sessionmaker(url: str | None, fn: Any, *args: Any) -> Any:
    from gateway.db.engine import make_engine, make_sessionmaker

    engine = make_engine(url)
    try:
        return await fn(make_sessionmaker(engine), *args)
    finally:
        await engine.dispose()


@connectors.command("check")
@click.argument("name")
@click.option("--practice", "practice_id", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def check(ctx: click.Context, name: str, practice_id: int | None, as_json: bool) -> None:
    """Connect, list the connector's folders, report the host key fingerprint and latency."""
    from gateway.clearinghouse.service import check_connector

    result = run(_with_sessionmaker, database_url(ctx), check_connector, practice_id, name)

    def human(r: dict[str, Any]) -> str:
        lines = [f"{r['connector']} ({r['plugin']}): {'ok' if r['ok'] else 'NOT OK'}"]
        if r.get("host_key_fingerprint"):
            lines.append(f"host key: {r['host_key_fingerprint']}")
        if r.get("latency_ms") is not None:
            lines.append(f"latency: {r['latency_ms']} ms")
        lines += [f"{k}: {v} file(s)" for k, v in r.get("folders", {}).items()]
        lines += [f"problem: {p}" for p in r.get("problems", [])]
        return "\n".join(lines)

    emit(result, as_json, human)
    if not result["ok"]:
        sys.exit(1)


@connectors.command("run")
@click.argument("name")
@click.option("--action", type=click.Choice(["fetch-eras", "fetch-acks", "submit-claims"]),
              required=True)
@click.option("--practice", "practice_id", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def run_action(ctx: click.Context, name: str, action: str, practice_id: int | None,
               as_json: bool) -> None:
    """Fetch ERAs / acknowledgments, or submit the ready claims, through a connector."""
    from gateway.clearinghouse.service import run_connector_action

    result = run(_with_sessionmaker, database_url(ctx), run_connector_action, practice_id, name,
                 action)

    def human(r: dict[str, Any]) -> str:
        if action == "submit-claims":
            head = (f"{r['seen']} claim(s) ready, {r['submitted']} submitted in "
                    f"{len(r['batches'])} batch(es)")
            rest = [f"skipped claim {s['claim_id']}: {s['why']}" for s in r["skipped"]]
        else:
            head = (f"seen {r['seen']}, new {r['new']}, imported {r['imported']}, "
                    f"duplicates {r['duplicates']}, failed {len(r['failed'])}")
            rest = [f"warning {w['name']}: {w['why']}" for w in r.get("warnings", [])]
        rest += [f"failed {f['name']}: {f['why']}" for f in r["failed"]]
        return "\n".join([head, *rest])

    emit(result, as_json, human)
    if result["failed"]:
        sys.exit(1)


def register(root: click.Group) -> None:
    root.add_command(connectors)
