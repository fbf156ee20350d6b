"""The keys of a streamed practice-data pull, staged in a temporary table so that checks
spanning chunks are set-based SQL instead of sets held in memory.

A pull is written chunk by chunk (`gateway.practice.service`), each chunk checked within
itself by the reader. What only the whole file shows goes through here: a key repeated in
another chunk (the later row is a problem, as within a chunk) and a claim whose lines, in
different chunks, disagree on patient or date of service. The table lives inside the pull's
transaction and is dropped at its end, so nothing of it is ever visible to anyone else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.records import (
    AppointmentRecord,
    ClaimRecord,
    CoverageRecord,
    PatientRecord,
    RowProblem,
)
from gateway.db.bulk import copy_rows, is_postgres
from gateway.practice.layout import FileLayout

SEP = "\x1f"
SHOWN = 1000  # the most cross-chunk problems reported

STAGE = Table(
    "practice_pull_keys", MetaData(),
    Column("kind", String(12), nullable=False),  # patient, coverage, appointment, claim, line
    Column("stage_key", String(400), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("extra", String(200)),  # a claim's patient and date of service
    Index("practice_pull_keys_key", "kind", "stage_key"),
    prefixes=["TEMPORARY"],
)

# kind staged -> (file kind, field reported)
KINDS = {"patient": ("patients", "pms_patient_id"), "coverage": ("coverages", "rank"),
         "appointment": ("appointments", "pms_appointment_id"),
         "line": ("claims", "line_number")}


async def open_stage(session: AsyncSession) -> None:
    await session.run_sync(lambda s: STAGE.create(s.connection(), checkfirst=True))
    await session.execute(STAGE.delete())


async def close_stage(session: AsyncSession) -> None:
    await session.run_sync(lambda s: STAGE.drop(s.connection(), checkfirst=True))


def keys_of(records: Iterable[Any]) -> list[dict[str, Any]]:
    """The staged rows of one chunk of records."""
    out: list[dict[str, Any]] = []
    for r in records:
        if isinstance(r, PatientRecord):
            out.append({"kind": "patient", "key": r.pms_patient_id, "row": r.row})
        elif isinstance(r, CoverageRecord):
            out.append({"kind": "coverage", "key": f"{r.pms_patient_id}{SEP}{r.rank}",
                        "row": r.row})
        elif isinstance(r, AppointmentRecord):
            out.append({"kind": "appointment", "key": r.pms_appointment_id, "row": r.row})
        elif isinstance(r, ClaimRecord):
            claim = f"{r.pms_claim_id}{SEP}{r.payer_rank}"
            out.append({"kind": "claim", "key": claim, "row": r.row,
                        "extra": f"{r.pms_patient_id}{SEP}{r.service_date_from.isoformat()}"})
            out.extend({"kind": "line", "key": f"{claim}{SEP}{line.line_number}",
                        "row": r.row, "extra": None} for line in r.lines)
    for row in out:
        row.setdefault("extra", None)
        row["row"] = row["row"] or 0
    return out


async def stage(session: AsyncSession, records: list[Any]) -> None:
    """Stage one chunk's keys: by COPY on PostgreSQL (gateway.db.bulk), else a plain
    executemany of tuples (a narrow table, no conversions needed, so SQLAlchemy's per-row
    parameter handling is skipped)."""
    keys = keys_of(records)
    if not keys:
        return
    if is_postgres(session):
        await copy_rows(session, STAGE, [
            {"kind": r["kind"], "stage_key": r["key"], "source_row": r["row"],
             "extra": r["extra"]} for r in keys])
        return
    rows = [(r["kind"], r["key"], r["row"], r["extra"]) for r in keys]
    conn = await session.connection()
    await conn.exec_driver_sql(
        f"INSERT INTO {STAGE.name} (kind, stage_key, source_row, extra) VALUES (?, ?, ?, ?)",
        rows)


async def claims_staged(session: AsyncSession) -> int:
    """How many claims the pull holds (a claim whose lines lie apart is in several chunks)."""
    distinct = select(STAGE.c.stage_key).where(STAGE.c.kind == "claim").distinct().subquery()
    return int(await session.scalar(select(func.count()).select_from(distinct)) or 0)


async def cross_chunk_problems(
    session: AsyncSession, layouts: dict[str, tuple[FileLayout, str | None]]
) -> list[RowProblem]:
    """Keys repeated across chunks and claims whose chunks disagree, as located problems
    (`layouts`: file kind -> (its layout, its file name))."""
    first = (
        select(STAGE.c.kind, STAGE.c.stage_key, func.min(STAGE.c.source_row).label("row"))
        .group_by(STAGE.c.kind, STAGE.c.stage_key).having(func.count() > 1).subquery()
    )
    later = STAGE.alias("later")
    head = STAGE.alias("head")
    rows = (await session.execute(
        select(later.c.kind, later.c.stage_key, later.c.source_row, first.c.row,
               later.c.extra, head.c.extra)
        .join(first, and_(first.c.kind == later.c.kind,
                          first.c.stage_key == later.c.stage_key))
        .join(head, and_(head.c.kind == first.c.kind, head.c.stage_key == first.c.stage_key,
                         head.c.source_row == first.c.row))
        .where(later.c.source_row > first.c.row)
        .order_by(later.c.kind, later.c.source_row).limit(SHOWN)
    )).all()
    problems: list[RowProblem] = []
    for kind, key, row, first_row, extra, head_extra in rows:
        if kind == "claim":
            if extra == head_extra:
                continue  # the same claim's lines, further down the file: fine
            layout, name = layouts["claims"]
            field = ("pms_patient_id" if extra.split(SEP)[0] != head_extra.split(SEP)[0]
                     else "service_date_from")
            claim = key.split(SEP)[0]
            problems.append(RowProblem(row, layout.header_of(field),
                                       f"claim {claim}'s lines disagree (row {first_row} has "
                                       f"another {field})", name))
            continue
        file_kind, field = KINDS[kind]
        layout, name = layouts[file_kind]
        if kind == "line":
            claim, _, number = key.split(SEP)
            why = f"line {number} of claim {claim} appears twice"
        else:
            why = f"repeats the record of row {first_row}"
        problems.append(RowProblem(row, layout.header_of(field), why, name))
    return problems
