"""The bulk-write module (gateway.db.bulk): COPY on PostgreSQL, executemany elsewhere, and the
same rows stored either way; a conflict decided by the unique constraint, not by a check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.practices import create_practice
from gateway.db.bulk import COPY_MIN, copy_insert_if_absent, copy_rows, copy_update_by_id
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.models import ImportedFile

FILES: Table = ImportedFile.__table__  # type: ignore[assignment]  # a Table at runtime
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
N = COPY_MIN * 3  # enough rows for the COPY path


async def _on_postgres(pg_url: str, check: Callable[[AsyncSession], Awaitable[None]]) -> None:
    engine = make_engine(pg_url)
    try:
        async with make_sessionmaker(engine)() as s:
            await check(s)
    finally:
        await engine.dispose()


def _rows(pid: int, names: range) -> list[dict[str, object]]:
    return [{"practice_id": pid, "connector_id": None, "location_id": None, "kind": "era",
             "name": f"f{n}.835", "sha256": f"{n:064d}", "size": n, "status": "imported",
             "summary": {"claims": n, "ids": [n, n + 1]}, "created_at": NOW}
            for n in names]


async def _stored(s: AsyncSession) -> list[tuple[object, ...]]:
    return [tuple(r) for r in (await s.execute(
        select(FILES.c.name, FILES.c.size, FILES.c.status, FILES.c.summary)
        .order_by(FILES.c.size))).all()]


async def _copy_rows_stores_what_an_insert_stores(s: AsyncSession) -> None:
    pid = await create_practice(s, "Bulk Eye")
    await copy_rows(s, FILES, _rows(pid, range(N)))
    stored = await _stored(s)
    assert len(stored) == N
    assert stored[7] == ("f7.835", 7, "imported", {"claims": 7, "ids": [7, 8]})


async def _insert_if_absent_lets_the_unique_constraint_decide(s: AsyncSession) -> None:
    pid = await create_practice(s, "Bulk Eye")
    assert await copy_insert_if_absent(s, FILES, _rows(pid, range(N)),
                                       ["practice_id", "kind", "sha256"]) == N
    # half of them again, half new: only the new ones go in, the old keep their values
    again = _rows(pid, range(N // 2, N + N // 2))
    for r in again:
        r["status"] = "again"
    assert await copy_insert_if_absent(s, FILES, again, ["practice_id", "kind", "sha256"]) == (
        N // 2)
    stored = await _stored(s)
    assert len(stored) == N + N // 2
    assert [r[2] for r in stored].count("again") == N // 2
    assert stored[N - 1][2] == "imported"


async def _update_by_id_sets_each_row_its_own_values(s: AsyncSession) -> None:
    pid = await create_practice(s, "Bulk Eye")
    await copy_rows(s, FILES, _rows(pid, range(N)))
    ids = (await s.scalars(select(FILES.c.id).order_by(FILES.c.size))).all()
    await copy_update_by_id(s, FILES, [{"b_id": i, "status": f"s{k}", "summary": {"k": k}}
                                       for k, i in enumerate(ids)])
    stored = await _stored(s)
    assert stored[5][2:] == ("s5", {"k": 5})
    assert await s.scalar(select(func.count()).select_from(FILES).where(
        FILES.c.status.like("s%"))) == N
    await s.rollback()  # the COPY ran inside the session's transaction: nothing stays
    assert await s.scalar(select(func.count()).select_from(FILES)) == 0


async def test_copy_rows_stores_what_an_insert_stores_on_sqlite(session):
    await _copy_rows_stores_what_an_insert_stores(session)


async def test_copy_rows_stores_what_an_insert_stores_on_postgres(pg_url):
    await _on_postgres(pg_url, _copy_rows_stores_what_an_insert_stores)


async def test_insert_if_absent_lets_the_unique_constraint_decide_on_sqlite(session):
    await _insert_if_absent_lets_the_unique_constraint_decide(session)


async def test_insert_if_absent_lets_the_unique_constraint_decide_on_postgres(pg_url):
    await _on_postgres(pg_url, _insert_if_absent_lets_the_unique_constraint_decide)


async def test_update_by_id_sets_each_row_its_own_values_on_sqlite(session):
    await _update_by_id_sets_each_row_its_own_values(session)


async def test_update_by_id_sets_each_row_its_own_values_on_postgres(pg_url):
    await _on_postgres(pg_url, _update_by_id_sets_each_row_its_own_values)
