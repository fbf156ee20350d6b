"""Bulk reads and writes for the posting engine and the ERA import, without per-row overhead.

SQLAlchemy's executemany builds a parameter dict per row through the compiled statement
(`construct_params`), which dominates a 100k-claim import or posting. On SQLite these helpers
hand the driver one `executemany` of plain tuples instead (one hop to the aiosqlite thread per
statement), after running each column's own bind processor (Money -> integer cents, JSON ->
text, dates -> ISO text), so the stored values are exactly what the Core statement would store.
On PostgreSQL they write through COPY (`gateway.db.bulk`).

Reads go through the session's Core connection (no ORM result machinery) after a flush, so
pending ORM changes are visible exactly as with `session.execute`.
"""

from __future__ import annotations

from itertools import starmap
from keyword import iskeyword
from typing import Any

from sqlalchemy import JSON, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.bulk import bound_tuples, copy_insert_if_absent, copy_rows, copy_update_by_id


def is_sqlite(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "sqlite"


async def _sqlite_insert(session: AsyncSession, table: Table, rows: list[dict[str, Any]],
                         tail: str = "") -> int:
    """SQLite: one executemany of `INSERT ... VALUES (?, ...) <tail>`; the rows inserted."""
    cols = list(rows[0])
    names = ", ".join(f'"{c}"' for c in cols)
    marks = ", ".join("?" for _ in cols)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks}){tail}'
    params = bound_tuples(session, table, rows, cols)
    conn = await session.connection()
    return int((await conn.exec_driver_sql(sql, params)).rowcount)


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT every row (all rows have the keys of the first one)."""
    if not rows:
        return
    if not is_sqlite(session):
        await copy_rows(session, table, rows)  # COPY on PostgreSQL (gateway.db.bulk)
        return
    await _sqlite_insert(session, table, rows)


async def insert_absent_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]],
                             conflict: list[str]) -> int:
    """INSERT the rows a unique constraint on `conflict` does not hold yet (the database
    decides, also across processes); returns how many were inserted."""
    if not rows:
        return 0
    if not is_sqlite(session):
        return await copy_insert_if_absent(session, table, rows, conflict)
    keys = ", ".join(f'"{c}"' for c in conflict)
    return await _sqlite_insert(session, table, rows, f" ON CONFLICT ({keys}) DO NOTHING")


async def update_by_id(session: AsyncSession, table: Table, rows: list[dict[str, Any]],
                       key: str = "b_id") -> None:
    """UPDATE table SET <other keys> WHERE id = row[key], for every row (same keys in all)."""
    if not rows:
        return
    cols = [k for k in rows[0] if k != key]
    if not is_sqlite(session):
        await copy_update_by_id(session, table, rows, key)  # COPY + UPDATE FROM on PostgreSQL
        return
    sets = ", ".join(f'"{c}" = ?' for c in cols)
    sql = f'UPDATE "{table.name}" SET {sets} WHERE id = ?'
    params = bound_tuples(session, table, rows, cols, key)
    conn = await session.connection()
    await conn.exec_driver_sql(sql, params)


async def fetch(session: AsyncSession, q: Any) -> list[Any]:
    """Rows of a Core select through the session's connection (no ORM loading)."""
    await session.flush()
    conn = await session.connection()
    return list((await conn.execute(q)).all())


_ROW_CLASSES: dict[tuple[str, ...], type] = {}


def row_class(cols: tuple[str, ...]) -> type:
    """A plain mutable class whose constructor takes `cols` positionally (six times cheaper to
    build 100k of than a SimpleNamespace from a dict); one per column list."""
    cls = _ROW_CLASSES.get(cols)
    if cls is None:
        if all(c.isidentifier() and not iskeyword(c) for c in cols):
            args = [f"_{i}" for i in range(len(cols))]
            body = "".join(f"    self.{c} = {a}\n" for c, a in zip(cols, args, strict=True))
            namespace: dict[str, Any] = {}
            exec(f"def __init__(self, {', '.join(args)}):\n{body or '    pass'}\n",  # noqa: S102
                 namespace)
            init = namespace["__init__"]
        else:
            def init(self: Any, *values: Any) -> None:
                for c, v in zip(cols, values, strict=True):
                    setattr(self, c, v)
        cls = type("Row", (), {"__init__": init})
        _ROW_CLASSES[cols] = cls
    return cls


