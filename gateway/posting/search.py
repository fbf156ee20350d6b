"""Deposit search and the deposit detail view (totals computed from the deposit's claims).

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

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import ZERO
from gateway.db.models import Payer
from gateway.posting.deposit_filter import DepositFilter, deposit_conditions
from gateway.posting.engine import get_deposit
from gateway.posting.models import (
    Deposit,
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
    PostingError,
)
from gateway.posting.queue import error_out
from gateway.posting.rules import BALANCE_TYPES
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
    ids = [d.id for d in deps]
    paid: dict[tuple[int, bool], Decimal] = defaultdict(lambda: ZERO)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    open_errors: dict[int, int] = defaultdict(int)
    payer_names: dict[int, str] = {}
    adjusted = await _balance_adjustments(session, ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for dep_id, excluded, total in (await session.execute(
            select(DepositClaim.deposit_id, DepositClaim.excluded, func.sum(DepositClaim.paid))
            .where(DepositClaim.deposit_id.in_(chunk))
            .group_by(DepositClaim.deposit_id, DepositClaim.excluded)
        )).all():
            paid[(dep_id, bool(excluded))] = total or ZERO
        for dep_id, state, n in (await session.execute(
            select(DepositClaim.deposit_id, DepositClaim.state, func.count())
            .where(DepositClaim.deposit_id.in_(chunk))
            .group_by(DepositClaim.deposit_id, DepositClaim.state)
        )).all():
            counts[dep_id][state] = n
        for dep_id, n in (await session.execute(
            select(PostingError.deposit_id, func.count())
            .where(PostingError.deposit_id.in_(chunk), PostingError.resolved_at.is_(None))
            .group_by(PostingError.deposit_id)
        )).all():
            open_errors[dep_id] = n
    statement_ids = [d.id for d in deps if d.type == "Statement"]
    if statement_ids:  # a Statement deposit's payments are its ePayments, not claims
        from gateway.statements.deposits import statement_payment_totals

        for dep_id, total in (await statement_payment_totals(session, statement_ids)).items():
            paid[(dep_id, False)] += total
    pids = {d.payer_id for d in deps if d.payer_id}
    if pids:
        payer_names = {pid: name for pid, name in (await session.execute(
            select(Payer.id, Payer.name).where(Payer.id.in_(pids)))).all()}
    out = []
    for d in deps:
        payments = paid[(d.id, False)]
        exclusions = paid[(d.id, True)]
        out.append(DepositOut(
            id=d.id, type=d.type, status=d.status, posted_status=d.posted_status,
            deposit_date=d.deposit_date, issued_date=d.issued_date, created_at=d.created_at,
            check_trace_id=d.check_trace_id, payer_id=d.payer_id,
            payer=payer_names.get(d.payer_id) if d.payer_id else d.era_payer_name,
            era_payer_name=d.era_payer_name, era_payer_id=d.era_payer_id,
            payment_method=d.payment_method, payment_type=d.payment_type, amount=d.amount,
            owner=d.owner, era_id=d.era_id, file_name=d.file_name,
            imported_file_id=d.imported_file_id, duplicate_of_id=d.duplicate_of_id,
            claims=sum(counts[d.id].values()), posted_claims=counts[d.id].get("posted", 0),
            payments=payments, adjustments=adjusted[d.id], plb_adjustments=d.plb_total,
            exclusions=exclusions,
            difference=d.amount - (payments + exclusions - d.plb_total),
            open_errors=open_errors[d.id],
        ))
    return out


async def _balance_adjustments(session: AsyncSession, ids: list[int]) -> dict[int, Decimal]:
    """Per deposit: its claim and line adjustments that change balances (not excluded)."""
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    a, dc, p = DepositAdjustment, DepositClaim, DepositProcedure
    for i in range(0, len(ids), 500):
        q = (
            select(a.deposit_id, func.sum(a.amount))
            .join(dc, dc.id == a.deposit_claim_id)
            .outerjoin(p, p.id == a.deposit_procedure_id)
            .where(a.deposit_id.in_(ids[i : i + 500]), a.payment_type.in_(BALANCE_TYPES),
                   dc.excluded.is_(False), or_(p.id.is_(None), p.excluded.is_(False)))
            .group_by(a.deposit_id)
        )
        for dep_id, total in (await session.execute(q)).all():
            out[dep_id] = total or ZERO
    return out


def _adj_out(a: DepositAdjustment) -> AdjustmentOut:
    return AdjustmentOut(
        id=a.id, level=a.level, group=a.group_code, reason=a.reason, amount=a.amount,
        payment_type=a.payment_type, payment_type_source=a.payment_type_source,
        reference=a.reference, allocations=a.allocations, applied=a.applied,
        plb_claim_id=a.plb_claim_id,
    )


async def show_deposit(
    session: AsyncSession, practice_id: int, deposit_id: int, *, claim_limit: int = 1000,
    claim_offset: int = 0,
) -> DepositDetail:
    dep = await get_deposit(session, practice_id, deposit_id)
    await session.refresh(dep)
    (summary,) = await deposits_out(session, [dep])
    dcs = (await session.scalars(
        select(DepositClaim).where(DepositClaim.deposit_id == deposit_id)
        .order_by(DepositClaim.sequence).limit(claim_limit).offset(claim_offset)
        .execution_options(populate_existing=True)
    )).all()
    dc_ids = [dc.id for dc in dcs]
    procs: dict[int, list[DepositProcedure]] = defaultdict(list)
    adjs_by_proc: dict[int, list[DepositAdjustment]] = defaultdict(list)
    adjs_by_claim: dict[int, list[DepositAdjustment]] = defaultdict(list)
    if dc_ids:
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
        select(PostingError, DepositClaim)
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
