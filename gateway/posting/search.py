"""Deposit search and the deposit detail view (totals stored on the deposit, kept by
`gateway.posting.deposit_totals` from its claims).

Totals of a deposit:
  payments        = sum of CLP04 of its claims that are not excluded
  exclusions      = sum of CLP04 of its excluded claims
  adjustments     = sum of its claims' adjustments that change balances (the claim and line
                    CAS whose payment type is a write-off or other balance adjustment, of
                    claims and lines not excluded)
  plb_adjustments = sum of its provider-level adjustments (PLB; positive reduces the payment)
  difference      = amount - (payments + exclusions - plb_adjustments)  (0 when it balances)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import NotFound
from gateway.core.money import ZERO
from gateway.db.models import Payer
from gateway.posting.deposit_filter import DepositFilter, deposit_conditions
from gateway.posting.models import (
    Deposit,
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
    PostingError,
)
from gateway.posting.queue import CLAIM_REF, error_out
from gateway.posting.schemas import (
    AdjustmentOut,
    DepositClaimOut,
    DepositDetail,
    DepositOut,
    ProcedureOut,
)


async def search_deposits(
    session: AsyncSession,
    practice_id: int,
    filters: DepositFilter | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
) -> list[DepositOut]:
    """The practice's deposits that pass `filters` (all of them without), newest first."""
    q = deposits_query(practice_id, filters or DepositFilter())
    deps = (await session.scalars(q.limit(limit).offset(offset))).all()
    return await deposits_out(session, deps)


def deposits_query(practice_id: int, filters: DepositFilter) -> Select[tuple[Deposit]]:
    """The deposit search as a query, newest first (the API pages and counts it)."""
    return (select(Deposit).where(*deposit_conditions(practice_id, filters))
            .order_by(Deposit.deposit_date.desc(), Deposit.id.desc()))


async def deposits_out(session: AsyncSession, deps: Sequence[Deposit]) -> list[DepositOut]:
    """The deposits as the lists show them: their stored totals (`deposit_totals`), payer
    names in one query, and a Statement deposit's ePayments as its payments."""
    extra: dict[int, Decimal] = defaultdict(lambda: ZERO)
    statement_ids = [d.id for d in deps if d.type == "Statement"]
    if statement_ids:  # a Statement deposit's payments are its ePayments, not claims
        from gateway.statements.deposits import statement_payment_totals

        extra.update(await statement_payment_totals(session, statement_ids))
    pids = {d.payer_id for d in deps if d.payer_id}
    payer_names: dict[int, str] = {}
    if pids:
        payer_names = {pid: name for pid, name in (await session.execute(
            select(Payer.id, Payer.name).where(Payer.id.in_(pids)))).all()}
    out = []
    for d in deps:
        payments = d.payments_total + extra[d.id]
        out.append(DepositOut(
            id=d.id, type=d.type, status=d.status, posted_status=d.posted_status,
            deposit_date=d.deposit_date, issued_date=d.issued_date, created_at=d.created_at,
            check_trace_id=d.check_trace_id, payer_id=d.payer_id,
            payer=payer_names.get(d.payer_id) if d.payer_id else d.era_payer_name,
            era_payer_name=d.era_payer_name, era_payer_id=d.era_payer_id,
            payment_method=d.payment_method, payment_type=d.payment_type, amount=d.amount,
            owner=d.owner, era_id=d.era_id, file_name=d.file_name,
            imported_file_id=d.imported_file_id, duplicate_of_id=d.duplicate_of_id,
            claims=d.claim_count, posted_claims=d.posted_claim_count,
            payments=payments, adjustments=d.adjustments_total, plb_adjustments=d.plb_total,
            exclusions=d.exclusions_total,
            difference=d.amount - (payments + d.exclusions_total - d.plb_total),
            open_errors=d.open_error_count,
        ))
    return out


CLAIM_COLUMNS = (
    "id", "sequence", "claim_xref", "claim_id", "match_method", "payer_claim_number",
    "remit_status", "charged", "paid", "allowed", "deductible", "coinsurance", "copay",
    "adjustments", "denied", "information", "patient_responsibility", "excluded", "state",
    "credit", "result_level", "result_status", "result_sub_status", "crossover_payer_name",
)
"""What `DepositClaimOut` shows of a deposit claim."""


def _adj_out(a: DepositAdjustment) -> AdjustmentOut:
    return AdjustmentOut(
        id=a.id, level=a.level, group=a.group_code, reason=a.reason, amount=a.amount,
        payment_type=a.payment_type, payment_type_source=a.payment_type_source,
        reference=a.reference, allocations=a.allocations, applied=a.applied,
        plb_claim_id=a.plb_claim_id,
    )


