"""What one newly reported status does to its payment: wait, record, post a receipt, or reverse
the receipt, per the practice's settings. Anything that needs a person becomes `unprocessed`
with the reason; nothing is guessed (a patient or statement that cannot be found stays so).

The receipt engine does the money: a payment to post becomes a receipt (source
`statement_epayment`, type "Statement Payment", tied to the statement and the patient). The
receipts of a chunk of payments wait in `Lookups.pending` and are recorded together by
`record_pending` (`gateway.receipts.service.record_many`, dedupe key "epayment|<transaction
id>", so a vendor payment is one receipt by a unique constraint); the importer runs the engine
on each chunk's new receipts at once (`post_pending`; auto-post on) or leaves them New
(auto-post off). A
reversal calls `gateway.receipts.service.reverse`: compensating ledger rows, every balance as
before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.core.practice_settings import PracticeSettings
from gateway.core.records import StatementPayment
from gateway.receipts import service as receipts
from gateway.receipts.enums import Source
from gateway.receipts.models import Receipt
from gateway.statements.models import StatementPaymentRecord

# A payment as posting sees it: the ORM row (a biller's retry) or the importer's plain row
# (`gateway.posting.bulk.fetch_objects`, written back in bulk); the same attributes.
PaymentRow = StatementPaymentRecord | SimpleNamespace
# what posting may change on a payment (the importer writes these back)
CHANGED = ("status", "state", "reason", "patient_id", "receipt_id", "reversal_receipt_id",
           "reviewed_at", "reviewed_by")

RECEIPT_TYPE = "Statement Payment"
RECEIPT_SOURCE = Source.STATEMENT_EPAYMENT
WAITING = frozenset({"Pending", "Authorized", "ReversePosted"})
NEVER_POSTED = frozenset({"Failed", "Voided"})
REVERSALS = frozenset({"Reversed", "ChargeBack", "Returned", "ReverseNSF", "RefundSettled"})
# statuses whose first report moves money into (Settled) or out of (reversals) the deposit
MONEY_IN = frozenset({"Settled"})
# what a posted payment's outcome and reason say, once its receipt id is known
POSTED = "posted as receipt {receipt}"
MANUAL = "auto-post is off: receipt {receipt} waits for manual posting"


def classify(status: str, settings: PracticeSettings) -> str:
    """wait, record, post or reverse."""
    if status == "Settled" or (status == "Posted" and settings.statement_payments_post_posted):
        return "post"
    if status in REVERSALS:
        return "reverse"
    if status in NEVER_POSTED:
        return "record"
    return "wait"  # Pending, Authorized, ReversePosted, Posted (not posted by this practice)


@dataclass
class Pending:
    """A receipt to record for a payment; `event` is its history row's outcome update."""

    rec: PaymentRow
    receipt: receipts.NewReceipt
    event: dict[str, Any] | None = None


@dataclass
class Lookups:
    """What one file's payments are checked against, loaded once per file."""

    patients: dict[str, int]  # account -> patient id
    statements: dict[str, int]  # statement id -> patient id
    settings: PracticeSettings
    today: dt.date
    actor: str
    to_reconcile: list[int] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    pending_ids: set[str] = field(default_factory=set)  # their transaction ids

    def waits_for_receipt(self, transaction_id: str) -> bool:
        """A receipt of this payment waits: record it before acting on another status."""
        return transaction_id in self.pending_ids


def _unprocessed(rec: PaymentRow, reason: str) -> str:
    rec.state, rec.reason = "unprocessed", reason
    rec.reviewed_at = rec.reviewed_by = None  # a new reason puts it back in the queue
    return reason


def _missing(p: StatementPayment, look: Lookups) -> str | None:
    """Why this payment cannot be tied to a patient and statement, or None."""
    if p.patient_account not in look.patients:
        return f"patient account {p.patient_account!r} not found"
    if not look.settings.statement_payments_check_statement:
        return None
    if p.statement_id is None:
        return "the payment names no statement"
    owner = look.statements.get(p.statement_id)
    if owner is None:
        return f"statement {p.statement_id!r} not found"
    if owner != look.patients[p.patient_account]:
        return (f"statement {p.statement_id!r} belongs to another patient than account "
                f"{p.patient_account!r}")
    return None


