"""Coordination of benefits for secondary and tertiary claims: the prior payer's
adjudication (loops 2320/2330A/2330B and each line's 2430) taken from its posted ERA. The
837P builder reads a whole chunk at once (`cob_bulk`); a paper claim's boxes 9/29 use the
single-claim look-ups here.

The prior claim is the same patient's claim one payer rank up for the same date of service
(and the same PMS claim id when there is one); its adjudication is its latest posted, not
reversed, deposit claim: paid amount (AMT*D), the patient's responsibility as that payer
stated it (AMT*EAF), claim-level CAS, and per line SVD/CAS/DTP*573 matched by line number.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.ledger.models import Claim
from gateway.posting.models import DepositAdjustment, DepositClaim

RESPONSIBILITY = {1: "P", 2: "S", 3: "T"}


async def prior_claim(session: AsyncSession, claim: Claim) -> Claim | None:
    q = select(Claim).where(
        Claim.practice_id == claim.practice_id, Claim.patient_id == claim.patient_id,
        Claim.payer_rank == claim.payer_rank - 1,
        Claim.service_date_from == claim.service_date_from,
    )
    if claim.pms_claim_id:
        q = q.where(Claim.pms_claim_id == claim.pms_claim_id)
    return await session.scalar(q.order_by(Claim.id.desc()).limit(1))


async def posted_adjudication(session: AsyncSession, prior: Claim) -> DepositClaim:
    dc = await session.scalar(select(DepositClaim).where(
        DepositClaim.claim_id == prior.id, DepositClaim.state == "posted",
        DepositClaim.reversed_by_id.is_(None), DepositClaim.reverses_id.is_(None),
    ).order_by(DepositClaim.id.desc()).limit(1))
    if dc is None:
        raise UserError(f"the prior payer's ERA for claim {prior.id} is not posted yet")
    return dc


def _cas(rows: list[DepositAdjustment]) -> tuple[Any, ...]:
    from gateway.core.x12 import writer837p as w

    return tuple(w.AdjustmentInput(a.group_code, a.reason, a.amount) for a in rows
                 if a.group_code in ("CO", "PR", "OA", "PI", "CR") and a.amount != 0)
