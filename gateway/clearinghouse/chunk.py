"""One chunk of claims read for a writer (the 837P or the CMS-1500): its claims, lines,
patients, coverages and payers, each with one set-based query of the columns the writers use,
into small Structs (no ORM objects, no identity map), so building a batch costs little more
than writing it and memory stays flat per chunk. Secondary / tertiary claims' prior payer
adjudication is `cob.CobChunk`, loaded the same way.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

import msgspec
from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.db.models import Coverage, Patient, Payer
from gateway.ledger.models import ClaimLine

R = TypeVar("R", bound=msgspec.Struct)
_BULK_GEN0 = 200_000  # allocations between young collections while a batch is built
_bulk_depth = [0, 0]  # builds in progress, the gen-0 threshold to restore after the last


class ClaimRow(msgspec.Struct, gc=False):
    """The columns of a claim the writers and the COB lookup read."""

    id: int
    practice_id: int
    patient_id: int
    payer_id: int | None
    payer_rank: int
    patient_control_number: str | None
    pms_claim_id: str | None
    service_date_from: dt.date
    diagnosis_codes: list[str] | None
    location_id: int | None


class LineRow(msgspec.Struct, gc=False):
    id: int
    claim_id: int
    line_number: int
    procedure_code: str
    modifiers: list[str] | None
    charge: Decimal
    units: Decimal | None
    diagnosis_pointers: list[int] | None
    service_date: dt.date | None


class PatientRow(msgspec.Struct, gc=False):
    id: int
    last_name: str | None
    first_name: str | None
    dob: dt.date | None
    sex: str | None
    address_line1: str | None
    city: str | None
    state: str | None
    zip: str | None


class PayerRow(msgspec.Struct, gc=False):
    id: int
    name: str
    payer_id: str | None
    accepts_electronic_claims: bool


class CoverageRow(msgspec.Struct, gc=False):
    patient_id: int
    rank: int
    member_id: str | None
    subscriber_name: str | None
    group_number: str | None


def columns(model: Any, row: type[msgspec.Struct]) -> list[Any]:
    """The model's columns named by the row Struct's fields, in its order."""
    return [getattr(model, f) for f in row.__struct_fields__]


async def read_rows(session: AsyncSession, row: type[R], model: Any, key: Any,
                    ids: Collection[Any], *where: ColumnElement[bool],
                    order_by: Sequence[Any] = ()) -> list[R]:
    """One query of `row`'s columns of `model` whose `key` is one of `ids`, each result a
    `row` Struct (the ids bound as one expanding parameter: no per-id SQL expression)."""
    query = (select(*columns(model, row)).where(key.in_(bindparam("ids", expanding=True)),
                                                *where).order_by(*order_by))
    conn = await session.connection()  # Core: no ORM result machinery for plain columns
    result = await conn.execute(query, {"ids": list(ids)})
    return [row(*r) for r in result.all()]  # one fetchall, not a fetchone a row


class Chunk:
    """The patients, payers, coverages, lines and COB adjudications of a chunk of claims."""

    def __init__(self, claims: list[ClaimRow]) -> None:
        from .cob import CobChunk

        self.claims = claims
        self.patients: dict[int, PatientRow] = {}
        self.payers: dict[int, PayerRow] = {}
        self.coverages: dict[tuple[int, int], CoverageRow] = {}
        self.lines: dict[int, list[LineRow]] = {}
        self.cob = CobChunk()

    @classmethod
    async def load(cls, session: AsyncSession, claims: list[ClaimRow]) -> Chunk:
        from .cob import CobChunk

        chunk = cls(claims)
        if not claims:
            return chunk
        chunk.cob = await CobChunk.load(session, claims)
        patient_ids = {c.patient_id for c in claims}
        payer_ids = {c.payer_id for c in claims if c.payer_id is not None} | {
            p.payer_id for ps in chunk.cob.priors.values() for p in ps if p.payer_id is not None}
        chunk.patients = {p.id: p for p in await read_rows(
            session, PatientRow, Patient, Patient.id, patient_ids)}
        chunk.coverages = {(c.patient_id, c.rank): c for c in await read_rows(
            session, CoverageRow, Coverage, Coverage.patient_id, patient_ids)}
        if payer_ids:
            chunk.payers = {p.id: p for p in await read_rows(
                session, PayerRow, Payer, Payer.id, payer_ids)}
        for ln in await read_rows(session, LineRow, ClaimLine, ClaimLine.claim_id,
                                  [c.id for c in claims],
                                  order_by=(ClaimLine.claim_id, ClaimLine.line_number)):
            chunk.lines.setdefault(ln.claim_id, []).append(ln)
        return chunk

    def billed(self, claim: ClaimRow) -> tuple[PatientRow, CoverageRow, list[LineRow]]:
        """The claim's patient, billed coverage (with a member id) and lines; UserError saying
        which is missing (both writers need all three)."""
        coverage = self.coverages.get((claim.patient_id, claim.payer_rank))
        if coverage is None or not coverage.member_id:
            raise UserError("no member id for the billed coverage")
        lines = self.lines.get(claim.id, [])
        if not lines:
            raise UserError("the claim has no lines")
        return self.patients[claim.patient_id], coverage, lines


def without_control_number(claims: Iterable[ClaimRow]) -> list[dict[str, Any]]:
    """Give each claim that has none its patient control number (GW + id), as update rows
    for `gateway.db.bulk.copy_update_by_id`."""
    rows = []
    for claim in claims:
        if not claim.patient_control_number:
            claim.patient_control_number = f"GW{claim.id}"
            rows.append({"b_id": claim.id, "patient_control_number": claim.patient_control_number})
    return rows


@contextmanager
def bulk_build() -> Iterator[None]:
    """Fewer cyclic-GC passes while a batch is built: its ~10^5 rows, writer inputs and
    segments all live until the file is written, and at the default threshold the collector
    walks them (and every module) again and again, doubling the build time. Nothing built
    here makes reference cycles, so nothing waits longer to be freed; the threshold is the
    process's own again when the last build in progress ends."""
    if _bulk_depth[0] == 0:
        _bulk_depth[1] = gc.get_threshold()[0]
        gc.set_threshold(max(_BULK_GEN0, _bulk_depth[1]), *gc.get_threshold()[1:])
    _bulk_depth[0] += 1
    try:
        yield
    finally:
        _bulk_depth[0] -= 1
        if _bulk_depth[0] == 0:
            gc.set_threshold(_bulk_depth[1], *gc.get_threshold()[1:])
