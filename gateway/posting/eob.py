"""Manual EOB deposits: a paper EOB (or a portal page) keyed in by a biller.

Claims and lines are named by id, so there is nothing to match. Entering the allowed amount
computes the contractual write-off CO-45 = charged - allowed; entering CO-45 computes allowed;
both entered must agree. Manual EOBs are not for take-backs: a negative payment is refused
(a reversal comes on an ERA, or is a reset of the deposit that paid).

Service-line adjustments keyed in without a group get group `SL` (the shipped rules map SL-1/2/3
to deductible/coinsurance/copay and SL-45 to the write-off).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.core.errors import UserError
from gateway.core.money import ZERO, cents, checked, format_money
from gateway.db.models import Payer
from gateway.ledger.models import Claim, ClaimLine
from gateway.posting.deposit_totals import refresh_deposit_totals
from gateway.posting.models import (
    Deposit,
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
    PostingError,
)
from gateway.posting.schemas import EobIn
from gateway.posting.vocabulary import ErrorLevel, ErrorType


def _money(value: Decimal, where: str) -> Decimal:
    """An amount of the request, held to the money rules (whole cents, bounded, finite)."""
    return checked(value, str(value), where)


Adjs = list[tuple[str, str, Decimal]]
PreparedLine = tuple[ClaimLine, Any, Decimal | None, Adjs]
Prepared = list[tuple[Claim, Any, list[PreparedLine]]]


async def create_eob_deposit(
    session: AsyncSession, practice_id: int, body: EobIn, *, actor: str,
    user_id: int | None = None,
) -> int:
    """Create a manual EOB deposit (status New); returns its id."""
    payer = await session.get(Payer, body.payer_id)
    if payer is None or payer.practice_id != practice_id:
        raise UserError(f"no payer {body.payer_id} in this practice", where="payer_id")
    amount = _money(body.amount, "amount")
    prepared = await _prepare(session, practice_id, body)
    paid_total = sum((ln_in.paid for _, _, ls in prepared for _, ln_in, _, _ in ls), ZERO)
    dep_id = await _insert_deposit(session, practice_id, body, payer.id, amount, actor)
    if paid_total != amount:
        session.add(PostingError(
            practice_id=practice_id, deposit_id=dep_id, level=ErrorLevel.DEPOSIT,
            type=ErrorType.DEPOSIT_DOES_NOT_BALANCE,
            message=f"deposit amount {format_money(amount)} but the claims paid "
                    f"{format_money(paid_total)}",
            detail={"difference": format_money(amount - paid_total)}))
    for seq, (claim, c, out_lines) in enumerate(prepared, start=1):
        await _add_claim(session, practice_id, dep_id, seq, claim, c, out_lines)
    await session.flush()
    await refresh_deposit_totals(session, [dep_id])
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="deposit.create_eob", object_type="deposit", object_id=dep_id,
                detail={"claims": len(prepared), "amount": format_money(amount)})
    return dep_id


async def _prepare(session: AsyncSession, practice_id: int, body: EobIn) -> Prepared:
    """The EOB's claims and lines, checked against the practice's claims (located errors)."""
    claim_ids = [c.claim_id for c in body.claims]
    claims = {
        c.id: c for c in (await session.scalars(
            select(Claim).where(Claim.id.in_(claim_ids), Claim.practice_id == practice_id)
        )).all()
    }
    lines = {
        ln.id: ln for ln in (await session.scalars(
            select(ClaimLine).where(ClaimLine.claim_id.in_(list(claims)))
        )).all()
    }
    prepared: Prepared = []
    seen_claims: set[int] = set()
    for i, c in enumerate(body.claims):
        where = f"claims[{i}]"
        claim = claims.get(c.claim_id)
        if claim is None:
            raise UserError(f"no claim {c.claim_id} in this practice", where=f"{where}.claim_id")
        if c.claim_id in seen_claims:
            raise UserError("the same claim twice on one EOB", where=f"{where}.claim_id")
        seen_claims.add(c.claim_id)
        out_lines = []
        used: set[int] = set()
        for n, ln_in in enumerate(c.lines):
            lw = f"{where}.lines[{n}]"
            line = lines.get(ln_in.claim_line_id)
            if line is None or line.claim_id != claim.id:
                raise UserError(f"claim line {ln_in.claim_line_id} is not a line of claim "
                                f"{claim.id}", where=f"{lw}.claim_line_id")
            if line.id in used:
                raise UserError("the same claim line twice", where=f"{lw}.claim_line_id")
            used.add(line.id)
            out_lines.append(_prepare_line(line, ln_in, lw))
        prepared.append((claim, c, out_lines))
    return prepared


def _prepare_line(line: ClaimLine, ln_in: Any, lw: str) -> PreparedLine:
    """One EOB line: its adjustments, with CO-45 from allowed (or allowed from CO-45)."""
    paid = _money(ln_in.paid, f"{lw}.paid")
    if paid < 0:
        raise UserError("a manual EOB cannot take a payment back (negative paid); "
                        "reset the deposit that paid it instead", where=f"{lw}.paid")
    adjs: Adjs = []
    co45: Decimal | None = None
    for k, a in enumerate(ln_in.adjustments):
        amt = _money(a.amount, f"{lw}.adjustments[{k}].amount")
        group = a.group.strip().upper()
        reason = a.reason.strip().upper()
        if reason == "45" and group in ("CO", "SL"):
            co45 = (co45 or ZERO) + amt
        adjs.append((group, reason, amt))
    allowed = _money(ln_in.allowed, f"{lw}.allowed") if ln_in.allowed is not None else None
    if allowed is not None:
        if allowed < 0 or allowed > line.charge:
            raise UserError(f"allowed must be between 0.00 and the charge "
                            f"{format_money(line.charge)}", where=f"{lw}.allowed")
        computed = line.charge - allowed
        if co45 is None:
            if computed:
                adjs.append(("CO", "45", computed))
        elif co45 != computed:
            raise UserError(
                f"CO-45 {format_money(co45)} disagrees with charged "
                f"{format_money(line.charge)} - allowed {format_money(allowed)} = "
                f"{format_money(computed)}", where=f"{lw}.allowed")
    elif co45 is not None:
        allowed = line.charge - co45
    return (line, ln_in, allowed, adjs)


async def _insert_deposit(session: AsyncSession, practice_id: int, body: EobIn, payer_id: int,
                          amount: Decimal, actor: str) -> int:
    """The deposit row; the same check (payer, trace, amount, date) twice is refused by the
    unique dedupe key."""
    key = None
    if body.check_trace_id:
        key = (f"EOB|{payer_id}|{body.check_trace_id.strip()}|{format_money(amount)}|"
               f"{body.deposit_date.isoformat()}")
    values = {
        "practice_id": practice_id, "type": "EOB", "status": "New",
        "posted_status": "Not Disbursed", "deposit_date": body.deposit_date,
        "issued_date": body.issued_date, "check_trace_id": body.check_trace_id,
        "payer_id": payer_id, "era_payer_name": None, "era_payer_id": None,
        "payment_method": body.payment_method, "payment_type": "Payment",
        "handling_code": None, "credit_debit": "C", "amount": amount, "plb_total": ZERO,
        "owner": actor, "imported_file_id": None, "file_sequence": None, "era_id": None,
        "file_name": None, "dedupe_key": key, "duplicate_of_id": None,
    }
    dialect = postgresql if session.bind and session.bind.dialect.name == "postgresql" else sqlite
    t = cast(Table, Deposit.__table__)
    dep_id: int | None = (await session.execute(
        dialect.insert(t).values(**values).on_conflict_do_nothing().returning(t.c.id)
    )).scalar_one_or_none()
    if dep_id is None:
        raise UserError(
            f"a deposit from this payer with check {body.check_trace_id}, amount "
            f"{format_money(amount)} and date {body.deposit_date} already exists",
            where="check_trace_id")
    return dep_id


async def _add_claim(session: AsyncSession, practice_id: int, dep_id: int, seq: int,
                     claim: Claim, c: Any, out_lines: list[PreparedLine]) -> None:
    charged = sum((line.charge for line, _, _, _ in out_lines), ZERO)
    paid = sum((ln_in.paid for _, ln_in, _, _ in out_lines), ZERO)
    allowed_vals = [al for _, _, al, _ in out_lines]
    known = [al for al in allowed_vals if al is not None]
    dc = DepositClaim(
        deposit_id=dep_id, practice_id=practice_id, sequence=seq,
        claim_xref=claim.patient_control_number or str(claim.id), claim_id=claim.id,
        match_method="manual", payer_claim_number=c.payer_claim_number,
        remit_status=c.remit_status, charged=charged, paid=cents(paid),
        patient_responsibility=ZERO,
        allowed=sum(known, ZERO) if len(known) == len(allowed_vals) else None,
        overrides={},
    )
    session.add(dc)
    await session.flush()
    for n, (line, ln_in, allowed, adjs) in enumerate(out_lines, start=1):
        proc = DepositProcedure(
            deposit_claim_id=dc.id, sequence=n, procedure_code=line.procedure_code,
            modifiers=list(line.modifiers), original_modifiers=[], units=line.units,
            charged=line.charge, paid=cents(ln_in.paid), allowed=allowed,
            service_date=line.service_date, claim_line_id=line.id, overrides={},
        )
        session.add(proc)
        await session.flush()
        if adjs:
            await session.execute(insert(DepositAdjustment), [
                {"deposit_id": dep_id, "deposit_claim_id": dc.id,
                 "deposit_procedure_id": proc.id, "level": "procedure", "group_code": g,
                 "reason": r, "amount": amt, "quantity": None, "reference": None,
                 "payment_type": None, "payment_type_source": None, "allocations": None,
                 "plb_claim_id": None, "applied": False}
                for g, r, amt in adjs
            ])
