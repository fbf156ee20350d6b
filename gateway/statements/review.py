"""The Statement ePayments view: the unprocessed payments with their reasons (by default), a
date range of every payment with what it became, a payment's status history, Mark Reviewed
(one or many, audited) and the .xlsx export. `unprocessed_count` feeds the dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.core.errors import NotFound, UserError
from gateway.receipts.workbook import Sheet
from gateway.statements.models import STATES, StatementPaymentEvent, StatementPaymentRecord
from gateway.statements.schemas import (
    EventOut,
    PaymentDetail,
    PaymentOut,
    PaymentSearch,
    ReviewResult,
)

S = StatementPaymentRecord


def _queue(practice_id: int) -> list[Any]:
    return [S.practice_id == practice_id, S.state == "unprocessed", S.reviewed_at.is_(None)]


async def unprocessed_count(session: AsyncSession, practice_id: int) -> int:
    """Unprocessed payments not yet reviewed: the dashboard counter (and what opens the view)."""
    n = await session.scalar(select(func.count()).select_from(S).where(*_queue(practice_id)))
    return int(n or 0)


def _query(practice_id: int, f: PaymentSearch) -> Any:
    if f.date_from is None and f.date_to is None:
        q = select(S).where(*_queue(practice_id))
    else:
        q = select(S).where(S.practice_id == practice_id)
        if f.date_from is not None:
            q = q.where(S.paid_on >= f.date_from)
        if f.date_to is not None:
            q = q.where(S.paid_on <= f.date_to)
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise UserError("date_from is after date_to", where="date_from")
    if f.state is not None:
        if f.state not in STATES:
            raise UserError(f"unknown state {f.state!r} (one of {', '.join(STATES)})",
                            where="state")
        q = q.where(S.state == f.state)
    if f.patient_account:
        q = q.where(S.patient_account == f.patient_account.strip())
    return q.order_by(S.paid_on.desc(), S.id.desc())


def search_query(practice_id: int, f: PaymentSearch) -> Any:
    """The payment view as a query (the API counts it for the page's total)."""
    return _query(practice_id, f)


def _out(r: StatementPaymentRecord, cls: type = PaymentOut, **extra: Any) -> Any:
    return cls(
        id=r.id, transaction_id=r.transaction_id, status=r.status, state=r.state,
        reason=r.reason, patient_account=r.patient_account, patient_id=r.patient_id,
        statement_id=r.statement_id, amount=r.amount, debit=r.debit, paid_on=r.paid_on,
        settle_on=r.settle_on, method=r.method, trace_number=r.trace_number,
        receipt_id=r.receipt_id, reversal_receipt_id=r.reversal_receipt_id,
        reviewed_at=r.reviewed_at, reviewed_by=r.reviewed_by, **extra,
    )


async def search(session: AsyncSession, practice_id: int,
                 f: PaymentSearch | None = None) -> list[PaymentOut]:
    """Unprocessed and not reviewed by default; with dates, every payment of the range."""
    f = f or PaymentSearch()
    rows = await session.scalars(_query(practice_id, f).limit(f.limit).offset(f.offset)
                                 .execution_options(populate_existing=True))
    return [_out(r) for r in rows]


async def show(session: AsyncSession, practice_id: int, payment_id: int) -> PaymentDetail:
    r = await session.get(S, payment_id, populate_existing=True)
    if r is None or r.practice_id != practice_id:
        raise NotFound(f"no statement payment {payment_id}")
    events = (await session.scalars(
        select(StatementPaymentEvent).where(StatementPaymentEvent.statement_payment_id == r.id)
        .order_by(StatementPaymentEvent.id))).all()
    return _out(r, PaymentDetail, history=[EventOut(
        status=e.status, reported_on=e.reported_on, imported_file_id=e.imported_file_id,
        file_row=e.file_row, deposit_id=e.deposit_id, outcome=e.outcome, at=e.created_at)
        for e in events])


async def mark_reviewed(session: AsyncSession, practice_id: int, ids: Sequence[int], *,
                        actor: str, user_id: int | None = None) -> ReviewResult:
    """Mark unprocessed payments reviewed (who and when, audited). Another practice's id, or
    one that is not unprocessed, is refused and nothing is marked."""
    wanted = sorted(set(ids))
    rows = (await session.execute(
        select(S.id, S.state, S.reviewed_at).where(S.practice_id == practice_id,
                                                   S.id.in_(wanted)).with_for_update()
    )).all()
    found = {r.id: r for r in rows}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"no statement payment {', '.join(map(str, missing[:10]))}")
    not_queue = [i for i in wanted if found[i].state != "unprocessed"]
    if not_queue:
        raise UserError(f"statement payment {not_queue[0]} is {found[not_queue[0]].state}, not "
                        "unprocessed: only unprocessed payments are reviewed", where="ids")
    todo = [i for i in wanted if found[i].reviewed_at is None]
    now = dt.datetime.now(dt.UTC)
    if todo:
        await session.execute(update(S).where(S.id.in_(todo)).values(
            reviewed_at=now, reviewed_by=actor))
        for i in todo:
            await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                        action="statement_payment.review", object_type="statement_payment",
                        object_id=i)
    return ReviewResult(reviewed=todo, already_reviewed=[i for i in wanted if i not in todo])


EXPORT_COLUMNS = ("Payment ID", "Transaction ID", "Status", "Became", "Reason",
                  "Patient Account", "Statement ID", "Payment Date", "Settle Date", "Method",
                  "Debit", "Amount", "Receipt ID", "Reversal Receipt ID", "Reviewed At",
                  "Reviewed By")


async def export_xlsx(session: AsyncSession, practice_id: int,
                      f: PaymentSearch | None = None) -> bytes:
    """The view as an .xlsx workbook (write-only; amounts are numbers from Decimal)."""
    f = f or PaymentSearch()
    sheet = Sheet("Statement ePayments", EXPORT_COLUMNS)
    rows = await session.scalars(_query(practice_id, f).limit(f.limit).offset(f.offset))
    for r in rows:
        sheet.append([r.id, r.transaction_id, r.status, r.state, r.reason, r.patient_account,
                      r.statement_id, sheet.date(r.paid_on), sheet.date(r.settle_on), r.method,
                      "yes" if r.debit else "no", sheet.money(r.amount), r.receipt_id,
                      r.reversal_receipt_id,
                      r.reviewed_at.replace(tzinfo=None) if r.reviewed_at else None,
                      r.reviewed_by])
    return sheet.save()
