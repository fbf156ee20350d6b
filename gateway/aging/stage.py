"""An aging file's rows staged in a temporary table, so an import holds one chunk of them at a
time, never the file.

The rows stream from the reader into `aging_import_rows` (msgpack-encoded `AgingRow`s beside
their claim key and location: COPY on PostgreSQL, executemany elsewhere); what the whole file
decides is SQL over that table (its locations' rows kept, its totals, the claims gone from it),
and the claims are then read back a chunk of claim keys at a time, each claim's rows together
(`claim_chunks`). The table lives inside the import's transaction and is dropped at its end:
nothing of it is ever visible to anyone else.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any

import msgspec
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.names import normalize_payer_name
from gateway.core.records import AgingExport, AgingRow
from gateway.db.bulk import copy_rows, is_postgres
from gateway.ledger.models import Claim

CHUNK = 2000  # rows staged per statement, and claims per chunk read back

ROWS = Table(
    "aging_import_rows", MetaData(),
    Column("seq", Integer, nullable=False),
    Column("claim_key", String(80), nullable=False),
    Column("payer_rank", Integer, nullable=False),
    Column("location", String),  # as the file has it (unbounded: COPY checks lengths)
    Column("balance_cents", BigInteger, nullable=False),
    Column("row", LargeBinary, nullable=False),
    Index("aging_import_rows_key", "claim_key", "payer_rank", "seq"),
    prefixes=["TEMPORARY"],
)

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(AgingRow).decode


@dataclass
class Staged:
    """What staging learnt of the whole file on the way (bounded: a file names few payers
    and locations)."""

    rows: int = 0
    locations: set[str] = field(default_factory=set)
    # location value ("" for none) -> normalised payer name ("" when it has no letters or
    # digits) -> the first rows naming it (one per name; every one for "")
    payers: dict[str, dict[str, list[AgingRow]]] = field(default_factory=dict)

    def payers_of(self, kept: set[str] | None) -> dict[str, list[AgingRow]]:
        """The payers of the rows kept (`kept`: location values; None: every row)."""
        out: dict[str, list[AgingRow]] = {}
        for location, names in self.payers.items():
            if kept is None or not location or location in kept:
                for norm, rows in names.items():
                    if norm:
                        out.setdefault(norm, rows)
                    else:
                        out.setdefault(norm, []).extend(rows)
        return out


async def open_rows(session: AsyncSession) -> None:
    await session.run_sync(lambda s: ROWS.create(s.connection(), checkfirst=True))
    await session.execute(ROWS.delete())


async def close_rows(session: AsyncSession) -> None:
    await session.run_sync(lambda s: ROWS.drop(s.connection(), checkfirst=True))


def _take(rows: Iterator[AgingRow]) -> list[AgingRow]:
    return list(islice(rows, CHUNK))


async def stage_rows(session: AsyncSession, export: AgingExport) -> Staged:
    """Stage every row, read a chunk at a time in a worker thread (the reader streams; the
    event loop never parses), learning the file's locations and payers on the way."""
    seen = Staged()
    postgres = is_postgres(session)
    rows = export.iter_rows()
    while chunk := await asyncio.to_thread(_take, rows):
        staged = []
        for r in chunk:
            seen.rows += 1
            if r.location:
                seen.locations.add(r.location)
            if r.payer_name:
                names = seen.payers.setdefault(r.location or "", {})
                norm = normalize_payer_name(r.payer_name)
                if norm not in names:
                    names[norm] = [r]
                elif not norm:
                    names[norm].append(r)
            staged.append({"seq": seen.rows, "claim_key": r.claim_id[:80],
                           "payer_rank": r.payer_rank, "location": r.location,
                           "balance_cents": int(r.balance.scaleb(2)), "row": _encode(r)})
        if postgres:
            await copy_rows(session, ROWS, staged)
        else:  # plain tuples on the driver: nothing here needs converting or bounding
            conn = await session.connection()
            await conn.exec_driver_sql(
                f"INSERT INTO {ROWS.name} ({', '.join(staged[0])}) VALUES (?, ?, ?, ?, ?, ?)",
                [tuple(r.values()) for r in staged])
    return seen


async def drop_locations(session: AsyncSession, kept: set[str]) -> int:
    """Remove the staged rows of other locations (a row without one is kept); how many."""
    result = await session.execute(delete(ROWS).where(
        ROWS.c.location.is_not(None), ROWS.c.location != "", ROWS.c.location.not_in(kept)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # CursorResult


async def unlocated_rows(session: AsyncSession) -> bool:
    """Whether a staged row names no location."""
    return await session.scalar(select(
        select(ROWS.c.seq).where(or_(ROWS.c.location.is_(None), ROWS.c.location == ""))
        .exists())) or False


async def totals(session: AsyncSession) -> tuple[int, Decimal]:
    """(rows, balance total) of the staged rows."""
    count, cents = (await session.execute(
        select(func.count(), func.coalesce(func.sum(ROWS.c.balance_cents), 0)))).one()
    return int(count), Decimal(int(cents)).scaleb(-2)


def _key(key: tuple[str, int]) -> Any:
    return tuple_(literal(key[0]), literal(key[1]))


async def claim_chunks(session: AsyncSession, size: int = CHUNK
                       ) -> AsyncIterator[dict[tuple[str, int], list[AgingRow]]]:
    """The staged rows by claim key (in file order within a claim), `size` claims at a time:
    keyset pages over the table's index, so each page costs the same."""
    key = tuple_(ROWS.c.claim_key, ROWS.c.payer_rank)
    after: tuple[str, int] | None = None
    while True:
        keys = select(ROWS.c.claim_key, ROWS.c.payer_rank).distinct()
        if after is not None:
            keys = keys.where(key > _key(after))
        page = (await session.execute(
            keys.order_by(ROWS.c.claim_key, ROWS.c.payer_rank).limit(size))).all()
        if not page:
            return
        last = (page[-1][0], page[-1][1])
        rows = select(ROWS.c.claim_key, ROWS.c.payer_rank, ROWS.c.row).where(key <= _key(last))
        if after is not None:
            rows = rows.where(key > _key(after))
        out: dict[tuple[str, int], list[AgingRow]] = {}
        for claim_key, rank, blob in await session.execute(
                rows.order_by(ROWS.c.claim_key, ROWS.c.payer_rank, ROWS.c.seq)):
            out.setdefault((claim_key, rank), []).append(_decode(blob))
        yield out
        after = last


async def gone_claims(session: AsyncSession, practice_id: int, location_id: int,
                      vendor: str) -> list[tuple[int, str, int, Any, str]]:
    """This location's open aging claims the staged file no longer names: (id, source claim
    id, rank, completed_at, status)."""
    named = select(ROWS.c.seq).where(ROWS.c.claim_key == Claim.source_claim_id,
                                     ROWS.c.payer_rank == Claim.payer_rank).exists()
    rows = await session.execute(
        select(Claim.id, Claim.source_claim_id, Claim.payer_rank, Claim.completed_at,
               Claim.status)
        .where(Claim.practice_id == practice_id, Claim.location_id == location_id,
               Claim.source_vendor == vendor, Claim.completed_at.is_(None), not_(named))
    )
    return [tuple(r) for r in rows.all()]


