"""Values are bounded before they reach the database, so SQLite and PostgreSQL refuse and
accept the same things: a NUL character anywhere, a string longer than its column, an integer
past its column's width. Each refusal names the table and column, never the value, and
nothing of the write is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.core.errors import UserError
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.models import Patient, Practice
from tests.conftest import PracticeKeys
from tests.hardening.live import fresh_database

SECRET_NAME = "Zebulon"


@pytest.fixture(params=["sqlite", "postgresql"])
def both_url(request: pytest.FixtureRequest, migrated_sqlite_template: Path,
             tmp_path: Path) -> str:
    if request.param == "sqlite":
        return fresh_database(migrated_sqlite_template, tmp_path)
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def both_engine(both_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(both_url)
    yield engine
    await engine.dispose()


async def _practice(session: AsyncSession) -> int:
    pid = await session.scalar(insert(Practice).values(name="Clearview Eye", settings={})
                               .returning(Practice.id))
    await session.commit()
    assert pid is not None
    return int(pid)


async def _patients(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Patient)) or 0)


@pytest.mark.parametrize(("field", "value", "why"), [
    ("first_name", f"{SECRET_NAME}\x00", "NUL character"),
    ("account", "x" * 81, "81 characters long, over the 80"),
    ("last_name", "y" * 101, "101 characters long, over the 100"),
])
async def test_orm_writes_are_refused_alike(both_engine: AsyncEngine, field: str, value: str,
                                            why: str) -> None:
    async with make_sessionmaker(both_engine)() as session:
        pid = await _practice(session)
        row = {"practice_id": pid, "account": "A1", field: value}
        session.add(Patient(**row))
        with pytest.raises(UserError) as caught:
            await session.commit()
        await session.rollback()
        assert caught.value.where == f"patients.{field}"
        assert why in str(caught.value) and SECRET_NAME not in str(caught.value)
        assert await _patients(session) == 0


async def test_the_longest_value_a_column_holds_is_stored_on_both(
        both_engine: AsyncEngine) -> None:
    async with make_sessionmaker(both_engine)() as session:
        pid = await _practice(session)
        await session.execute(insert(Patient).values(practice_id=pid, account="a" * 80,
                                                     first_name="é" * 100))
        await session.commit()
        assert await session.scalar(select(Patient.first_name)) == "é" * 100


async def test_core_bulk_writes_and_searches_are_checked(both_engine: AsyncEngine) -> None:
    async with make_sessionmaker(both_engine)() as session:
        pid = await _practice(session)
        rows = [{"practice_id": pid, "account": f"A{i}"} for i in range(5)]
        rows[3]["account"] = "bad\x00"
        with pytest.raises(UserError, match="NUL"):
            await session.execute(insert(Patient), rows)
        await session.rollback()
        assert await _patients(session) == 0  # not one row of the batch
        # a longer text in a search is fine on both, a NUL in one is refused by both
        assert (await session.scalars(select(Patient).where(
            Patient.account == "z" * 500))).all() == []
        with pytest.raises(UserError, match="NUL"):
            await session.scalars(select(Patient).where(Patient.account == "a\x00"))


async def test_integer_past_its_column_is_refused(both_engine: AsyncEngine) -> None:
    from gateway.db.models import AuditLog

    async with make_sessionmaker(both_engine)() as session:
        pid = await _practice(session)
        with pytest.raises(UserError, match="out of the range") as caught:
            await session.execute(insert(AuditLog).values(
                practice_id=pid, actor="t", action="x", object_type="y", object_id=2**31,
                detail={}))
        assert caught.value.where == f"{AuditLog.__tablename__}.object_id"


@pytest.mark.parametrize(("value", "why"), [("x" * 81, "81 characters long, over the 80"),
                                            (f"{SECRET_NAME}\x00", "NUL character")])
async def test_copy_rows_are_bounded_like_the_orm(both_engine: AsyncEngine, value: str,
                                                  why: str) -> None:
    """gateway.db.bulk's COPY path (PostgreSQL, >= COPY_MIN rows; executemany on SQLite):
    the same refusal, naming table, column and row, and nothing written."""
    from gateway.db.bulk import COPY_MIN, copy_rows

    async with make_sessionmaker(both_engine)() as session:
        pid = await _practice(session)
        rows = [{"practice_id": pid, "account": f"A{i}"} for i in range(COPY_MIN + 10)]
        rows[41]["account"] = value
        with pytest.raises(UserError) as caught:
            await copy_rows(session, Patient.__table__, rows)  # type: ignore[arg-type]
        await session.rollback()
        assert caught.value.where in ("patients.account, row 42", "patients.account")
        assert why in str(caught.value) and SECRET_NAME not in str(caught.value)
        assert await _patients(session) == 0


async def test_raw_sql_is_refused_a_nul_alike(both_engine: AsyncEngine) -> None:
    from sqlalchemy import text

    async with make_sessionmaker(both_engine)() as session:
        pid = await _practice(session)
        with pytest.raises(UserError, match="NUL"):
            await session.execute(text("INSERT INTO patients (practice_id, account) "
                                       "VALUES (:p, :a)"), {"p": pid, "a": "a\x00b"})
        await session.rollback()
        conn = await session.connection()
        with pytest.raises(UserError, match="NUL"):
            await conn.exec_driver_sql(
                "INSERT INTO patients (practice_id, account) VALUES "
                + ("($1, $2)" if both_engine.dialect.name == "postgresql" else "(?, ?)"),
                (pid, "a\x00b"))
        await session.rollback()
        assert await _patients(session) == 0


async def test_the_api_answers_a_located_4xx(client: AsyncTestClient,
                                             practice: PracticeKeys) -> None:
    claim = {"patient": {"account": "A100", "first_name": f"{SECRET_NAME}\x00",
                         "last_name": "Doe"},
             "service_date_from": "2026-10-01", "diagnosis_codes": ["H52.13"],
             "lines": [{"procedure_code": "92014", "charge": "150.00"}]}
    r = await client.post("/api/claims", json=claim, headers=practice.headers("biller"))
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["where"] == "patients.first_name" and SECRET_NAME not in r.text
