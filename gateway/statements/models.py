"""Statement ePayments: each payment once (by the vendor's transaction id), its status history
as the vendor's files report it, and the patient statements payments are made against.

`StatementPaymentRecord.state` is what the gateway made of the payment so far:
  waiting      Pending / Authorized / ReversePosted (or Posted, unless the practice posts it)
  posted       its receipt was created and run through the receipt engine
  unprocessed  a biller must look (`reason` says why; `reviewed_at` once marked reviewed)
  not_posted   Failed / Voided, or returned before anything was posted: recorded only
  reversed     its receipt was reversed with compensating rows (`reversal_receipt_id`)
A `StatementPaymentEvent` is one status as first reported (unique per payment and status, so
the same report twice, or by two gateway nodes at once, is one event); money events (Settled
and the reversals) carry the Statement deposit of the file that reported them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, Keyed, Timestamped
from gateway.db.types import Money

STATES = ("waiting", "posted", "unprocessed", "not_posted", "reversed")


class PatientStatement(Keyed, Timestamped, Base):
    """A statement mailed to a patient: what an ePayment names with its statement id."""

    __tablename__ = "patient_statements"
    __table_args__ = (UniqueConstraint("practice_id", "statement_id"),)

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    statement_id: Mapped[str] = mapped_column(String(80))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    statement_date: Mapped[dt.date | None] = mapped_column(Date)
    amount_due: Mapped[Decimal | None] = mapped_column(Money())


class StatementPaymentRecord(Keyed, Timestamped, Base):
    """One ePayment, kept once per practice by the processor's transaction id."""

    __tablename__ = "statement_payments"
    __table_args__ = (
        UniqueConstraint("practice_id", "transaction_id"),
        Index("ix_statement_payments_queue", "practice_id", "state", "reviewed_at"),
        Index("ix_statement_payments_paid_on", "practice_id", "paid_on"),
    )

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    connector_id: Mapped[int | None] = mapped_column(ForeignKey("connectors.id"))
    transaction_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))  # the newest status reported
    state: Mapped[str] = mapped_column(String(20), default="waiting")  # STATES
    reason: Mapped[str | None] = mapped_column(Text)
    patient_account: Mapped[str] = mapped_column(String(80))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    statement_id: Mapped[str | None] = mapped_column(String(80))
    invoice_number: Mapped[str | None] = mapped_column(String(80))
    amount: Mapped[Decimal] = mapped_column(Money())
    debit: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    settle_on: Mapped[dt.date | None] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str | None] = mapped_column(String(80))
    payer_name: Mapped[str | None] = mapped_column(String(200))  # never logged
    trace_number: Mapped[str | None] = mapped_column(String(80))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    reversal_receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column()
    reviewed_by: Mapped[str | None] = mapped_column(String(80))


class StatementPaymentEvent(Keyed, Timestamped, Base):
    """One status of a payment, as the first file reporting it said, and what it did."""

    __tablename__ = "statement_payment_events"
    __table_args__ = (UniqueConstraint("statement_payment_id", "status"),)

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    statement_payment_id: Mapped[int] = mapped_column(
        ForeignKey("statement_payments.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    imported_file_id: Mapped[int | None] = mapped_column(ForeignKey("imported_files.id"))
    file_row: Mapped[int | None] = mapped_column(Integer)
    reported_on: Mapped[dt.date] = mapped_column(Date)
    deposit_id: Mapped[int | None] = mapped_column(ForeignKey("deposits.id"), index=True)
    deposit_amount: Mapped[Decimal | None] = mapped_column(Money())  # signed: debits < 0
    outcome: Mapped[str] = mapped_column(Text, default="")
