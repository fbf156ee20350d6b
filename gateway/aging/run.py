"""The state one aging import carries from step to step (gateway.aging.importer), so each
step is a small function of the run instead of a long list of arguments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.aging.models import AgingSnapshot
from gateway.core.records import AgingExport, AgingRow, RowProblem
from gateway.db.models import Location

ClaimKey = tuple[str, int]  # (claim / invoice id, payer rank)


@dataclass
class FileClaim:
    """The rows of one (claim id, payer rank) in the file, read as one claim."""

    key: ClaimKey
    rows: list[AgingRow] = field(default_factory=list)

    @property
    def first(self) -> AgingRow:
        return self.rows[0]


@dataclass
class ImportRun:
    session: AsyncSession
    practice_id: int
    location: Location
    export: AgingExport
    file_id: int
    snapshot: AgingSnapshot
    rows: list[AgingRow]
    problems: list[RowProblem]
    now: dt.datetime
    rows_skipped: int = 0  # rows of other locations
    claims: dict[ClaimKey, FileClaim] = field(default_factory=dict)
    unreadable: set[ClaimKey] = field(default_factory=set)
    payer_of: dict[str, int] = field(default_factory=dict)  # normalised name -> payer id
    payers_added: list[str] = field(default_factory=list)
    existing: dict[ClaimKey, dict[str, Any]] = field(default_factory=dict)
    created_keys: set[ClaimKey] = field(default_factory=set)
    # keys of claims a PMS pull brought (lines from the PMS): the file follows their balance
    # at claim level and never charges them (gateway.aging.reconcile)
    adopted: set[ClaimKey] = field(default_factory=set)
    # keys whose PMS claim number is another location's claim: a claim of this location
    # without the PMS number (per-location numbering, e.g. one PMS per office)
    elsewhere: set[ClaimKey] = field(default_factory=set)

    @property
    def location_id(self) -> int:
        return self.location.id

    @property
    def vendor(self) -> str:
        return self.export.vendor
