"""Removing the latest aging snapshot, after any random sequence of snapshots, leaves every
claim's ledger sums and completion exactly as they were before that snapshot (hypothesis):
compensating rows only, nothing deleted; claims it created end with nothing to collect."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.aging.removal import remove_snapshot
from gateway.aging.service import import_upload
from gateway.core.records import AgingSource
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.ledger.models import Claim, LedgerEntry
from tests.conftest import make_practice

HEADER = "Claim #,Account,Patient,DOS,Insurance,Billed,Paid,Balance\n"
KEYS = ["K1", "K2", "K3", "K4"]


def _money(cents: int) -> str:
    return f"{Decimal(cents).scaleb(-2):.2f}"


@st.composite
def snapshots(draw):  # type: ignore[no-untyped-def]
    """2-4 exports; each lists some claims with billed >= paid and a balance."""
    out = []
    for _ in range(draw(st.integers(2, 4))):
        rows = {}
        for key in draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=4)):
            billed = draw(st.integers(0, 50_000))
            paid = draw(st.integers(0, billed))
            balance = draw(st.integers(-5_000, billed - paid))
            payer = draw(st.sampled_from(["VSP", "Aetna"]))
            rows[key] = (billed, paid, balance, payer)
        out.append(rows)
    return out


def _csv(rows: dict, day: int) -> bytes:
    title = f"As of {(dt.date(2026, 10, 1) + dt.timedelta(days=day)):%m/%d/%Y}\n"
    body = "".join(f"{k},A{k},P {k},09/01/2026,{payer},{_money(b)},{_money(p)},{_money(bal)}\n"
                   for k, (b, p, bal, payer) in rows.items())
    return (title + HEADER + body).encode()


async def _state(session, pid: int) -> dict:  # type: ignore[no-untyped-def]
    sums = (await session.execute(
        select(Claim.source_claim_id, LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .join(LedgerEntry, LedgerEntry.claim_id == Claim.id).where(Claim.practice_id == pid)
        .group_by(Claim.source_claim_id, LedgerEntry.kind))).all()
    done = (await session.execute(select(Claim.source_claim_id, Claim.completed_at.is_(None),
                                         Claim.payer_id).where(Claim.practice_id == pid))).all()
    return {"money": {(k, kind): t for k, kind, t in sums if t},
            "claims": {k: (open_, payer) for k, open_, payer in done}}


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(snapshots())
async def test_removing_the_last_snapshot_restores_the_one_before(migrated_sqlite_template,
                                                                  exports):
    tmp = Path(tempfile.mkdtemp())
    try:
        shutil.copy(migrated_sqlite_template, tmp / "r.db")
        engine = make_engine(f"sqlite+aiosqlite:///{tmp / 'r.db'}")
        try:
            await _run(make_sessionmaker(engine), exports)
        finally:
            await engine.dispose()
    finally:
        shutil.rmtree(tmp)


async def _run(sm, exports) -> None:  # type: ignore[no-untyped-def]
    async with sm() as s:
        practice = await make_practice(s, "Prop Aging")
    pid, lid = practice.practice_id, practice.location_id
    before = last = None
    for day, rows in enumerate(exports):
        async with sm() as s:
            before = await _state(s, pid)
        async with sm() as s:
            async with s.begin():
                last = await import_upload(s, pid, lid, AgingSource(
                    name=f"e{day}.csv", content=_csv(rows, day)), vendor="crystalpm")
    assert before is not None and last is not None
    async with sm() as s:
        async with s.begin():
            result = await remove_snapshot(s, pid, last.snapshot_id, actor="prop")
    async with sm() as s:
        after = await _state(s, pid)
        assert result.kept == []
        created = set(after["claims"]) - set(before["claims"])
        # the claims that were there: money, completion and payer exactly as before
        assert {k: v for k, v in after["claims"].items() if k not in created} == before["claims"]
        net = {}
        for (k, kind), total in after["money"].items():
            if k not in created:
                net[(k, kind)] = total
        assert net == before["money"]
        # the claims it created: every charge and payment reversed, marked completed
        assert not any(k in created for k, _ in after["money"])
        assert all(not after["claims"][k][0] for k in created)
        reversed_rows = await s.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.source_type == "aging_removal"))
        assert reversed_rows == result.ledger_rows_reversed
