"""A deposit's status, set by a biller: Ignore it, or take it back to New.

An ignored deposit leaves the error queue: its open errors are closed as "deposit_ignored"
(and opened again when it is taken back to New), so the queue holds only work. A deposit can
change status while nothing of it is on the ledger: never posted, or reset since.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.core.errors import UserError
from gateway.db.base import utcnow
from gateway.posting.deposit_totals import refresh_deposit_totals
from gateway.posting.engine import get_deposit
from gateway.posting.models import Deposit, DepositClaim, PostingError
from gateway.posting.vocabulary import RESOLVED_BY_IGNORING_DEPOSIT

Status = Literal["New", "Ignore"]


async def set_deposit_status(
    session: AsyncSession, practice_id: int, deposit_id: int, status: Status, *, actor: str,
    user_id: int | None = None,
) -> Deposit:
    dep = await get_deposit(session, practice_id, deposit_id)
    posted = await session.scalar(select(DepositClaim.id).where(
        DepositClaim.deposit_id == deposit_id, DepositClaim.state == "posted").limit(1))
    if posted is not None or dep.posted_status == "Being Disbursed":
        raise UserError("a deposit with posted claims keeps its status; reset it first",
                        where="status")
    now = utcnow()
    e = PostingError
    if status == "Ignore":
        await session.execute(
            update(e).where(e.deposit_id == deposit_id, e.resolved_at.is_(None))
            .values(resolved_at=now, resolved_by=actor, resolution=RESOLVED_BY_IGNORING_DEPOSIT)
            .execution_options(synchronize_session=False))
    else:
        await session.execute(
            update(e).where(e.deposit_id == deposit_id,
                            e.resolution == RESOLVED_BY_IGNORING_DEPOSIT)
            .values(resolved_at=None, resolved_by=None, resolution=None)
            .execution_options(synchronize_session=False))
    dep.status = status
    await session.flush()
    await refresh_deposit_totals(session, [deposit_id])
    await session.refresh(dep)
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="deposit.status", object_type="deposit", object_id=deposit_id,
                detail={"status": status})
    return dep
