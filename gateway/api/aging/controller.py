"""Aging uploads: a location's aging export becomes its new snapshot; past snapshots listed;
a wrong snapshot removed (its effects undone)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Annotated

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import MultipartBody, QueryParameter

from gateway.aging import service
from gateway.aging.models import AgingSnapshot
from gateway.aging.removal import RemovalResult, remove_snapshot
from gateway.aging.schemas import ImportResult
from gateway.api.auth import requires
from gateway.api.deps import DB, Me, database_url_of
from gateway.api.params import PathId
from gateway.core.errors import NotFound, UserError
from gateway.core.offload import with_session_in_process
from gateway.core.records import AgingSource

MAX_UPLOAD = 50 * 1024 * 1024
SnapshotLimit = Annotated[int, QueryParameter(ge=1, le=500, description="Snapshots, 1..500.")]


@dataclass
class AgingUpload:
    """The form: `file` (the export), optional `vendor` (else the location's connector) and
    optional `export_date` (YYYY-MM-DD; else the report's date, or today)."""

    file: UploadFile
    vendor: str | None = None
    export_date: str | None = None


class SnapshotOut(msgspec.Struct, kw_only=True):
    id: int
    location_id: int
    imported_file_id: int
    vendor: str
    export_date: dt.date
    rows: int
    balance_total: str
    claims_created: int
    claims_updated: int
    claims_completed: int
    claims_reopened: int
    payers_added: list[str]
    created_at: dt.datetime
    removed_at: dt.datetime | None = None


class AgingController(Controller):
    path = "/api/locations/{location_id:int}/aging"
    tags = ["aging"]

    @post("/", guards=[requires("biller")], request_max_body_size=MAX_UPLOAD + 1024 * 1024)
    async def upload(
        self, location_id: PathId, data: MultipartBody[AgingUpload], db: DB, principal: Me,
        state: State,
    ) -> Response[ImportResult]:
        """Import an aging export as the location's new snapshot, all or nothing. 201 when
        imported; 200 with `duplicate: true` when the same file was imported before. The
        import runs in the worker process on its own session, off the server's event loop."""
        await service.get_location(db, principal.practice_id, location_id)
        await db.rollback()  # ends the read: the worker writes on its own connection
        content = await data.file.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            raise UserError("the file is larger than 50 MB", where=data.file.filename)
        export_date = None
        if data.export_date:
            try:
                export_date = dt.date.fromisoformat(data.export_date.strip())
            except ValueError as exc:
                raise UserError(f"not a date (YYYY-MM-DD): {data.export_date!r}",
                                where="export_date") from exc
        run = partial(service.import_upload, vendor=(data.vendor or "").strip() or None,
                      export_date=export_date, actor=principal.actor, user_id=principal.user_id)
        result = await with_session_in_process(
            database_url_of(state), run, principal.practice_id, location_id,
            AgingSource(name=data.file.filename or "aging", content=content))
        return Response(result, status_code=200 if result.duplicate else 201)

    @get("/", guards=[requires("viewer")])
    async def snapshots(
        self, location_id: PathId, db: DB, principal: Me, limit: SnapshotLimit = 50
    ) -> list[SnapshotOut]:
        """The location's imported snapshots, newest first."""
        rows = await service.list_snapshots(db, principal.practice_id, location_id,
                                            limit=limit)
        return [
            SnapshotOut(
                id=s.id, location_id=s.location_id, imported_file_id=s.imported_file_id,
                vendor=s.vendor, export_date=s.export_date, rows=s.rows,
                balance_total=f"{s.balance_total:.2f}", claims_created=s.claims_created,
                claims_updated=s.claims_updated, claims_completed=s.claims_completed,
                claims_reopened=s.claims_reopened, payers_added=list(s.payers_added),
                created_at=s.created_at, removed_at=s.removed_at,
            )
            for s in rows
        ]

    @delete("/{snapshot_id:int}", guards=[requires("biller")], status_code=200)
    async def remove(self, location_id: PathId, snapshot_id: PathId, db: DB,
                     principal: Me) -> RemovalResult:
        """Remove the location's latest snapshot and undo its effects (compensating ledger
        rows; claims it created that nothing else touched are marked, never deleted)."""
        await service.get_location(db, principal.practice_id, location_id)
        snap = await db.get(AgingSnapshot, snapshot_id)
        if snap is None or snap.location_id != location_id:
            raise NotFound(f"no aging snapshot {snapshot_id} at location {location_id}")
        return await remove_snapshot(db, principal.practice_id, snapshot_id,
                                     actor=principal.actor, user_id=principal.user_id)


ROUTES = [AgingController]
