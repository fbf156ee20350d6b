"""Over random sequences of snapshots: after each sync the open accounts are exactly the
snapshot's with its amounts, every other account is closed at zero, the history of each account
ends at its current amounts, and re-applying the same snapshot writes nothing."""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.admin.practices import create_practice
from gateway.balances.models import AccountBalance, AccountBalanceHistory, BalanceSync
from gateway.balances.sync import apply_snapshot
from gateway.core.records import BalanceRow, BalanceSnapshot
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.models import Connector

ACCOUNTS = [f"P{i}" for i in range(6)]
cents = st.integers(min_value=0, max_value=50_000).map(lambda c: Decimal(c).scaleb(-2))
_names = itertools.count()


@st.composite
def snapshot(draw: st.DrawFn) -> dict[str, tuple[Decimal, Decimal]]:
    chosen = draw(st.lists(st.sampled_from(ACCOUNTS), unique=True, max_size=len(ACCOUNTS)))
    return {a: (draw(cents), draw(cents)) for a in chosen}


def _row(account: str, patient: Decimal, insurance: Decimal) -> BalanceRow:
    total = patient + insurance
    return BalanceRow(account=account, total=total, patient_portion=patient,
                      insurance_portion=insurance, bucket_0_30=total)


async def _run(db_url: str, sequence: list[dict[str, tuple[Decimal, Decimal]]]) -> None:
    engine = make_engine(db_url)
    maker = make_sessionmaker(engine)
    try:
        async with maker() as s, s.begin():
            pid = await create_practice(s, f"Prop {next(_names)}")
            conn = Connector(practice_id=pid, plugin="compulink", name="c", config={})
            s.add(conn)
            await s.flush()
            cid = conn.id
        for n, snap in enumerate(sequence):
            rows = [_row(a, p, i) for a, (p, i) in sorted(snap.items())]
            snapshot_ = BalanceSnapshot(source_name=f"s{n}", sha256=str(n), rows=rows)
            async with maker() as s, s.begin():
                await apply_snapshot(s, pid, cid, snapshot_)
            async with maker() as s, s.begin():
                again = await apply_snapshot(s, pid, cid, snapshot_)
                assert again.sync_id is None  # nothing to write
            await _check(maker, cid, snap)
    finally:
        await engine.dispose()


async def _check(maker: async_sessionmaker[AsyncSession], cid: int,
                 snap: dict[str, tuple[Decimal, Decimal]]) -> None:
    async with maker() as s:
        accounts = (await s.scalars(select(AccountBalance).where(
            AccountBalance.connector_id == cid))).all()
        for a in accounts:
            if a.account in snap:
                p, i = snap[a.account]
                assert (a.status, a.patient_portion, a.insurance_portion, a.total) == (
                    "open", p, i, p + i)
            else:
                assert (a.status, a.total, a.patient_portion, a.insurance_portion) == (
                    "closed", Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
            last = (await s.execute(select(AccountBalanceHistory.total).where(
                AccountBalanceHistory.account_balance_id == a.id)
                .order_by(AccountBalanceHistory.sync_id.desc()).limit(1))).scalar_one()
            assert last == a.total
        assert {a.account for a in accounts} >= set(snap)
        syncs = await s.scalar(select(func.count()).select_from(BalanceSync).where(
            BalanceSync.connector_id == cid))
        seqs = (await s.scalars(select(BalanceSync.seq).where(
            BalanceSync.connector_id == cid).order_by(BalanceSync.seq))).all()
        assert list(seqs) == list(range(1, (syncs or 0) + 1))  # one row per applied change


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(snapshot(), min_size=1, max_size=5))
def test_random_snapshot_sequences_keep_accounts_and_history_right(db_url, sequence):
    asyncio.run(_run(db_url, sequence))
