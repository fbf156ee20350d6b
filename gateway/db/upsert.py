"""Insert-if-absent decided by a unique constraint, on SQLite and PostgreSQL alike.

`INSERT ... ON CONFLICT DO NOTHING` keeps the transaction usable when another process won
the race (an IntegrityError would abort a PostgreSQL transaction), and the constraint, not a
check before the insert, decides who wins.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _insert_for(session: AsyncSession, table: Table) -> Any:
    name = session.bind.dialect.name if session.bind else "sqlite"
    return (postgresql if name == "postgresql" else sqlite).insert(table)


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


def insert_ignoring_conflicts(session: AsyncSession, table: Table) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` for many rows at once (executemany; add
    `.returning(...)` to learn which rows this transaction inserted)."""
    return _insert_for(session, table).on_conflict_do_nothing()
