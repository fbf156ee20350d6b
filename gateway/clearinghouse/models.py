"""Clearinghouse tables: stored file contents, claim batches and their claims, the
acknowledgments attached to them, and the control-number counters.

- `ImportedFileChunk`: the bytes of an imported file (ERA, acknowledgment), in 1 MiB chunks, so
  a file can be re-read later (posting again, support) on any node, never held whole.
- `ClaimBatch` / `ClaimBatchClaim`: an 837P interchange built from claims, with the control
  numbers it carries (ISA13, GS06, ST02) and its status; one row per claim in it.
- `Acknowledgment`: a 999 or 277CA (one row per file and batch it speaks about).
- `ControlNumber`: counters per practice and kind ("interchange", "group", "transaction"),
  allocated with one `UPDATE ... RETURNING` (a row lock), so two processes never get the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, BatchClaim, Keyed, PracticeScoped

# ClaimBatch.status
BATCH_STATUSES = ("built", "submitted", "accepted", "partially accepted", "rejected", "failed")
# ClaimBatchClaim.status
CLAIM_STATUSES = ("submitted", "accepted", "rejected")


class ImportedFileChunk(Keyed, Base):
    __tablename__ = "imported_file_chunks"
    __table_args__ = (UniqueConstraint("imported_file_id", "seq"),)

    imported_file_id: Mapped[int] = mapped_column(ForeignKey("imported_files.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ControlNumber(Keyed, Base):
    __tablename__ = "control_numbers"
    __table_args__ = (UniqueConstraint("practice_id", "kind"),)

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    kind: Mapped[str] = mapped_column(String(20))  # interchange / group / transaction
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class ClaimBatch(PracticeScoped, Base):
    __tablename__ = "claim_batches"
    __table_args__ = (
        UniqueConstraint("practice_id", "name"),
        UniqueConstraint("practice_id", "interchange_control_number"),
    )

    connector_id: Mapped[int | None] = mapped_column(ForeignKey("connectors.id"))
    name: Mapped[str] = mapped_column(String(200))  # the file name at the clearinghouse
    interchange_control_number: Mapped[str] = mapped_column(String(9))  # ISA13
    group_control_number: Mapped[str] = mapped_column(String(9), index=True)  # GS06
    transaction_control_number: Mapped[str] = mapped_column(String(9))  # ST02
    status: Mapped[str] = mapped_column(String(30), default="built")  # BATCH_STATUSES
    claim_count: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    remote_name: Mapped[str | None] = mapped_column(String(400))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ClaimBatchClaim(BatchClaim, Base):
    __tablename__ = "claim_batch_claims"

    batch_id: Mapped[int] = mapped_column(ForeignKey("claim_batches.id"), index=True)
    patient_control_number: Mapped[str] = mapped_column(String(38), index=True)
    status: Mapped[str] = mapped_column(String(20), default="submitted")  # CLAIM_STATUSES
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Acknowledgment(PracticeScoped, Base):
    __tablename__ = "acknowledgments"
    __table_args__ = (UniqueConstraint("imported_file_id", "batch_id", "kind"),)

    imported_file_id: Mapped[int] = mapped_column(ForeignKey("imported_files.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("claim_batches.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # 999 / 277CA
    status: Mapped[str] = mapped_column(String(30))  # accepted / partially accepted / rejected
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReferenceBatch(PracticeScoped, Base):
    """Claims a biller holds for review: while the batch is open, Batch Claims never takes
    them; closing it lets them go in the next run."""

    __tablename__ = "reference_batches"

    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / closed
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ReferenceBatchClaim(BatchClaim, Base):
    __tablename__ = "reference_batch_claims"

    batch_id: Mapped[int] = mapped_column(ForeignKey("reference_batches.id"), index=True)
