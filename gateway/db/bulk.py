"""Bulk writes: the one place that knows how to write many rows fast on each backend.

PostgreSQL: COPY (asyncpg's `copy_records_to_table`, binary) on the session's own connection,
inside its transaction -- a plain append for rows nothing else can write (`copy_rows`), COPY
into a temporary table then one `INSERT ... ON CONFLICT DO NOTHING` where a unique constraint
decides idempotency across processes (`copy_insert_if_absent`), and COPY into a temporary
table then one `UPDATE ... FROM` for many updates by id (`copy_update_by_id`). Small batches
(under `COPY_MIN` rows) are not worth a COPY's round trips and go by executemany.

SQLite and any other backend: the same functions run executemany (prepared statements).

Values go through each column's own bind processor first (Money -> integer cents, JSON ->
text; None stays SQL NULL), column by column and once per distinct value (`bound_tuples`, which
the SQLite executemany path of `gateway.posting.bulk` shares).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db import bounds

__all__ = [
    "COPY_MIN", "bound_tuples", "copy_insert_if_absent", "copy_rows", "copy_update_by_id",
    "is_postgres",
]

COPY_MIN = 50  # rows: below this an executemany is as fast as a COPY
_names = itertools.count(1)


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _processors(session: AsyncSession, table: Table, cols: list[str]) -> list[Any]:
    dialect = session.bind.dialect
    return [table.c[k].type._cached_bind_processor(dialect) for k in cols]


_SCALARS = frozenset({Decimal, int, str, dt.date, dt.datetime, bool})


def _column(values: list[Any], proc: Any) -> list[Any]:
    """One column's values through its bind processor (None stays None: SQL NULL). An ERA
    repeats the same amounts, dates and timestamps many times, so a column of hashable scalars
    of one type is processed once per distinct value; anything else value by value."""
    if proc is None:
        return values
    try:
        distinct = set(values)
    except TypeError:  # lists / dicts (JSON): most are empty
        empty: dict[type, Any] = {}
        out = []
        for v in values:
            t = type(v)
            if (t is list or t is dict) and not v:
                if t not in empty:
                    empty[t] = proc(v)
                out.append(empty[t])
            else:
                out.append(None if v is None else proc(v))
        return out
    kinds = {type(v) for v in distinct if v is not None}
    if len(kinds) > 1 or not kinds <= _SCALARS:
        return [None if v is None else proc(v) for v in values]
    done = {v: None if v is None else proc(v) for v in distinct}
    return list(map(done.__getitem__, values))


def _tuples(rows: list[dict[str, Any]], cols: list[str], procs: list[Any]) -> list[tuple[Any, ...]]:
    get = itemgetter(*cols)
    if len(cols) == 1:
        plain: list[tuple[Any, ...]] = [(v,) for v in map(get, rows)]
    else:
        plain = list(map(get, rows))
    if not any(p is not None for p in procs):
        return plain
    columns = [_column(list(vals), p) if p is not None else vals
               for vals, p in zip(zip(*plain, strict=True), procs, strict=True)]
    return list(zip(*columns, strict=True))


def bound_tuples(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]],
                 cols: Sequence[str], *plain: str) -> list[tuple[Any, ...]]:
    """The rows as tuples of stored values: `cols` through each column's bind processor
    (column by column, once per distinct value), then the `plain` keys as they are. The
    values are bounded first as the ORM path bounds them (hook: gateway.db.bounds.check_rows)."""
    bounds.check_rows(table, cols, rows)
    procs = [*_processors(session, table, list(cols)), *(None for _ in plain)]
    return _tuples(list(rows), [*cols, *plain], procs)


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
    await apg.copy_records_to_table(temp, records=bound_tuples(session, table, rows, cols),
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
    await apg.copy_records_to_table(table.name, records=bound_tuples(session, table, rows, cols),
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