async def _post(session: AsyncSession, practice_id: int, rec: PaymentRow,
                p: StatementPayment, look: Lookups) -> str:
    if rec.receipt_id is not None:
        return f"already posted as receipt {rec.receipt_id}"
    if rec.state in ("not_posted", "reversed"):
        return _unprocessed(rec, f"{p.status} reported after the payment was {rec.status} "
                                 "(not posted): check with Data Media")
    why = _missing(p, look)
    if why is not None:
        return _unprocessed(rec, why)
    patient_id = look.patients[p.patient_account]
    look.pending_ids.add(rec.transaction_id)
    look.pending.append(Pending(rec, receipts.NewReceipt(
        key=f"epayment|{rec.transaction_id}", patient_id=patient_id,
        patient_account=p.patient_account, received_on=p.paid_on, amount=rec.amount,
        method=rec.method, check_number=rec.trace_number, statement_id=p.statement_id,
        comment=f"Data Media ePayment {rec.transaction_id}")))
    rec.patient_id = patient_id
    if look.settings.statement_payments_auto_post:
        rec.state, rec.reason = "posted", None
        return POSTED
    return _unprocessed(rec, MANUAL)


async def record_pending(session: AsyncSession, practice_id: int, look: Lookups) -> None:
    """Record the waiting receipts in one batch; their payments, reasons and history rows
    get the receipt ids, and auto-posted ones go to the engine."""
    if not look.pending:
        return
    batch, look.pending = look.pending, []
    look.pending_ids.clear()
    ids = await receipts.record_many(session, practice_id, RECEIPT_TYPE, RECEIPT_SOURCE,
                                     [x.receipt for x in batch], actor=look.actor,
                                     today=look.today)
    for x in batch:
        receipt_id = ids[x.receipt.key]
        x.rec.receipt_id = receipt_id
        if x.rec.state == "posted":
            look.to_reconcile.append(receipt_id)
        if x.rec.reason == MANUAL:
            x.rec.reason = MANUAL.format(receipt=receipt_id)
        if x.event is not None and x.event["_outcome"] in (POSTED, MANUAL):
            x.event["_outcome"] = x.event["_outcome"].format(receipt=receipt_id)


async def post_pending(session: AsyncSession, practice_id: int, look: Lookups) -> None:
    """Record the waiting receipts and run the engine on the auto-posted ones now: a chunk
    of payments at a time, so nothing of them is kept for a run at the end (memory stays
    one chunk whatever the file's length) and a later status finds its receipt worked."""
    await record_pending(session, practice_id, look)
    if look.to_reconcile:
        ids, look.to_reconcile = look.to_reconcile, []
        await receipts.reconcile(session, practice_id, ids, today=look.today, actor="engine",
                                 keep_results=False, settings=look.settings)


async def _reverse(session: AsyncSession, practice_id: int, rec: PaymentRow,
                   p: StatementPayment, look: Lookups, first_report: bool) -> str:
    if rec.receipt_id is None:
        if first_report:
            return _unprocessed(rec, f"{p.status} of a payment this gateway never received "
                                     "(original unknown)")
        if rec.state == "reversed":
            return "already reversed"
        rec.state, rec.reason = "not_posted", f"{p.status} before anything was posted"
        return rec.reason
    if rec.reversal_receipt_id is not None:
        return f"already reversed (receipt {rec.reversal_receipt_id})"
    receipt = await session.get(Receipt, rec.receipt_id, populate_existing=True)
    if receipt is None or receipt.status == "Reversed":
        return _unprocessed(rec, f"{p.status}: receipt {rec.receipt_id} was already reversed "
                                 "by hand; check the patient's balance")
    if p.amount != rec.amount:
        return _unprocessed(rec, f"{p.status} of {p.amount} but receipt {rec.receipt_id} is "
                                 f"{rec.amount}: a partial reversal is done by hand")
    try:
        negative = await receipts.reverse(session, practice_id, rec.receipt_id,
                                          actor=look.actor, today=look.today)
    except UserError as exc:
        return _unprocessed(rec, f"{p.status}: receipt {rec.receipt_id} cannot be reversed "
                                 f"({exc})")
    rec.state, rec.reason, rec.reversal_receipt_id = "reversed", f"{p.status}", negative
    return f"receipt {rec.receipt_id} reversed by receipt {negative}"


async def apply_status(session: AsyncSession, practice_id: int, rec: PaymentRow,
                       p: StatementPayment, look: Lookups, first_report: bool) -> str:
    """Act on a status reported for the first time; returns what it did (for the history)."""
    rec.status = p.status
    action = classify(p.status, look.settings)
    if action == "post":
        return await _post(session, practice_id, rec, p, look)
    if action == "reverse":
        return await _reverse(session, practice_id, rec, p, look, first_report)
    if action == "record":
        if rec.receipt_id is not None and rec.state != "reversed":
            return _unprocessed(rec, f"{p.status} after it was posted as receipt "
                                     f"{rec.receipt_id}: check with Data Media")
        rec.state, rec.reason = "not_posted", f"{p.status}: never posted"
        return rec.reason
    if rec.state == "waiting" or first_report:
        rec.state = "waiting"
        return f"waiting ({p.status})"
    return f"{p.status} recorded; the payment stays {rec.state}"
