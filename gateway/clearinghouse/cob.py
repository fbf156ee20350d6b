"""Coordination of benefits for secondary and tertiary 837P claims: the prior payer's
adjudication (loops 2320/2330A/2330B and each line's 2430) taken from its posted ERA.

The prior claim is the same patient's claim one payer rank up for the same date of service
(and the same PMS claim id when there is one); its adjudication is its latest posted, not
reversed, deposit claim: paid amount (AMT*D), the patient's responsibility as that payer
stated it (AMT*EAF), claim-level CAS, and per line SVD/CAS/DTP*573 matched by line number.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.db.models import Coverage, Patient, Payer
from gateway.ledger.models import Claim, ClaimLine
from gateway.posting.models import Deposit, DepositAdjustment, DepositClaim, DepositProcedure

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


async def other_payers(session: AsyncSession, claim: Claim, patient: Patient,
                       lines: list[ClaimLine]) -> tuple[tuple[Any, ...], dict[int, Any]]:
    """(the 2320 OtherPayer of the prior payer, {this claim's line id: its 2430})."""
    from gateway.core.x12 import writer837p as w

    prior = await prior_claim(session, claim)
    if prior is None:
        raise UserError(f"no rank {claim.payer_rank - 1} claim for the same visit to "
                        "coordinate benefits with")
    dc = await posted_adjudication(session, prior)
    deposit = await session.get(Deposit, dc.deposit_id)
    payer = await session.get(Payer, prior.payer_id) if prior.payer_id else None
    if payer is None or not payer.payer_id:
        raise UserError(f"the prior claim {prior.id}'s payer has no clearinghouse payer id")
    coverage = await session.scalar(select(Coverage).where(
        Coverage.patient_id == claim.patient_id, Coverage.rank == prior.payer_rank))
    member_id = (coverage.member_id if coverage else None) or dc.member_id
    if not member_id:
        raise UserError(f"no member id for the prior coverage (rank {prior.payer_rank})")
    adjudicated: dt.date = (deposit.issued_date or deposit.deposit_date) if deposit else \
        claim.service_date_from
    adjustments = list((await session.scalars(select(DepositAdjustment).where(
        DepositAdjustment.deposit_claim_id == dc.id).order_by(DepositAdjustment.id))).all())
    other = w.OtherPayer(
        payer=w.Payer(name=payer.name, payer_id=payer.payer_id),
        subscriber=w.Person(last_name=patient.last_name or "UNKNOWN",
                            first_name=patient.first_name or "", member_id=member_id),
        responsibility=RESPONSIBILITY.get(prior.payer_rank, "P"),
        paid=dc.paid, patient_responsibility=dc.patient_responsibility,
        adjustments=_cas([a for a in adjustments if a.level == "claim"]),
        adjudication_date=adjudicated,
    )
    return (other,), await _line_adjudications(session, prior, dc, lines, adjustments,
                                               adjudicated)


async def _line_adjudications(session: AsyncSession, prior: Claim, dc: DepositClaim,
                              lines: list[ClaimLine], adjustments: list[DepositAdjustment],
                              adjudicated: dt.date) -> dict[int, Any]:
    from gateway.core.x12 import writer837p as w

    procedures = (await session.scalars(select(DepositProcedure).where(
        DepositProcedure.deposit_claim_id == dc.id, DepositProcedure.excluded.is_(False)
    ).order_by(DepositProcedure.sequence))).all()
    prior_numbers = dict((await session.execute(select(ClaimLine.id, ClaimLine.line_number)
                          .where(ClaimLine.claim_id == prior.id))).tuples().all())
    by_number = {ln.line_number: ln for ln in lines}
    out: dict[int, Any] = {}
    for proc in procedures:
        number = prior_numbers.get(proc.claim_line_id) if proc.claim_line_id else None
        line = by_number.get(number) if number is not None else None
        if line is None:
            line = next((ln for ln in lines if ln.procedure_code == proc.procedure_code
                         and ln.id not in out), None)
        if line is None:
            continue
        out[line.id] = w.LineAdjudication(
            paid=proc.paid, units=proc.units or Decimal(1), adjudication_date=adjudicated,
            adjustments=_cas([a for a in adjustments if a.deposit_procedure_id == proc.id]))
    return out
