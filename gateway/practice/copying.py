"""One chunk of practice data upserted in as few round trips as each backend allows.

PostgreSQL: the chunk goes by COPY (`gateway.db.bulk.copy_rows`) into a temporary table shaped
like the target's written columns, then one `INSERT ... SELECT ... ON CONFLICT ... DO UPDATE
... RETURNING` applies it: no per-row statement parameters for SQLAlchemy to compile and bind,
no multi-VALUES statement for the server to parse. The temporary table is made once per
transaction (`ON COMMIT DROP`), emptied after each chunk, and never visible to anyone else.
The unique constraint still decides idempotency, also across processes.

A chunk too small for a COPY reaches the temporary table by executemany (`copy_rows`) and
takes the same statement, so both paths compute the same columns.
SQLite: the same statement over VALUES, executemany.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Column, MetaData, Table, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.bulk import copy_rows, is_postgres
from gateway.db.upsert import dialect_insert, execute_in_chunks

Finish = Callable[[Any], Any]  # an INSERT -> it with ON CONFLICT ... RETURNING added
Computed = Callable[[Table], dict[str, Any]]  # the staged chunk -> {column: SQL expression}


def _temp_for(table: Table, cols: list[str]) -> Table:
    """The temporary table of `table`'s columns `cols` (their types bind the COPY's values)."""
    name = f"_pull_{table.name}_{zlib.crc32(','.join(cols).encode()):08x}"
    return Table(name, MetaData(), *(Column(c, table.c[c].type) for c in cols))


async def upsert_rows(session: AsyncSession, table: Table, rows: Iterable[dict[str, Any]],
                      finish: Finish, computed: Computed | None = None) -> int:
    """Run `finish(INSERT INTO table ...)` over `rows` (all with the same keys); the number of
    rows its RETURNING answers (the rows inserted or changed). `computed(staged)`: columns
    the database works out from the staged row (PostgreSQL path only; over VALUES they are
    left out, so `excluded` holds NULL for them)."""
    batch = list(rows)
    if not batch:
        return 0
    if not is_postgres(session):
        return await execute_in_chunks(session, finish(dialect_insert(session, table)), batch)
    cols = list(batch[0])
    temp = _temp_for(table, cols)
    names = ", ".join(f'"{c}"' for c in cols)
    await session.execute(text(
        f'CREATE TEMPORARY TABLE IF NOT EXISTS "{temp.name}" ON COMMIT DROP AS '
        f'SELECT {names} FROM "{table.name}" WITH NO DATA'))
    await copy_rows(session, temp, batch)
    extra = computed(temp) if computed else {}
    stmt = finish(dialect_insert(session, table).from_select(
        [*cols, *extra], select(*temp.c, *extra.values())))
    written = len((await session.execute(stmt)).all())
    await session.execute(text(f'DELETE FROM "{temp.name}"'))
    return written
