"""The receipt vocabulary as types: StrEnum columns, CHECK constraints that agree with the
enums (SQLite and PostgreSQL), and a migration that adds them to a database holding receipts."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import sqlite3
from decimal import Decimal as D
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError, StatementError

from gateway.admin.practices import create_practice
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.migrate import MIGRATIONS, upgrade
from gateway.receipts import service
from gateway.receipts.enums import Behaviour, HoldSetBy, Method, ReceiptStatus, Source
from gateway.receipts.models import Receipt
from gateway.receipts.schemas import ReceiptIn
from tests.receipts import helpers as h

DAY = dt.date(2026, 3, 9)


def _migration() -> ModuleType:
    path = MIGRATIONS / "versions" / "0020_receipts_vocabulary.py"
    spec = importlib.util.spec_from_file_location("m0020", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_freezes_the_enums_of_today():
    m = _migration()
    assert m.STATUSES == tuple(ReceiptStatus)
    assert m.BEHAVIOURS == tuple(Behaviour)
    assert m.METHODS == tuple(Method)
    assert m.SOURCES == tuple(Source)
    assert m.HOLD_SET_BY == tuple(HoldSetBy)


async def _record(session, pid: int) -> int:
    return await service.create_receipt(session, pid, ReceiptIn(
        received_on=DAY, amount=D("10.00"), type="General Payment", patient_account="A1"),
        actor="t", today=DAY)


async def _refused_by_the_database(session, rid: int) -> None:
    for column, value in (("status", "Bogus"), ("behaviour", "gift"), ("method", "barter"),
                          ("source", "mail"), ("hold_set_by", "robot")):
        with pytest.raises(IntegrityError, match=f"ck_receipts_{column}|check constraint"):
            async with session.begin_nested():
                await session.execute(text(f"UPDATE receipts SET {column} = :v WHERE id = :i"),
                                      {"v": value, "i": rid})


async def test_rows_load_as_enums_and_the_database_refuses_other_values(session, practice):
    pid = practice.practice_id
    await h.claim(session, pid, "A1", DAY, "30.00", level="Statement")
    rid = await _record(session, pid)
    r = (await session.scalars(select(Receipt).where(Receipt.id == rid))).one()
    assert (r.status, r.behaviour, r.method, r.source) == (
        ReceiptStatus.COMPLETED, Behaviour.GENERAL, Method.CASH, Source.FRONT_DESK)
    assert type(r.status) is ReceiptStatus
    with pytest.raises(StatementError, match="'Bogus' is not a valid ReceiptStatus"):
        async with session.begin_nested():
            await session.execute(update(Receipt).where(Receipt.id == rid)
                                  .values(status="Bogus"))
    await _refused_by_the_database(session, rid)


async def test_postgres_refuses_other_values_too(pg_url: str):
    engine = make_engine(pg_url)
    try:
        async with make_sessionmaker(engine)() as s:
            pid = await create_practice(s, "P")
            await h.claim(s, pid, "A1", DAY, "30.00", level="Statement")
            rid = await _record(s, pid)
            await _refused_by_the_database(s, rid)
    finally:
        await engine.dispose()


async def test_sqlite_migration_adds_the_checks_to_a_database_with_receipts(tmp_path: Path):
    # SQLite adds a CHECK by re-creating the table; with applications and messages pointing
    # at receipts that needs foreign keys off for the rebuild, and every row kept
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    # the schema the ORM models need, short of this migration (migrations run their own loop)
    for revision in ("0030_practice_data", "0100_batching", "0006_receipts"):
        await asyncio.to_thread(upgrade, url, revision)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            pid = await create_practice(s, "P")
            await h.claim(s, pid, "A1", DAY, "30.00", level="Statement")
            rid = await _record(s, pid)
            await service.reverse(s, pid, rid, actor="t", today=DAY)
            await s.commit()
    finally:
        await engine.dispose()
    await asyncio.to_thread(upgrade, url)
    con = sqlite3.connect(tmp_path / "old.db")
    try:
        assert con.execute("SELECT id, status, reversal_of_id FROM receipts ORDER BY id"
                           ).fetchall() == [(rid, "Reversed", None), (rid + 1, "Reversed", rid)]
        assert con.execute("SELECT count(*) FROM receipt_applications").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM receipt_messages").fetchone()[0] >= 3
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        with pytest.raises(sqlite3.IntegrityError, match="ck_receipts_status"):
            con.execute("UPDATE receipts SET status = 'Bogus'")
    finally:
        con.close()
