"""Coordination of benefits for secondary and tertiary claims: the prior payer's
adjudication (loops 2320/2330A/2330B and each line's 2430, or a paper claim's boxes 9 and 29)
taken from its posted ERA, for a chunk of claims at once (one query per table, not a dozen
per claim, into Structs).

The prior claim is the same patient's claim one payer rank up for the same date of service
(and the same PMS claim id when there is one); its adjudication is its latest posted, not
reversed, deposit claim: paid amount (AMT*D), the patient's responsibility as that payer
stated it (AMT*EAF), claim-level CAS, and per line SVD/CAS/DTP*573 matched by line number.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.ledger.models import Claim, ClaimLine
from gateway.posting.models import Deposit, DepositAdjustment, DepositClaim, DepositProcedure

from .chunk import ClaimRow, CoverageRow, LineRow, PatientRow, PayerRow, read_rows

RESPONSIBILITY = {1: "P", 2: "S", 3: "T"}


class PostedRow(msgspec.Struct, gc=False):
    """A prior claim's posted deposit claim, with its deposit's adjudication date."""

    id: int
    claim_id: int | None
    paid: Decimal
    patient_responsibility: Decimal
    member_id: str | None
    adjudicated: dt.date


class AdjustmentRow(msgspec.Struct, gc=False):
    deposit_claim_id: int
    deposit_procedure_id: int | None
    level: str
    group_code: str
    reason: str
    amount: Decimal


class ProcedureRow(msgspec.Struct, gc=False):
    id: int
    deposit_claim_id: int
    claim_line_id: int | None
    procedure_code: str
    paid: Decimal
    units: Decimal | None


class _LineNumber(msgspec.Struct, gc=False):
    id: int
    line_number: int


def _cas(rows: list[AdjustmentRow]) -> tuple[Any, ...]:
    from gateway.core.x12 import writer837p as w

    return tuple(w.AdjustmentInput(a.group_code, a.reason, a.amount) for a in rows
                 if a.group_code in ("CO", "PR", "OA", "PI", "CR") and a.amount != 0)


class CobChunk:
    """What the chunk's COB claims need, loaded at once."""

    def __init__(self) -> None:
        self.priors: dict[tuple[int, int, dt.date], list[ClaimRow]] = defaultdict(list)
        self.posted: dict[int, PostedRow] = {}  # prior claim id -> its adjudication
        self.adjustments: dict[int, list[AdjustmentRow]] = defaultdict(list)
        self.procedures: dict[int, list[ProcedureRow]] = defaultdict(list)
        self.line_numbers: dict[int, int] = {}  # prior claim line id -> its line number

    @classmethod
    async def load(cls, session: AsyncSession, claims: list[ClaimRow]) -> CobChunk:
        chunk = cls()
        later = [c for c in claims if c.payer_rank > 1]
        if not later:
            return chunk
        for prior in await read_rows(
                session, ClaimRow, Claim, Claim.patient_id, {c.patient_id for c in later},
                Claim.practice_id == later[0].practice_id,
                Claim.payer_rank.in_({c.payer_rank - 1 for c in later}), order_by=(Claim.id,)):
            chunk.priors[(prior.patient_id, prior.payer_rank, prior.service_date_from)].append(
                prior)
        prior_ids = [p.id for ps in chunk.priors.values() for p in ps]
        if prior_ids:
            await chunk._load_adjudications(session, prior_ids)
        return chunk

    async def _load_adjudications(self, session: AsyncSession, prior_ids: list[int]) -> None:
        posted = (select(DepositClaim.id, DepositClaim.claim_id, DepositClaim.paid,
                         DepositClaim.patient_responsibility, DepositClaim.member_id,
                         func.coalesce(Deposit.issued_date, Deposit.deposit_date))
                  .join(Deposit, Deposit.id == DepositClaim.deposit_id)
                  .where(DepositClaim.claim_id.in_(bindparam("ids", expanding=True)),
                         DepositClaim.state == "posted",
                         DepositClaim.reversed_by_id.is_(None),
                         DepositClaim.reverses_id.is_(None))
                  .order_by(DepositClaim.id))
        for row in (await session.execute(posted, {"ids": prior_ids})).all():
            dc = PostedRow(*row)
            if dc.claim_id is not None:
                self.posted[dc.claim_id] = dc  # the latest wins
        dc_ids = [dc.id for dc in self.posted.values()]
        if not dc_ids:
            return
        for adj in await read_rows(session, AdjustmentRow, DepositAdjustment,
                                   DepositAdjustment.deposit_claim_id, dc_ids,
                                   order_by=(DepositAdjustment.id,)):
            self.adjustments[adj.deposit_claim_id].append(adj)
        for proc in await read_rows(session, ProcedureRow, DepositProcedure,
                                    DepositProcedure.deposit_claim_id, dc_ids,
                                    DepositProcedure.excluded.is_(False),
                                    order_by=(DepositProcedure.sequence,)):
            self.procedures[proc.deposit_claim_id].append(proc)
        self.line_numbers = {ln.id: ln.line_number for ln in await read_rows(
            session, _LineNumber, ClaimLine, ClaimLine.claim_id, prior_ids)}

    def prior_of(self, claim: ClaimRow) -> ClaimRow | None:
        found = self.priors.get((claim.patient_id, claim.payer_rank - 1,
                                 claim.service_date_from), [])
        if claim.pms_claim_id:
            found = [p for p in found if p.pms_claim_id == claim.pms_claim_id]
        return found[-1] if found else None

    def adjudication(self, claim: ClaimRow) -> tuple[ClaimRow, PostedRow]:
        """(the prior claim, its posted adjudication); UserError saying which is missing."""
        prior = self.prior_of(claim)
        if prior is None:
            raise UserError(f"no rank {claim.payer_rank - 1} claim for the same visit to "
                            "coordinate benefits with")
        dc = self.posted.get(prior.id)
        if dc is None:
            raise UserError(f"the prior payer's ERA for claim {prior.id} is not posted yet")
        return prior, dc


