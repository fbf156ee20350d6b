"""Connectors: create and update validate the config against the plugin's Struct; secrets are
write-only (a response names which secrets are set, never their values)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody

from gateway.admin import connectors as svc
from gateway.admin.audit import audit
from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.params import Paging, PathId
from gateway.db.models import Connector


class ConnectorIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    plugin: Annotated[str, msgspec.Meta(min_length=1)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    config: dict[str, Any] = {}


class ConnectorUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    config: dict[str, Any] = {}
    enabled: bool | None = None


class ConnectorOut(msgspec.Struct, kw_only=True):
    id: int
    plugin: str
    name: str
    enabled: bool
    config: dict[str, Any]
    secrets_set: list[str]


async def _out(db: DB, c: Connector) -> ConnectorOut:
    return ConnectorOut(id=c.id, plugin=c.plugin, name=c.name, enabled=c.enabled,
                        config=dict(c.config), secrets_set=await svc.secret_names(db, c.id))


class ConnectorController(Controller):
    path = "/api/connectors"
    tags = ["connectors"]

    @get("/", guards=[requires("viewer")])
    async def list_connectors(self, db: DB, principal: Me,
                              page: Paging) -> OffsetPagination[ConnectorOut]:
        """The practice's connectors (secrets named, never shown)."""
        rows, total = await page.of_practice(db, Connector, principal.practice_id)
        return page.of([await _out(db, c) for c in rows], total)

    @post("/", guards=[requires("admin")])
    async def create(self, data: JSONBody[ConnectorIn], db: DB, principal: Me) -> ConnectorOut:
        """Add a connector; its config is checked against the plugin's config."""
        conn_id = await svc.create_connector(db, principal.practice_id, data.plugin, data.name,
                                             data.config)
        await audit(db, practice_id=principal.practice_id, actor=principal.actor,
                    user_id=principal.user_id, action="connector.create",
                    object_type="connector", object_id=conn_id)
        return await _out(db, await svc.get_connector_row(db, principal.practice_id, conn_id))

    @get("/{connector_id:int}", guards=[requires("viewer")])
    async def show(self, connector_id: PathId, db: DB, principal: Me) -> ConnectorOut:
        """One connector (secrets named, never shown)."""
        return await _out(db, await svc.get_connector_row(db, principal.practice_id, connector_id))

    @patch("/{connector_id:int}", guards=[requires("admin")])
    async def update(self, connector_id: PathId, data: JSONBody[ConnectorUpdate], db: DB,
                     principal: Me) -> ConnectorOut:
        """Change config keys (a secret set to null is removed; an omitted one is kept)."""
        conn = await svc.update_connector(db, principal.practice_id, connector_id, data.config)
        if data.enabled is not None:
            conn.enabled = data.enabled
        await audit(db, practice_id=principal.practice_id, actor=principal.actor,
                    user_id=principal.user_id, action="connector.update",
                    object_type="connector", object_id=conn.id,
                    detail={"fields": sorted(data.config)})
        return await _out(db, conn)


ROUTES = [ConnectorController]
