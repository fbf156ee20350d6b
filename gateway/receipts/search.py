"""The read side of receipts: search (by default the Error queue), one receipt with its
applications and history, and the search as an .xlsx workbook."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import NotFound, UserError
from gateway.core.money import ZERO, MoneyError
from gateway.db.models import Patient
from gateway.ledger.models import ClaimLine
from gateway.receipts.amounts import exact_cents
from gateway.receipts.enums import ReceiptStatus
from gateway.receipts.models import STATUSES, Receipt, ReceiptApplication, ReceiptMessage
from gateway.receipts.schemas import (
    ApplicationOut,
    MessageOut,
    ReceiptDetail,
    ReceiptOut,
    ReceiptSearch,
)
from gateway.receipts.workbook import Sheet

EXPORT_COLUMNS = ("Receipt ID", "Status", "Date", "Patient ID", "Type", "Method", "Source",
                  "Check/Trace Number", "Statement ID", "Payer", "Amount", "Applied",
                  "Unapplied", "Hold Until", "Reason", "Comment")


def _applied_subquery() -> Any:
    return (
        select(ReceiptApplication.receipt_id.label("rid"),
               func.sum(ReceiptApplication.amount).label("applied"))
        .where(ReceiptApplication.reversed_at.is_(None))
        .group_by(ReceiptApplication.receipt_id)
        .subquery()
    )


def _statuses(wanted: list[str] | None) -> list[ReceiptStatus] | None:
    """The statuses to show (None: all); UserError for one that does not exist."""
    statuses = wanted if wanted else [ReceiptStatus.ERROR]
    if [s.lower() for s in statuses] == ["all"]:
        return None
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise UserError(f"unknown status {bad[0]!r} (one of {', '.join(STATUSES)} or all)",
                        where="status")
    return [ReceiptStatus(s) for s in statuses]


def _patient_like(text: str) -> Any:
    like = f"%{text.strip().lower()}%"
    return or_(
        func.lower(Patient.last_name).like(like), func.lower(Patient.first_name).like(like),
        func.lower(func.coalesce(Patient.first_name, "") + " "
                   + func.coalesce(Patient.last_name, "")).like(like),
    )


def _search_query(practice_id: int, f: ReceiptSearch) -> Any:
    sq = _applied_subquery()
    q = (select(Receipt, sq.c.applied)
         .outerjoin(sq, sq.c.rid == Receipt.id)
         .where(Receipt.practice_id == practice_id))
    statuses = _statuses(f.status)
    if statuses is not None:
        q = q.where(Receipt.status.in_(statuses))
    if f.date_from:
        q = q.where(Receipt.received_on >= f.date_from)
    if f.date_to:
        q = q.where(Receipt.received_on <= f.date_to)
    if f.chart_number:
        q = q.where(Receipt.patient_account == f.chart_number.strip())
    if f.patient:
        q = q.join(Patient, Patient.id == Receipt.patient_id).where(_patient_like(f.patient))
    if f.payer:
        q = q.where(func.lower(Receipt.payer_name).like(f"%{f.payer.strip().lower()}%"))
    if f.amount is not None:
        try:
            q = q.where(Receipt.amount == exact_cents(f.amount))
        except MoneyError as exc:
            raise UserError(str(exc), where="amount") from exc
    if f.receipt_id is not None:
        q = q.where(Receipt.id == f.receipt_id)
    if f.type:
        q = q.where(func.lower(Receipt.type_name) == f.type.strip().lower())
    return q.order_by(Receipt.received_on.desc(), Receipt.id.desc())


def _out(r: Receipt, applied: Decimal | None, cls: type = ReceiptOut, **extra: Any) -> Any:
    applied = applied or ZERO
    if r.reversal_of_id is not None:
        applied = ZERO
    return cls(
        id=r.id, patient_id=r.patient_id, patient_account=r.patient_account,
        received_on=r.received_on, type=r.type_name, behaviour=r.behaviour, method=r.method,
        source=r.source, check_number=r.check_number, statement_id=r.statement_id,
        payer_name=r.payer_name, comment=r.comment, location_id=r.location_id,
        appointment_id=r.appointment_id, amount=r.amount, applied=applied,
        unapplied=r.amount - applied, status=r.status, status_reason=r.status_reason,
        hold_until=r.hold_until, hold_set_by=r.hold_set_by, reversal_of_id=r.reversal_of_id,
        created_by=r.created_by, created_at=r.created_at, **extra,
    )


def search_query(practice_id: int, f: ReceiptSearch) -> Any:
    """The receipt search as a query (the API counts it for a page's total)."""
    return _search_query(practice_id, f)


async def search(session: AsyncSession, practice_id: int,
                 f: ReceiptSearch | None = None) -> list[ReceiptOut]:
    """Receipts matching the filters, newest first; by default the Error queue."""
    f = f or ReceiptSearch()
    rows = await session.execute(_search_query(practice_id, f).limit(f.limit).offset(f.offset)
                                 .execution_options(populate_existing=True))
    return [_out(r, applied) for r, applied in rows]


async def show(session: AsyncSession, practice_id: int, receipt_id: int) -> ReceiptDetail:
    """One receipt with its applications (reversed ones too) and its history."""
    r = await session.get(Receipt, receipt_id, populate_existing=True)
    if r is None or r.practice_id != practice_id:
        raise NotFound(f"no receipt {receipt_id}")
    apps = (await session.execute(
        select(ReceiptApplication, ClaimLine.line_number, ClaimLine.procedure_code)
        .join(ClaimLine, ClaimLine.id == ReceiptApplication.claim_line_id)
        .where(ReceiptApplication.receipt_id == r.id).order_by(ReceiptApplication.id)
    )).all()
    msgs = (await session.scalars(
        select(ReceiptMessage).where(ReceiptMessage.receipt_id == r.id)
        .order_by(ReceiptMessage.id)
    )).all()
    applied = sum((a.amount for a, _, _ in apps if a.reversed_at is None), ZERO)
    return _out(
        r, applied, ReceiptDetail,
        applications=[ApplicationOut(
            id=a.id, claim_id=a.claim_id, claim_line_id=a.claim_line_id, line_number=n,
            procedure_code=code, amount=a.amount, credit=a.credit, applied_by=a.applied_by,
            applied_at=a.created_at, reversed_at=a.reversed_at) for a, n, code in apps],
        messages=[MessageOut(at=m.created_at, actor=m.actor, status=m.status, text=m.text)
                  for m in msgs],
    )


async def export_xlsx(session: AsyncSession, practice_id: int,
                      f: ReceiptSearch | None = None) -> bytes:
    """The search result as an .xlsx workbook (amounts as numbers with two decimals)."""
    f = f or ReceiptSearch()
    sheet = Sheet("Receipts", EXPORT_COLUMNS)
    money, date = sheet.money, sheet.date
    rows = await session.execute(_search_query(practice_id, f).limit(f.limit).offset(f.offset))
    for r, applied in rows:
        o = _out(r, applied)
        sheet.append([o.id, str(o.status), date(o.received_on), o.patient_account, o.type,
                      str(o.method), str(o.source), o.check_number, o.statement_id,
                      o.payer_name, money(o.amount), money(o.applied), money(o.unapplied),
                      date(o.hold_until), o.status_reason, o.comment])
    return sheet.save()