def other_payers(chunk: CobChunk, claim: ClaimRow, patient: PatientRow, lines: list[LineRow],
                 payers: dict[int, PayerRow], coverages: dict[tuple[int, int], CoverageRow]
                 ) -> tuple[tuple[Any, ...], dict[int, Any]]:
    """(the 2320 OtherPayer of the prior payer, {this claim's line id: its 2430})."""
    from gateway.core.x12 import writer837p as w

    prior, dc = chunk.adjudication(claim)
    payer = payers.get(prior.payer_id) if prior.payer_id else None
    if payer is None or not payer.payer_id:
        raise UserError(f"the prior claim {prior.id}'s payer has no clearinghouse payer id")
    coverage = coverages.get((claim.patient_id, prior.payer_rank))
    member_id = (coverage.member_id if coverage else None) or dc.member_id
    if not member_id:
        raise UserError(f"no member id for the prior coverage (rank {prior.payer_rank})")
    adjustments = chunk.adjustments.get(dc.id, [])
    other = w.OtherPayer(
        payer=w.Payer(name=payer.name, payer_id=payer.payer_id),
        subscriber=w.Person(last_name=patient.last_name or "UNKNOWN",
                            first_name=patient.first_name or "", member_id=member_id),
        responsibility=RESPONSIBILITY.get(prior.payer_rank, "P"),
        paid=dc.paid, patient_responsibility=dc.patient_responsibility,
        adjustments=_cas([a for a in adjustments if a.level == "claim"]),
        adjudication_date=dc.adjudicated,
    )
    by_number = {ln.line_number: ln for ln in lines}
    out: dict[int, Any] = {}
    for proc in chunk.procedures.get(dc.id, []):
        number = chunk.line_numbers.get(proc.claim_line_id) if proc.claim_line_id else None
        line = by_number.get(number) if number is not None else None
        if line is None:
            line = next((ln for ln in lines if ln.procedure_code == proc.procedure_code
                         and ln.id not in out), None)
        if line is None:
            continue
        out[line.id] = w.LineAdjudication(
            paid=proc.paid, units=proc.units or Decimal(1), adjudication_date=dc.adjudicated,
            adjustments=_cas([a for a in adjustments if a.deposit_procedure_id == proc.id]))
    return (other,), out
