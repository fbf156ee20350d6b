"""Reference batches: a biller holds claims out of Batch Claims for review, then closes the
batch to let them go in the next run."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.clearinghouse.models import ReferenceBatch, ReferenceBatchClaim
from gateway.clearinghouse.reference import close_reference_batch, open_reference_batch
from gateway.core.errors import NotFound


class ReferenceBatchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    claim_ids: list[int]


class ReferenceBatchOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    status: str
    claim_ids: list[int]
    created_at: dt.datetime
    closed_at: dt.datetime | None


async def _out(db: DB, batch: ReferenceBatch) -> ReferenceBatchOut:
    claim_ids = (await db.scalars(select(ReferenceBatchClaim.claim_id).where(
        ReferenceBatchClaim.batch_id == batch.id).order_by(ReferenceBatchClaim.claim_id))).all()
    return ReferenceBatchOut(id=batch.id, name=batch.name, status=batch.status,
                             claim_ids=list(claim_ids), created_at=batch.created_at,
                             closed_at=batch.closed_at)


class ReferenceBatchesController(Controller):
    path = "/api/reference-batches"
    tags = ["claims"]

    @get("/", guards=[requires("viewer")])
    async def index(self, db: DB, principal: Me) -> list[ReferenceBatchOut]:
        """Index (practice-scoped; another practice's id is a 404)."""
        rows = (await db.scalars(select(ReferenceBatch).where(
            ReferenceBatch.practice_id == principal.practice_id).order_by(
            ReferenceBatch.id.desc()))).all()
        return [await _out(db, b) for b in rows]

    @post("/", guards=[requires("biller")])
    async def open(self, data: JSONBody[ReferenceBatchIn], db: DB,
                   principal: Me) -> ReferenceBatchOut:
        """Hold the claims: Batch Claims leaves them out while this batch is open."""
        batch_id = await open_reference_batch(db, principal.practice_id, data.name,
                                              data.claim_ids, actor=principal.actor)
        batch = await db.get(ReferenceBatch, batch_id)
        if batch is None:  # just flushed in this transaction: cannot happen
            raise NotFound(f"no reference batch {batch_id}")
        return await _out(db, batch)

    @post("/{batch_id:int}/close", guards=[requires("biller")], status_code=200)
    async def close(self, batch_id: FromPath[int], db: DB, principal: Me) -> ReferenceBatchOut:
        """Close (practice-scoped; another practice's id is a 404)."""
        batch = await close_reference_batch(db, principal.practice_id, batch_id,
                                            actor=principal.actor)
        return await _out(db, batch)


ROUTES = [ReferenceBatchesController]
