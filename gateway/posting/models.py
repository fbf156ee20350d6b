"""Deposits (ERA, manual EOB, import, statement), what they pay, the posting rules and the
posting error queue.

A deposit is one payment (one BPR/TRN of an 835, or one EOB check). Its claims
(`DepositClaim`, one per CLP), their service lines (`DepositProcedure`, one per SVC) and every
adjustment (`DepositAdjustment`: claim-level CAS, line-level CAS, provider-level PLB) are kept
as the payer sent them; posting writes ledger rows whose source is the deposit claim
(`source_type="deposit_claim"`) or the PLB (`"deposit_plb"`), and reset writes compensating
rows (`"deposit_claim_reset"` / `"deposit_plb_reset"`) that point at what they undo.

Idempotency is decided by unique constraints: a deposit's `dedupe_key` (payer + trace number +
amount + date) is unique per practice, and one imported file yields each of its transaction
sets once (`imported_file_id`, `file_sequence`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, Keyed, PracticeScoped, ProcedureCoded, Timestamped
from gateway.db.types import Money, Quantity
from gateway.posting.vocabulary import RESOLUTIONS, ErrorLevel, ErrorType

DEPOSIT_TYPES = ("ERA", "EOB", "Import", "Statement")
DEPOSIT_STATUSES = ("New", "Ignore", "Sent to Posting")
POSTED_STATUSES = ("Not Disbursed", "Being Disbursed", "Disbursed", "Disbursed with Credits")
# DepositClaim.state
CLAIM_STATES = ("pending", "posted", "error", "excluded")
ERROR_LEVELS = tuple(lvl.value for lvl in ErrorLevel)
ERROR_TYPES = tuple(t.value for t in ErrorType)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that `column` holds one of `values` (names, never user text)."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Deposit(Keyed, Timestamped, Base):
    __tablename__ = "deposits"
    __table_args__ = (
        UniqueConstraint("practice_id", "dedupe_key"),
        UniqueConstraint("imported_file_id", "file_sequence"),
        Index("ix_deposits_practice_date", "practice_id", "deposit_date"),
        CheckConstraint(one_of("status", DEPOSIT_STATUSES), name="status"),
        CheckConstraint(one_of("posted_status", POSTED_STATUSES), name="posted_status"),
    )

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    type: Mapped[str] = mapped_column(String(20))  # DEPOSIT_TYPES
    status: Mapped[str] = mapped_column(String(20), default="New")  # DEPOSIT_STATUSES
    posted_status: Mapped[str] = mapped_column(String(30), default="Not Disbursed")
    deposit_date: Mapped[dt.date] = mapped_column(Date)
    issued_date: Mapped[dt.date | None] = mapped_column(Date)
    check_trace_id: Mapped[str | None] = mapped_column(String(80))
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payers.id"))
    era_payer_name: Mapped[str | None] = mapped_column(String(200))
    era_payer_id: Mapped[str | None] = mapped_column(String(80))
    payment_method: Mapped[str | None] = mapped_column(String(10))  # BPR04: ACH, CHK, NON...
    payment_type: Mapped[str | None] = mapped_column(String(30))  # Payment / Notification...
    handling_code: Mapped[str | None] = mapped_column(String(2))  # BPR01
    credit_debit: Mapped[str] = mapped_column(String(1), default="C")  # BPR03
    amount: Mapped[Decimal] = mapped_column(Money())
    plb_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    owner: Mapped[str | None] = mapped_column(String(80))
    imported_file_id: Mapped[int | None] = mapped_column(ForeignKey("imported_files.id"))
    file_sequence: Mapped[int | None] = mapped_column(Integer)
    era_id: Mapped[str | None] = mapped_column(String(80))  # ISA13-ST02
    file_name: Mapped[str | None] = mapped_column(String(400))
    dedupe_key: Mapped[str | None] = mapped_column(String(400))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("deposits.id"))
    posted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # what its rows sum to, kept by gateway.posting.deposit_totals (the lists read these)
    claim_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    posted_claim_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    payments_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"),
                                                    server_default="0")
    exclusions_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"),
                                                      server_default="0")
    adjustments_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"),
                                                       server_default="0")
    open_error_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DepositClaim(Keyed, Base):
    """One CLP: the payer's figures as sent, the matched claim, and what posting made of it."""

    __tablename__ = "deposit_claims"
    __table_args__ = (
        UniqueConstraint("deposit_id", "sequence"),
        Index("ix_deposit_claims_payer_claim_number", "practice_id", "payer_claim_number"),
        CheckConstraint(one_of("state", CLAIM_STATES), name="state"),
    )

    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"), index=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    claim_xref: Mapped[str] = mapped_column(String(38))  # CLP01
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    match_method: Mapped[str | None] = mapped_column(String(30))
    payer_claim_number: Mapped[str | None] = mapped_column(String(50))  # CLP07
    remit_status: Mapped[str] = mapped_column(String(4))  # CLP02
    frequency_code: Mapped[str | None] = mapped_column(String(2))  # CLP09
    charged: Mapped[Decimal] = mapped_column(Money())
    paid: Mapped[Decimal] = mapped_column(Money())
    patient_responsibility: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    allowed: Mapped[Decimal | None] = mapped_column(Money())
    deductible: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    coinsurance: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    copay: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    adjustments: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    denied: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    information: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # CLAIM_STATES
    credit: Mapped[bool] = mapped_column(Boolean, default=False)
    patient_last_name: Mapped[str | None] = mapped_column(String(100))
    patient_first_name: Mapped[str | None] = mapped_column(String(100))
    member_id: Mapped[str | None] = mapped_column(String(80))
    service_date: Mapped[dt.date | None] = mapped_column(Date)
    crossover_payer_name: Mapped[str | None] = mapped_column(String(200))
    crossover_payer_id: Mapped[str | None] = mapped_column(String(80))
    result_level: Mapped[str | None] = mapped_column(String(30))
    result_status: Mapped[str | None] = mapped_column(String(60))
    result_sub_status: Mapped[str | None] = mapped_column(String(60))
    prior_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("deposit_claims.id"))
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("deposit_claims.id"))
    posted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DepositProcedure(ProcedureCoded, Keyed, Base):
    """One SVC: a service line as adjudicated, and the claim line it posts to."""

    __tablename__ = "deposit_procedures"
    __table_args__ = (UniqueConstraint("deposit_claim_id", "sequence"),)

    deposit_claim_id: Mapped[int] = mapped_column(ForeignKey("deposit_claims.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    original_code: Mapped[str | None] = mapped_column(String(20))  # SVC06 (restated)
    original_modifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    units: Mapped[Decimal | None] = mapped_column(Quantity())
    charged: Mapped[Decimal] = mapped_column(Money())
    paid: Mapped[Decimal] = mapped_column(Money())
    allowed: Mapped[Decimal | None] = mapped_column(Money())
    service_date: Mapped[dt.date | None] = mapped_column(Date)
    line_control_number: Mapped[str | None] = mapped_column(String(50))
    claim_line_id: Mapped[int | None] = mapped_column(ForeignKey("claim_lines.id"))
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DepositAdjustment(Keyed, Base):
    """A CAS triple (claim or line level) or a PLB entry (provider level).

    `group_code` is CO/PR/OA/PI/CR as sent (SL for service-line adjustments entered on a manual
    EOB, PLB for provider-level ones). `payment_type` is the rule's answer at posting time, or
    the biller's choice (`payment_type_source = "user"`). Claim-level adjustments carry their
    `allocations` across claim lines ({claim_line_id: amount}).
    """

    __tablename__ = "deposit_adjustments"

    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"), index=True)
    deposit_claim_id: Mapped[int | None] = mapped_column(
        ForeignKey("deposit_claims.id"), index=True
    )
    deposit_procedure_id: Mapped[int | None] = mapped_column(
        ForeignKey("deposit_procedures.id"), index=True
    )
    level: Mapped[str] = mapped_column(String(10))  # claim / procedure / provider
    group_code: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Money())
    quantity: Mapped[Decimal | None] = mapped_column(Quantity())
    reference: Mapped[str | None] = mapped_column(String(80))  # PLB reference
    payment_type: Mapped[str | None] = mapped_column(String(30))
    payment_type_source: Mapped[str | None] = mapped_column(String(10))  # rule / user
    allocations: Mapped[dict[str, str] | None] = mapped_column(JSON)
    plb_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    applied: Mapped[bool] = mapped_column(Boolean, default=False)


class ClaimPaymentFingerprint(Base):
    """One adjudication of a claim in effect on the ledger (`gateway.posting.fingerprints`).

    Posting inserts a row per posted claim in its own transaction; the unique key decides
    between two processes posting the same adjudication from different deposits at once (the
    loser's claim becomes a Duplicate Claim Payment). `claim_id` has no foreign key: the
    deposit claim (which goes with its deposit) already names the claim.
    """

    __tablename__ = "claim_payment_fingerprints"
    __table_args__ = (UniqueConstraint("claim_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 hex of the adjudication
    deposit_claim_id: Mapped[int] = mapped_column(
        ForeignKey("deposit_claims.id", ondelete="CASCADE"), index=True)


class PostingError(Keyed, Timestamped, Base):
    """An item of the error queue, at the level where the problem is."""

    __tablename__ = "posting_errors"
    __table_args__ = (
        Index("ix_posting_errors_queue", "practice_id", "resolved_at", "level"),
        # the open-error counts by level and type, index only (migration 0230, the pages)
        Index("ix_posting_errors_open_types", "practice_id", "resolved_at", "level", "type"),
        CheckConstraint(one_of("level", ERROR_LEVELS), name="level"),
        CheckConstraint(one_of("type", ERROR_TYPES), name="type"),
        CheckConstraint("resolution IS NULL OR " + one_of("resolution", RESOLUTIONS),
                        name="resolution"),
    )

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposits.id"), index=True)
    deposit_claim_id: Mapped[int | None] = mapped_column(
        ForeignKey("deposit_claims.id"), index=True
    )
    deposit_procedure_id: Mapped[int | None] = mapped_column(ForeignKey("deposit_procedures.id"))
    deposit_adjustment_id: Mapped[int | None] = mapped_column(
        ForeignKey("deposit_adjustments.id")
    )
    level: Mapped[str] = mapped_column(String(10))  # ERROR_LEVELS
    type: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    resolution: Mapped[str | None] = mapped_column(String(40))
    resolution_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PostingRule(PracticeScoped, Base):
    """A practice's posting rule; `payer_id` set makes it a payer override.

    kind "reason": (group_code or "" for any group, code = CARC) -> payment_type, denial,
    claim_status / claim_level / claim_sub_status overrides.
    kind "remit_status": (code = CLP02, outcome) -> claim_status / claim_level / sub_status.
    kind "plb": (code = PLB reason) -> plb_action ("report" or "apply").
    The rules shipped with the gateway (`gateway.posting.rules`) apply where no row does.
    """

    __tablename__ = "posting_rules"
    __table_args__ = (
        UniqueConstraint(
            "practice_id", "kind", "payer_scope", "group_code", "code", "outcome"
        ),
    )

    kind: Mapped[str] = mapped_column(String(20))
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payers.id"))
    payer_scope: Mapped[str] = mapped_column(String(20), default="")  # "" or str(payer_id)
    group_code: Mapped[str] = mapped_column(String(4), default="")
    code: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(20), default="")
    payment_type: Mapped[str | None] = mapped_column(String(30))
    denial: Mapped[bool] = mapped_column(Boolean, default=False)
    claim_status: Mapped[str | None] = mapped_column(String(60))
    claim_level: Mapped[str | None] = mapped_column(String(30))
    claim_sub_status: Mapped[str | None] = mapped_column(String(60))
    plb_action: Mapped[str | None] = mapped_column(String(10))
