"""Claims, their lines, and the ledger.

Every effect on a balance is a `LedgerEntry` with its source; nothing is edited in place.
Reversing writes rows of the same kind with the opposite sign that point at what they reverse.
Balances are derived (`gateway.ledger.balances`), never stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db.base import Base, Keyed, PracticeScoped, ProcedureCoded, Timestamped
from gateway.db.types import Money, Quantity
from gateway.ledger.states import BilledBy, BillingState, ClaimOrigin, sql_in

# Ledger kinds and how each moves the two balances of a line:
#   charge                 +total, +insurance
#   insurance_payment      -total, -insurance
#   insurance_adjustment   -total, -insurance   (contractual write-off and other CO/OA/PI)
#   transfer_to_patient      0,    -insurance, +patient   (PR deductible/coinsurance/copay)
#   patient_payment        -total, -patient
#   patient_adjustment     -total, -patient
LEDGER_KINDS = (
    "charge",
    "insurance_payment",
    "insurance_adjustment",
    "transfer_to_patient",
    "patient_payment",
    "patient_adjustment",
)

BILLING = ("electronic", "paper")


class Claim(PracticeScoped, Base):
    """A claim for services on a date of service. `payer_rank` is the coverage being billed now
    (1 primary, 2 secondary, 3 tertiary); `level`/`status`/`sub_status` are the workflow state.
    `source_claim_id` is the PMS's own claim / ticket / fee-slip / invoice number (what the PMS
    sent as CLM01, what comes back as CLP01), from a PMS pull or an aging export alike;
    `patient_control_number` is the number the claim was billed with. `billing_state` says
    whether it may be batched (only `unbilled`); `origin` what brought it in."""

    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("practice_id", "patient_control_number"),
        UniqueConstraint(
            "practice_id", "location_id", "source_vendor", "source_claim_id", "payer_rank"
        ),
        UniqueConstraint("practice_id", "pms_claim_id", "payer_rank"),
        Index("ix_claims_patient_dos", "patient_id", "service_date_from"),
        Index("ix_claims_practice_billing_state", "practice_id", "billing_state"),
        Index("ix_claims_practice_source_claim_id", "practice_id", "source_claim_id"),
        CheckConstraint(f"billing_state {sql_in(BillingState)}", name="billing_state"),
        CheckConstraint(f"billed_by IS NULL OR billed_by {sql_in(BilledBy)}", name="billed_by"),
        CheckConstraint(f"origin {sql_in(ClaimOrigin)}", name="origin"),
    )

    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payers.id"))
    payer_rank: Mapped[int] = mapped_column(default=1)
    patient_control_number: Mapped[str | None] = mapped_column(String(38))
    payer_claim_number: Mapped[str | None] = mapped_column(String(50), index=True)
    service_date_from: Mapped[dt.date] = mapped_column()
    service_date_to: Mapped[dt.date | None] = mapped_column()
    invoice_date: Mapped[dt.date | None] = mapped_column()
    billing: Mapped[str] = mapped_column(String(20), default="electronic")  # BILLING
    level: Mapped[str] = mapped_column(String(30), default="Primary")
    status: Mapped[str] = mapped_column(String(60), default="Open")
    sub_status: Mapped[str | None] = mapped_column(String(60))
    diagnosis_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_vendor: Mapped[str | None] = mapped_column(String(40))
    source_claim_id: Mapped[str | None] = mapped_column(String(80))
    completed_at: Mapped[dt.datetime | None] = mapped_column()
    # billing state (gateway.ledger.states): only an unbilled claim is ever batched
    billing_state: Mapped[str] = mapped_column(
        String(20), default=BillingState.UNBILLED, server_default=BillingState.UNBILLED.value
    )
    billed_by: Mapped[str | None] = mapped_column(String(10))
    billed_at: Mapped[dt.datetime | None] = mapped_column()
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    origin: Mapped[str] = mapped_column(
        String(10), default=ClaimOrigin.API, server_default=ClaimOrigin.API.value
    )
    # the PMS's claim id when the claim came from a practice-data pull or import (the upsert
    # key with payer_rank; `source_claim_id` holds the same number for matching)
    pms_claim_id: Mapped[str | None] = mapped_column(String(80))

    lines: Mapped[list[ClaimLine]] = relationship(
        back_populates="claim", order_by="ClaimLine.line_number"
    )


class ClaimLine(ProcedureCoded, Keyed, Base):
    __tablename__ = "claim_lines"
    __table_args__ = (UniqueConstraint("claim_id", "line_number"),)

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    line_number: Mapped[int] = mapped_column()
    units: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal("1"))
    charge: Mapped[Decimal] = mapped_column(Money())
    diagnosis_pointers: Mapped[list[int]] = mapped_column(JSON, default=list)
    copay: Mapped[bool] = mapped_column(default=False)
    service_date: Mapped[dt.date | None] = mapped_column()

    claim: Mapped[Claim] = relationship(back_populates="lines")


class LedgerEntry(Keyed, Timestamped, Base):
    """One money movement on one claim line, with where it came from.

    `source_type`/`source_id` name the origin (claim creation, a deposit procedure, a receipt
    application, a manual adjustment, an aging snapshot); `reverses_id` links a compensating row
    to the row it undoes.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_source", "source_type", "source_id"),
        Index("ix_ledger_entries_claim_kind", "claim_id", "kind"),
    )

    # no foreign keys on practice_id and claim_id: the line's key implies both (migration
    # 0251_ledger_implied_fks); that they are the line's is checked by the posting invariant
    practice_id: Mapped[int] = mapped_column()
    claim_id: Mapped[int] = mapped_column()
    claim_line_id: Mapped[int] = mapped_column(ForeignKey("claim_lines.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # LEDGER_KINDS
    amount: Mapped[Decimal] = mapped_column(Money())
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payers.id"))
    source_type: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int | None] = mapped_column()
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reason: Mapped[str | None] = mapped_column(String(40))  # e.g. "CO-45", "PR-2"
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
