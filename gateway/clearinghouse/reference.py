"""Reference batches: a biller holds claims for review; while a reference batch is open its
claims are never batched, and closing it lets them go in the next Batch Claims run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.core.errors import NotFound, UserError
from gateway.ledger.models import Claim

from .models import ReferenceBatch, ReferenceBatchClaim


def held_claim_ids(practice_id: int) -> Select[tuple[int]]:
    """The claims in the practice's open reference batches (a subquery for `not_in`)."""
    return (
        select(ReferenceBatchClaim.claim_id)
        .join(ReferenceBatch, ReferenceBatch.id == ReferenceBatchClaim.batch_id)
        .where(ReferenceBatch.practice_id == practice_id, ReferenceBatch.status == "open")
    )


async def open_reference_batch(session: AsyncSession, practice_id: int, name: str,
                               claim_ids: list[int], *, actor: str) -> int:
    """Open a reference batch holding `claim_ids` (all of the practice, or nothing opens)."""
    if not name.strip():
        raise UserError("a reference batch needs a name", where="name")
    wanted = sorted(set(claim_ids))
    found = set((await session.scalars(select(Claim.id).where(
        Claim.practice_id == practice_id, Claim.id.in_(wanted)))).all())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise UserError(f"no claims {missing} in this practice", where="claim_ids")
    batch = ReferenceBatch(practice_id=practice_id, name=name.strip(), status="open")
    session.add(batch)
    await session.flush()
    session.add_all(ReferenceBatchClaim(batch_id=batch.id, claim_id=c) for c in wanted)
    await audit(session, practice_id=practice_id, actor=actor, action="reference_batch.open",
                object_type="reference_batch", object_id=batch.id,
                detail={"claim_ids": wanted})
    await session.flush()
    return batch.id


async def close_reference_batch(session: AsyncSession, practice_id: int, batch_id: int, *,
                                actor: str) -> ReferenceBatch:
    batch = await session.get(ReferenceBatch, batch_id)
    if batch is None or batch.practice_id != practice_id:
        raise NotFound(f"no reference batch {batch_id}")
    if batch.status != "open":
        raise UserError(f"reference batch {batch_id} is already closed", where="status")
    batch.status, batch.closed_at = "closed", dt.datetime.now(dt.UTC)
    await audit(session, practice_id=practice_id, actor=actor, action="reference_batch.close",
                object_type="reference_batch", object_id=batch.id)
    await session.flush()
    return batch
