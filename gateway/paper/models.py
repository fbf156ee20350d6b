"""Print batches: the paper claims of one Batch Claims run, each with the CMS-1500 data it was
built with (so the PDF prints the same on any node, any day), marked printed then mailed.

`PrintBatch.status`: built -> printed -> mailed (each mark audited). Mailing bills its claims.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, BatchClaim, PracticeScoped
from gateway.db.types import Money

PRINT_STATUSES = ("built", "printed", "mailed")


class PrintBatch(PracticeScoped, Base):
    __tablename__ = "print_batches"
    __table_args__ = (UniqueConstraint("practice_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default="built")  # PRINT_STATUSES
    claim_count: Mapped[int] = mapped_column(Integer, default=0)
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    total_charge: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    printed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    mailed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PrintBatchClaim(BatchClaim, Base):
    __tablename__ = "print_batch_claims"

    batch_id: Mapped[int] = mapped_column(ForeignKey("print_batches.id"), index=True)
    form: Mapped[dict[str, Any]] = mapped_column(JSON)  # gateway.paper.cms1500.ClaimForm