async def fetch_objects(session: AsyncSession, q: Any) -> list[Any]:
    """Rows as plain mutable objects (attribute access by column name)."""
    await session.flush()
    conn = await session.connection()
    res = await conn.execute(q)
    return list(starmap(row_class(tuple(res.keys())), res.all()))


_FLAT = (str, int, float, bool, type(None))


def _json_column(proc: Any, values: tuple[Any, ...]) -> list[Any]:
    """JSON decoded once per distinct stored text; every row gets its own copy (a flat list or
    dict is copied shallowly, anything nested is decoded again), so rows never share objects."""
    decoded: dict[Any, tuple[Any, bool]] = {}
    out: list[Any] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        hit = decoded.get(v)
        if hit is None:
            obj = proc(v)
            flat = (isinstance(obj, list) and all(isinstance(x, _FLAT) for x in obj)) or (
                isinstance(obj, dict) and all(isinstance(x, _FLAT) for x in obj.values()))
            hit = decoded[v] = (obj, flat or isinstance(obj, _FLAT))
            if not hit[1]:
                out.append(obj)  # decoded for this row only
                continue
        obj, flat = hit  # the cached object itself is never handed out when flat
        if not flat:
            out.append(proc(v))
        elif isinstance(obj, list):
            out.append(list(obj))
        elif isinstance(obj, dict):
            out.append(dict(obj))
        else:
            out.append(obj)
    return out


def _result_column(session: AsyncSession, table: Table, col: str, values: tuple[Any, ...]) -> Any:
    """One column of stored values through the column's result processor: once per distinct
    stored value (money, dates, flags repeat), except JSON, decoded fresh for every row (its
    objects are mutable)."""
    column = table.c[col]
    proc = column.type._cached_result_processor(session.bind.dialect, None)
    if proc is None:
        return values
    if isinstance(column.type, JSON):
        return _json_column(proc, values)
    try:
        done = {v: (proc(v) if v is not None else None) for v in set(values)}
    except TypeError:  # unhashable stored value
        return [proc(v) if v is not None else None for v in values]
    if any(isinstance(x, (list, dict, set, bytearray)) for x in done.values()):
        return [proc(v) if v is not None else None for v in values]  # mutable: one per row
    return list(map(done.__getitem__, values))


async def fetch_where_in(session: AsyncSession, table: Table, col: str, ids: list[int],
                         order_by: list[str]) -> list[Any]:
    """Every column of the rows whose `col` is in `ids`, ordered, as plain mutable objects."""
    if not ids:
        return []
    if not is_sqlite(session):
        return await fetch_objects(
            session, select(table).where(table.c[col].in_(ids))
            .order_by(*(table.c[c] for c in order_by)))
    marks = ", ".join("?" for _ in ids)
    order = ", ".join(f'"{c}"' for c in order_by)
    return await select_raw(session, table, f'"{col}" IN ({marks}) ORDER BY {order}',
                            tuple(ids))


async def select_raw(session: AsyncSession, table: Table, tail: str,
                     params: tuple[Any, ...]) -> list[Any]:
    """SQLite only: every column of `SELECT ... FROM table WHERE <tail>` (tail: plain SQL with
    `?` parameters, which are passed as they are), as plain mutable objects."""
    await session.flush()
    cols = [c.name for c in table.columns]
    names = ", ".join(f'"{c}"' for c in cols)
    sql = f'SELECT {names} FROM "{table.name}" WHERE {tail}'
    conn = await session.connection()
    raw = (await conn.exec_driver_sql(sql, params)).all()
    if not raw:
        return []
    columns = [_result_column(session, table, c, vals)
               for c, vals in zip(cols, zip(*raw, strict=True), strict=True)]
    return list(starmap(row_class(tuple(cols)), zip(*columns, strict=True)))
