"""Print batch shapes for the API and the CLI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

from .models import PrintBatch


class PrintBatchOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    status: str  # built / printed / mailed
    claim_count: int
    page_count: int
    total_charge: Decimal
    created_at: dt.datetime
    printed_at: dt.datetime | None
    mailed_at: dt.datetime | None


def print_batch_out(batch: PrintBatch) -> PrintBatchOut:
    return PrintBatchOut(id=batch.id, name=batch.name, status=batch.status,
                         claim_count=batch.claim_count, page_count=batch.page_count,
                         total_charge=batch.total_charge, created_at=batch.created_at,
                         printed_at=batch.printed_at, mailed_at=batch.mailed_at)
