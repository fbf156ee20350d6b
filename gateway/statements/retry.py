"""Post again: once a biller fixed what stopped a payment (the patient added, the statement
recorded, auto-post turned on), the payments named are tried again with today's data.

Only an unprocessed payment whose newest status posts (Settled, or Posted where the practice
posts it) and that has no receipt yet is tried; it posts exactly as an import would, or stays
unprocessed with the (new) reason. An unprocessed payment that already has its receipt (auto-
post off) is run through the receipt engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.core.errors import NotFound
from gateway.core.records import StatementPayment, StatementPaymentStatus
from gateway.statements import posting
from gateway.statements.importer import ensure_receipt_type, load_lookups
from gateway.statements.models import StatementPaymentRecord
from gateway.statements.schemas import RetryResult


def _as_payment(rec: StatementPaymentRecord) -> StatementPayment:
    return StatementPayment(
        row=0, transaction_id=rec.transaction_id,
        # a stored status is one the layout read: one of StatementPaymentStatus
        status=cast(StatementPaymentStatus, rec.status),
        patient_account=rec.patient_account, statement_id=rec.statement_id, amount=rec.amount,
        debit=rec.debit, paid_on=rec.paid_on, settle_on=rec.settle_on, method=rec.method,
        trace_number=rec.trace_number)


async def retry(session: AsyncSession, practice_id: int, ids: Sequence[int], *, actor: str,
                today: dt.date | None = None) -> RetryResult:
    """Try the unprocessed payments again (audited); the rest stay unprocessed."""
    wanted = sorted(set(ids))
    recs = (await session.scalars(select(StatementPaymentRecord).where(
        StatementPaymentRecord.practice_id == practice_id,
        StatementPaymentRecord.id.in_(wanted)).with_for_update()
        .execution_options(populate_existing=True))).all()
    missing = sorted(set(wanted) - {r.id for r in recs})
    if missing:
        raise NotFound(f"no statement payment {', '.join(map(str, missing[:10]))}")
    await ensure_receipt_type(session, practice_id, actor)
    todo = [r for r in recs if r.state == "unprocessed"]
    look = await load_lookups(session, practice_id, [_as_payment(r) for r in todo], today, actor)
    look.settings.statement_payments_auto_post = True  # a person asked to post them now
    posted: list[int] = []
    for rec in todo:
        if rec.receipt_id is not None and rec.reversal_receipt_id is None:
            look.to_reconcile.append(rec.receipt_id)
            rec.state, rec.reason = "posted", None
        elif posting.classify(rec.status, look.settings) == "post":
            await posting.apply_status(session, practice_id, rec, _as_payment(rec), look,
                                       first_report=False)
    await posting.post_pending(session, practice_id, look)
    for rec in todo:
        if rec.state == "posted":
            posted.append(rec.id)
            await audit(session, practice_id=practice_id, actor=actor,
                        action="statement_payment.retry", object_type="statement_payment",
                        object_id=rec.id, detail={"receipt": rec.receipt_id})
    return RetryResult(posted=posted, still_unprocessed=[r.id for r in recs
                                                         if r.id not in posted])
