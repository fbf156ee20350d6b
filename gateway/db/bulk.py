"""Bulk writes: the one place that knows how to write many rows fast on each backend.

PostgreSQL: COPY (asyncpg's `copy_records_to_table`, binary) on the session's own connection,
inside its transaction -- a plain append for rows nothing else can write (`copy_rows`), COPY
into a temporary table then one `INSERT ... ON CONFLICT DO NOTHING` where a unique constraint
decides idempotency across processes (`copy_insert_if_absent`), and COPY into a temporary
table then one `UPDATE ... FROM` for many updates by id (`copy_update_by_id`). Small batches
(under `COPY_MIN` rows) are not worth a COPY's round trips and go by executemany.

SQLite and any other backend: the same functions run executemany (prepared statements).

Values go through each column's own bind processor first (Money -> integer cents, JSON ->
text), so what is stored is exactly what a Core INSERT would store.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import bounds

__all__ = ["COPY_MIN", "copy_insert_if_absent", "copy_rows", "copy_update_by_id", "is_postgres"]

COPY_MIN = 50  # rows: below this an executemany is as fast as a COPY
_names = itertools.count(1)


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _records(session: AsyncSession, table: Table, cols: Sequence[str],
             rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows as tuples of stored values (each column's bind processor applied), bounded
    first as the ORM path bounds them (hook: gateway.db.bounds.check_rows)."""
    bounds.check_rows(table, cols, rows)
    dialect = session.bind.dialect
    procs = [table.c[c].type._cached_bind_processor(dialect) for c in cols]
    out = []
    for r in rows:
        out.append(tuple(v if p is None or v is None else p(v)
                         for v, p in zip((r[c] for c in cols), procs, strict=True)))
    return out


async def _driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, its transaction begun (a COPY outside it
    would commit on its own)."""
    await session.flush()
    conn = await session.connection()
    await conn.exec_driver_sql("SELECT 1")  # the adapter begins its transaction lazily
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def _copy_into_temp(session: AsyncSession, table: Table, cols: list[str],
                          rows: Sequence[dict[str, Any]]) -> tuple[Any, str]:
    """A temporary table shaped like `cols` of `table` (no constraints), filled by COPY."""
    apg = await _driver(session)
    temp = f"_bulk_{table.name}_{next(_names)}"
    names = ", ".join(f'"{c}"' for c in cols)
    await apg.execute(f'CREATE TEMPORARY TABLE "{temp}" ON COMMIT DROP AS '
                      f'SELECT {names} FROM "{table.name}" WITH NO DATA')
    await apg.copy_records_to_table(temp, records=_records(session, table, cols, rows),
                                    columns=cols)
    return apg, temp


async def copy_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (all rows have the keys of the first): COPY on PostgreSQL."""
    if not rows:
        return
    if not is_postgres(session) or len(rows) < COPY_MIN:
        await session.execute(insert(table), list(rows))
        return
    cols = list(rows[0])
    apg = await _driver(session)
    await apg.copy_records_to_table(table.name, records=_records(session, table, cols, rows),
                                    columns=cols)


async def copy_insert_if_absent(session: AsyncSession, table: Table,
                                rows: Sequence[dict[str, Any]], conflict: Sequence[str]) -> int:
    """INSERT the rows a unique constraint on `conflict` does not already hold (the database
    decides, also across processes); returns how many were inserted."""
    if not rows:
        return 0
    cols = list(rows[0])
    if not is_postgres(session) or len(rows) < COPY_MIN:
        dialect = session.bind.dialect.name
        if dialect == "postgresql":
            stmt: Any = pg_insert(table).on_conflict_do_nothing(index_elements=list(conflict))
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=list(conflict))
        res = await session.execute(stmt, list(rows))
        return int(res.rowcount or 0)  # type: ignore[attr-defined]  # CursorResult
    apg, temp = await _copy_into_temp(session, table, cols, rows)
    names = ", ".join(f'"{c}"' for c in cols)
    keys = ", ".join(f'"{c}"' for c in conflict)
    status = await apg.execute(
        f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{temp}" '
        f"ON CONFLICT ({keys}) DO NOTHING")
    await apg.execute(f'DROP TABLE "{temp}"')
    return int(status.split()[-1])


async def copy_update_by_id(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]],
                            key: str = "b_id") -> None:
    """UPDATE table SET <other keys> WHERE id = row[key] for every row (same keys in all)."""
    if not rows:
        return
    cols = [k for k in rows[0] if k != key]
    if not is_postgres(session) or len(rows) < COPY_MIN:
        await session.execute(
            update(table).where(table.c.id == bindparam(key)).values(
                {k: bindparam(k) for k in cols}),
            list(rows))
        return
    renamed = [{"id": r[key], **{c: r[c] for c in cols}} for r in rows]
    apg, temp = await _copy_into_temp(session, table, ["id", *cols], renamed)
    sets = ", ".join(f'"{c}" = u."{c}"' for c in cols)
    await apg.execute(f'UPDATE "{table.name}" AS t SET {sets} FROM "{temp}" AS u '
                      "WHERE t.id = u.id")
    await apg.execute(f'DROP TABLE "{temp}"')
