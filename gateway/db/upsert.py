"""Insert-if-absent decided by a unique constraint, on SQLite and PostgreSQL alike.

`INSERT ... ON CONFLICT DO NOTHING` keeps the transaction usable when another process won
the race (an IntegrityError would abort a PostgreSQL transaction), and the constraint, not a
check before the insert, decides who wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

from sqlalchemy import JSON, Table, Text, cast, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _insert_for(session: AsyncSession, table: Table) -> Any:
    name = session.bind.dialect.name if session.bind else "sqlite"
    return (postgresql if name == "postgresql" else sqlite).insert(table)


def dialect_insert(session: AsyncSession, table: Table) -> Any:
    """The session's dialect's INSERT (it has `on_conflict_do_nothing` / `_do_update`)."""
    return _insert_for(session, table)


async def insert_if_absent(
    session: AsyncSession, table: Table, values: dict[str, Any], conflict: list[str]
) -> int | None:
    """Insert a row unless one with the same `conflict` columns exists; the new id or None."""
    stmt = (
        _insert_for(session, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(table.c.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def upsert_many(
    session: AsyncSession,
    table: Table,
    rows: Iterable[dict[str, Any]],
    key: list[str],
    update: list[str],
    chunk: int = 2000,
) -> int:
    """`INSERT ... ON CONFLICT (key) DO UPDATE` of many rows (any iterable), in chunks; a
    row whose values are all the same as the stored ones is left alone (so re-running
    changes nothing). The number of rows inserted or changed."""
    stmt = upsert_changed(_insert_for(session, table), table, key, update)
    return await execute_in_chunks(session, stmt, rows, chunk)


def upsert_changed(stmt: Any, table: Table, key: list[str], update: list[str]) -> Any:
    """`stmt` (an INSERT of the session's dialect, over VALUES or a SELECT) with `ON CONFLICT
    (key) DO UPDATE SET update... WHERE any of them differs RETURNING id`.

    JSON columns are compared as text (PostgreSQL's json type has no equality operator).
    """

    def differs(name: str) -> Any:
        column, new = table.c[name], stmt.excluded[name]
        if isinstance(column.type, JSON):
            return cast(column, Text).is_distinct_from(cast(new, Text))
        return column.is_distinct_from(new)

    return stmt.on_conflict_do_update(
        index_elements=key,
        set_={name: stmt.excluded[name] for name in update},
        where=or_(*(differs(name) for name in update)),
    ).returning(table.c.id)


async def execute_in_chunks(session: AsyncSession, stmt: Any, rows: Iterable[dict[str, Any]],
                            chunk: int = 2000) -> int:
    """Run a RETURNING statement over `rows`, `chunk` parameter sets at a time (so a stream
    of rows is never held whole); the number of rows returned."""
    written = 0
    it = iter(rows)
    while batch := list(islice(it, chunk)):
        written += len((await session.execute(stmt, batch)).all())
    return written
def insert_ignoring_conflicts(session: AsyncSession, table: Table) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` for many rows at once (executemany; add
    `.returning(...)` to learn which rows this transaction inserted)."""
    return _insert_for(session, table).on_conflict_do_nothing()