async def show_deposit(
    session: AsyncSession, practice_id: int, deposit_id: int, *, claim_limit: int = 1000,
    claim_offset: int = 0, with_lines: bool = True,
) -> DepositDetail:
    """A deposit with a page of its claims; `with_lines=False` leaves out the claims'
    procedures and adjustments (a list of claims that does not show them)."""
    dep = await session.scalar(  # as stored now, also when the session holds it already
        select(Deposit).where(Deposit.id == deposit_id, Deposit.practice_id == practice_id)
        .execution_options(populate_existing=True))
    if dep is None:
        raise NotFound(f"no deposit {deposit_id}")
    (summary,) = await deposits_out(session, [dep])
    dcs = (await session.execute(  # the columns shown, as plain rows (no ORM objects)
        select(*(DepositClaim.__table__.c[name] for name in CLAIM_COLUMNS))
        .where(DepositClaim.deposit_id == deposit_id)
        .order_by(DepositClaim.sequence).limit(claim_limit).offset(claim_offset)
    )).all()
    dc_ids = [dc.id for dc in dcs]
    procs: dict[int, list[DepositProcedure]] = defaultdict(list)
    adjs_by_proc: dict[int, list[DepositAdjustment]] = defaultdict(list)
    adjs_by_claim: dict[int, list[DepositAdjustment]] = defaultdict(list)
    if dc_ids and with_lines:
        for p in (await session.scalars(
            select(DepositProcedure).where(DepositProcedure.deposit_claim_id.in_(dc_ids))
            .order_by(DepositProcedure.sequence).execution_options(populate_existing=True)
        )).all():
            procs[p.deposit_claim_id].append(p)
        for a in (await session.scalars(
            select(DepositAdjustment).where(DepositAdjustment.deposit_claim_id.in_(dc_ids))
            .order_by(DepositAdjustment.id).execution_options(populate_existing=True)
        )).all():
            if a.deposit_procedure_id:
                adjs_by_proc[a.deposit_procedure_id].append(a)
            else:
                adjs_by_claim[a.deposit_claim_id].append(a)  # type: ignore[index]
    plbs = (await session.scalars(
        select(DepositAdjustment).where(DepositAdjustment.deposit_id == deposit_id,
                                        DepositAdjustment.level == "provider")
        .order_by(DepositAdjustment.id).execution_options(populate_existing=True)
    )).all()
    errs = (await session.execute(
        select(PostingError, CLAIM_REF)
        .outerjoin(DepositClaim, DepositClaim.id == PostingError.deposit_claim_id)
        .where(PostingError.deposit_id == deposit_id).order_by(PostingError.id)
        .execution_options(populate_existing=True)
    )).all()
    claims = [
        DepositClaimOut(
            id=dc.id, sequence=dc.sequence, claim_xref=dc.claim_xref, claim_id=dc.claim_id,
            match_method=dc.match_method, payer_claim_number=dc.payer_claim_number,
            remit_status=dc.remit_status, charged=dc.charged, paid=dc.paid, allowed=dc.allowed,
            deductible=dc.deductible, coinsurance=dc.coinsurance, copay=dc.copay,
            adjustments=dc.adjustments, denied=dc.denied, information=dc.information,
            patient_responsibility=dc.patient_responsibility, excluded=dc.excluded,
            state=dc.state, credit=dc.credit, result_level=dc.result_level,
            result_status=dc.result_status, result_sub_status=dc.result_sub_status,
            crossover_payer_name=dc.crossover_payer_name,
            claim_adjustments=[_adj_out(a) for a in adjs_by_claim[dc.id]],
            procedures=[
                ProcedureOut(
                    id=p.id, sequence=p.sequence, procedure_code=p.procedure_code,
                    modifiers=list(p.modifiers), original_code=p.original_code,
                    charged=p.charged, paid=p.paid, allowed=p.allowed, units=p.units,
                    claim_line_id=p.claim_line_id, excluded=p.excluded,
                    adjustments=[_adj_out(a) for a in adjs_by_proc[p.id]],
                )
                for p in procs[dc.id]
            ],
        )
        for dc in dcs
    ]
    return DepositDetail(
        deposit=summary, claims=claims, provider_adjustments=[_adj_out(a) for a in plbs],
        errors=[error_out(e, dc) for e, dc in errs],
    )
