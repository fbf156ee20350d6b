"""Aging snapshots: each imported aging file of a location, and its rows as read (for audit).

The claims and their money live in the ledger (`gateway.ledger.models`); a snapshot records
what the file said and what the import did. Ledger rows written by an import carry
`source_type="aging"` and `source_id` = the snapshot's id.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, Keyed, PracticeScoped
from gateway.db.types import Money


class AgingSnapshot(PracticeScoped, Base):
    """One imported aging file of one location: a full snapshot of its open insurance A/R."""

    __tablename__ = "aging_snapshots"
    __table_args__ = (Index("ix_aging_snapshots_location_export", "location_id", "export_date"),)

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    imported_file_id: Mapped[int] = mapped_column(ForeignKey("imported_files.id"), unique=True)
    vendor: Mapped[str] = mapped_column(String(40))
    grain: Mapped[str] = mapped_column(String(20))
    export_date: Mapped[dt.date] = mapped_column()
    rows: Mapped[int] = mapped_column(Integer, default=0)
    balance_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    claims_created: Mapped[int] = mapped_column(Integer, default=0)
    claims_updated: Mapped[int] = mapped_column(Integer, default=0)
    claims_completed: Mapped[int] = mapped_column(Integer, default=0)
    claims_reopened: Mapped[int] = mapped_column(Integer, default=0)
    payers_added: Mapped[list[str]] = mapped_column(JSON, default=list)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # a biller removed this snapshot (gateway.aging.removal): its effects were undone
    removed_at: Mapped[dt.datetime | None] = mapped_column()


# what an import did to a claim, so removing the snapshot can undo exactly that
EFFECTS = ("created", "completed", "reopened", "payer_changed")


class AgingSnapshotEffect(Keyed, Base):
    """One claim-level effect of a snapshot: a claim it created, completed or reopened, or
    whose payer it changed (`previous` holds what to restore: the payer id, the completion
    time)."""

    __tablename__ = "aging_snapshot_effects"
    __table_args__ = (
        UniqueConstraint("snapshot_id", "claim_id", "effect"),
        CheckConstraint(
            "effect IN ('created', 'completed', 'reopened', 'payer_changed')", name="effect"),
    )

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("aging_snapshots.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    effect: Mapped[str] = mapped_column(String(20))  # EFFECTS
    previous: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AgingSnapshotItem(Keyed, Base):
    """One detail row of a snapshot as the file had it: amounts, buckets and the raw cells."""

    __tablename__ = "aging_snapshot_items"

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("aging_snapshots.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)
    source_claim_id: Mapped[str] = mapped_column(String(80))
    payer_rank: Mapped[int] = mapped_column(Integer, default=1)
    billed: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    balance: Mapped[Decimal] = mapped_column(Money())
    bucket_0_30: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    bucket_31_60: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    bucket_61_90: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    bucket_91_120: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    bucket_120_plus: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    raw: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
