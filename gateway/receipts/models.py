"""Receipts: patient payments, what the engine did with them, and practice-defined types.

A `Receipt` is money a patient (or someone for them) paid. Its `applications` put parts of it
on claim lines; each application is one `patient_payment` ledger row with source_type
"receipt_application" and source_id = the application id. Applied and unapplied amounts are
derived from the applications that are not reversed, never stored.

`messages` is the receipt's history in words a biller understands: what the engine (or a
person) did and why. `status_reason` repeats the newest explanation so a queue can show it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, Keyed, PracticeScoped, Timestamped
from gateway.db.strenum import StrEnumType, check_in
from gateway.db.types import Money
from gateway.receipts.enums import (
    BULK_STATUSES,
    WORKABLE,
    Behaviour,
    HoldSetBy,
    Method,
    ReceiptStatus,
    Source,
)

STATUSES: tuple[ReceiptStatus, ...] = tuple(ReceiptStatus)
# The five behaviours; every receipt type (built in or practice-defined) maps to one.
BEHAVIOURS: tuple[Behaviour, ...] = tuple(Behaviour)
BUILTIN_TYPES: dict[str, Behaviour] = {
    "Co-Pay": Behaviour.COPAY,
    "Patient Coinsurance": Behaviour.COINSURANCE,
    "Patient Deductible": Behaviour.DEDUCTIBLE,
    "General Payment": Behaviour.GENERAL,
    "Pre-Pay": Behaviour.PREPAY,
}
METHODS: tuple[Method, ...] = tuple(Method)
SOURCES: tuple[Source, ...] = tuple(Source)


__all__ = [
    "BEHAVIOURS", "BUILTIN_TYPES", "BULK_STATUSES", "METHODS", "SOURCES", "STATUSES", "WORKABLE",
    "Receipt", "ReceiptApplication", "ReceiptMessage", "ReceiptType",
]


class ReceiptType(PracticeScoped, Base):
    """A practice-defined receipt type ("Optical Deposit", "Contact Lens Pre-Pay"...) and the
    built-in behaviour it follows."""

    __tablename__ = "receipt_types"
    __table_args__ = (
        UniqueConstraint("practice_id", "name"),
        CheckConstraint(check_in("behaviour", Behaviour), name="behaviour"),
    )

    name: Mapped[str] = mapped_column(String(60))
    behaviour: Mapped[Behaviour] = mapped_column(StrEnumType(Behaviour, 20))
    active: Mapped[bool] = mapped_column(default=True)


class Receipt(Keyed, Timestamped, Base):
    """One patient payment. `patient_id` is None when the patient is not known (the chart
    number given did not match); `patient_account` keeps the chart number as received.

    `dedupe_key` ("chart|date|cents|trace") is set for imported receipts and for receipts with
    a check/trace number; the unique constraint makes the same receipt arrive only once.
    `hold_set_by` is "engine" for holds the engine re-examines every night and "user" for a
    biller's hold, which reconciliation leaves alone until `hold_until`.
    A reversal is a second receipt with the negative amount and `reversal_of_id` set.
    """

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("practice_id", "dedupe_key"),
        Index("ix_receipts_practice_status", "practice_id", "status"),
        Index("ix_receipts_practice_received", "practice_id", "received_on"),
        CheckConstraint(check_in("status", ReceiptStatus), name="status"),
        CheckConstraint(check_in("behaviour", Behaviour), name="behaviour"),
        CheckConstraint(check_in("method", Method), name="method"),
        CheckConstraint(check_in("source", Source), name="source"),
        CheckConstraint(check_in("hold_set_by", HoldSetBy, nullable=True), name="hold_set_by"),
    )

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    patient_account: Mapped[str | None] = mapped_column(String(80))
    received_on: Mapped[dt.date] = mapped_column(Date)
    type_name: Mapped[str] = mapped_column(String(60))
    behaviour: Mapped[Behaviour] = mapped_column(StrEnumType(Behaviour, 20))  # fixed at creation
    method: Mapped[Method] = mapped_column(StrEnumType(Method, 20))
    source: Mapped[Source] = mapped_column(StrEnumType(Source, 30))
    check_number: Mapped[str | None] = mapped_column(String(80))
    statement_id: Mapped[str | None] = mapped_column(String(80))
    payer_name: Mapped[str | None] = mapped_column(String(200))  # who paid, as written
    comment: Mapped[str | None] = mapped_column(Text)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[ReceiptStatus] = mapped_column(StrEnumType(ReceiptStatus, 20),
                                                  default=ReceiptStatus.NEW)
    status_reason: Mapped[str | None] = mapped_column(Text)
    hold_until: Mapped[dt.date | None] = mapped_column(Date)
    hold_set_by: Mapped[HoldSetBy | None] = mapped_column(StrEnumType(HoldSetBy, 10))
    reversal_of_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(80), default="system")


class ReceiptApplication(Keyed, Timestamped, Base):
    """A part of a receipt put on one claim line. `credit` marks the one application that may
    take a line's patient balance below zero (the rest of a receipt put on the most recent
    claim after the credit hold). Reversal sets `reversed_at` and writes compensating ledger
    rows; the application itself is never deleted."""

    __tablename__ = "receipt_applications"

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    claim_line_id: Mapped[int] = mapped_column(ForeignKey("claim_lines.id"))
    amount: Mapped[Decimal] = mapped_column(Money())
    credit: Mapped[bool] = mapped_column(default=False)
    applied_by: Mapped[str] = mapped_column(String(80))  # "engine" or "user:12"
    previous_claim_status: Mapped[str | None] = mapped_column(String(60))
    reversed_at: Mapped[dt.datetime | None] = mapped_column()


class ReceiptMessage(Keyed, Timestamped, Base):
    """One line of a receipt's history: what happened and why, for a biller to read."""

    __tablename__ = "receipt_messages"
    __table_args__ = (CheckConstraint(check_in("status", ReceiptStatus), name="status"),)

    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    # the receipt's status after this step
    status: Mapped[ReceiptStatus] = mapped_column(StrEnumType(ReceiptStatus, 20))
    text: Mapped[str] = mapped_column(Text)
    run_on: Mapped[dt.date | None] = mapped_column(Date)  # the engine's "today"
