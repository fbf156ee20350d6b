"""What parsing and importing an aging file answer (CLI `--json` and the API alike)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

from gateway.core.records import RowProblem


class ParseSummary(msgspec.Struct, kw_only=True):
    """`gateway aging parse`: what the file holds, nothing written."""

    rows: int
    balance_total: Decimal
    payers: list[str]
    problems: list[RowProblem]


class ImportResult(msgspec.Struct, kw_only=True):
    """What an import did. `duplicate` is true when the same file (by content) was imported
    before: nothing was changed and the counts are those of the first import."""

    file_id: int
    snapshot_id: int | None
    duplicate: bool = False
    location_id: int
    vendor: str
    export_date: dt.date | None = None
    rows: int = 0
    rows_skipped: int = 0
    balance_total: Decimal = Decimal("0.00")
    claims_created: int = 0
    claims_updated: int = 0
    claims_unchanged: int = 0
    claims_completed: int = 0
    claims_reopened: int = 0
    payers_added: list[str] = []
    problems: list[RowProblem] = []
