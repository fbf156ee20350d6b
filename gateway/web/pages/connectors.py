"""Connectors: each with its plugin, public config and which secrets are set (never their
values); an admin adds one with its config as JSON (secret fields go write-only into the
secret store through the same service as the API), checks one (the plugin's own check:
reachable, host key, folders) and runs its jobs now."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin import connectors as svc
from gateway.admin.audit import audit
from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.clearinghouse.service import check_connector
from gateway.core.errors import UserError
from gateway.core.plugins import plugin_infos
from gateway.db.models import Connector
from gateway.jobs import service as jobs
from gateway.web.render import page


def _examples() -> dict[str, tuple[str, list[str]]]:
    """plugin -> (example config as JSON, its secret fields)."""
    out = {}
    for name, info in sorted(plugin_infos().items()):
        example = msgspec.to_builtins(info.example_config) if info.example_config else {}
        out[name] = (json.dumps(example, indent=1), list(info.secret_fields))
    return out


async def _listing(request: Request[Any, Any, Any], db: AsyncSession, practice_id: int,
                   **context: Any) -> Template:
    rows = []
    for c in (await db.scalars(select(Connector).where(
            Connector.practice_id == practice_id).order_by(Connector.name))).all():
        rows.append({"c": c, "secrets": await svc.secret_names(db, c.id)})
    return page(request, "connectors.html", rows=rows, examples=_examples(),
                done=request.query_params.get("done"), **context)


@get("/connectors", guards=[requires("viewer")])
async def connectors(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    return await _listing(request, db, principal.practice_id, check=None, runs=None)


@post("/connectors", guards=[requires("admin")], status_code=303)
async def add(request: Request[Any, Any, Any], db: DB, principal: Me) -> Redirect:
    form = await request.form()
    plugin, name = str(form.get("plugin") or ""), str(form.get("name") or "").strip()
    if not name:
        raise UserError("give the connector a name", where="name")
    try:
        config = json.loads(str(form.get("config") or "{}"))
    except json.JSONDecodeError as exc:
        raise UserError(f"not JSON: {exc.msg} at line {exc.lineno}", where="config") from None
    if not isinstance(config, dict):
        raise UserError("the config is a JSON object ({...})", where="config")
    conn_id = await svc.create_connector(db, principal.practice_id, plugin, name, config)
    await audit(db, practice_id=principal.practice_id, actor=principal.actor,
                user_id=principal.user_id, action="connector.create", object_type="connector",
                object_id=conn_id)
    return Redirect(f"/connectors?done={conn_id}", status_code=303)


@post("/connectors/{connector_id:int}/check", guards=[requires("admin")], status_code=200)
async def check(request: Request[Any, Any, Any], db: DB, principal: Me,
                connector_id: FromPath[int]) -> Template:
    """The plugin's check, shown on the connectors page (nothing is written)."""
    result = await check_connector(request.app.state.sessionmaker, principal.practice_id,
                                   connector_id)
    return await _listing(request, db, principal.practice_id,
                          check={"id": connector_id, **result}, runs=None)


@post("/connectors/{connector_id:int}/run", guards=[requires("admin")], status_code=200)
async def run_now(request: Request[Any, Any, Any], db: DB, principal: Me,
                  connector_id: FromPath[int]) -> Template:
    """Run now every enabled job bound to the connector, each in its own transactions."""
    conn = await svc.get_connector_row(db, principal.practice_id, connector_id)
    bound = [j for j in await jobs.list_jobs(db, principal.practice_id)
             if j.connector_id == conn.id and j.enabled]
    if not bound:
        raise UserError(f"no enabled job uses connector {conn.name!r}: add or enable one on "
                        "the Jobs page", where="connector")
    runs = [(j.id, j.name, await jobs.run_now(request.app.state.sessionmaker,
                                              principal.practice_id, j.id)) for j in bound]
    return await _listing(request, db, principal.practice_id, check=None,
                          runs={"id": conn.id, "name": conn.name, "jobs": runs,
                                "ok": all(o.status == "ok" for _, _, o in runs)})


ROUTES = [connectors, add, check, run_now]
