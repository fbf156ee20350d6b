"""Issue 16 follow-up: two processes posting different deposits that carry the same
adjudication at the same moment. Neither can see the other's posting, so the Duplicate Claim
Payment check passes in both; the unique key of `claim_payment_fingerprints` decides, and the
loser's claim becomes the Duplicate Claim Payment error (real PostgreSQL, two processes).

Synchronisation is by observed state, never by time: the first poster reports it has posted
and holds its transaction open; the second runs until PostgreSQL shows it waiting on a lock
held by the first; only then does the first commit."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
from sqlalchemy import func, select

from gateway.db.engine import make_engine, make_sessionmaker
from gateway.ledger.models import LedgerEntry
from gateway.posting.models import ClaimPaymentFingerprint, DepositClaim, PostingError
from tests.conftest import make_practice
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835

ROOT = Path(__file__).resolve().parents[2]
CLP = Clp("RACE1", "1", "150.00", "100.00", [
    Svc("92014", "150.00", "100.00", [("CO", "45", "50.00")])], icn="ICN-RACE1")


def _poster(url: str, pid: int, dep_id: int, hold: bool) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "tests.posting.race_poster", url, str(pid), str(dep_id)]
    return subprocess.Popen([*args, *(["--hold"] if hold else [])], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


async def _wait_for_lock_wait(dsn: str, holder: subprocess.Popen[str]) -> None:
    """Until some backend of the database waits on a lock held by another one (the second
    poster's insert behind the first's uncommitted row); a deadline, not a sleep, bounds it."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND cardinality(pg_blocking_pids(pid)) > 0")
            if waiting:
                return
            assert holder.poll() is None, "the first poster ended before the second waited"
            await asyncio.sleep(0.02)  # polling an observed state, not timing the race
        raise AssertionError("the second poster never waited on the first one's lock")
    finally:
        await conn.close()


async def test_two_processes_posting_one_adjudication_post_it_once(pg_url, tmp_path):
    engine = make_engine(pg_url)
    try:
        maker = make_sessionmaker(engine)
        async with maker() as s:
            pid = (await make_practice(s, "Race Eye")).practice_id
            p = await h.payers(s, pid)
            cid = await h.claim(s, pid, "RACE1", [("92014", "150.00", [])], payer_id=p["acme"])
            deps = []
            for n, trace in ((1, "T1"), (2, "T2")):  # one adjudication, two checks
                text = build_835([Pay(trace, "100.00", [CLP])], control=n)
                (d,) = (await h.import_text(s, pid, text, tmp_path, f"{n}.835")).deposits
                deps.append(d.id)
            await s.commit()
        first = _poster(pg_url, pid, deps[0], hold=True)
        assert first.stdout is not None and first.stdin is not None
        assert json.loads(first.stdout.readline()) == {"posted": 1, "errors": 0}
        second = _poster(pg_url, pid, deps[1], hold=False)
        try:
            await _wait_for_lock_wait(pg_url.replace("postgresql+asyncpg", "postgresql"), first)
            first.stdin.write("commit\n")
            first.stdin.flush()
            assert first.stdout.readline().strip() == "committed"
            out, _ = second.communicate(timeout=120)
            first.wait(timeout=120)  # it exits after its commit: wait, do not race the kill
        finally:
            for proc in (first, second):
                if proc.poll() is None:
                    proc.kill()
        assert (first.wait(), second.returncode) == (0, 0)
        assert out.splitlines() == [json.dumps({"posted": 0, "errors": 1}), "committed"]
        async with maker() as s:
            (winner,) = (await s.scalars(select(DepositClaim.id).where(
                DepositClaim.deposit_id == deps[0]))).all()
            (err,) = (await s.execute(select(PostingError.deposit_id, PostingError.type,
                                             PostingError.detail))).all()
            assert (err.deposit_id, err.type) == (deps[1], "Duplicate Claim Payment")
            assert err.detail == {"posted_deposit_claim_id": winner}
            rows = await s.scalar(select(func.count()).select_from(LedgerEntry).where(
                LedgerEntry.source_type == "deposit_claim"))
            assert rows == 2  # one payment and one write-off: the adjudication posted once
            assert (await h.balances(s, cid)).balance == h.D("0.00")
            assert (await s.scalars(select(ClaimPaymentFingerprint.deposit_claim_id))).all() \
                == [winner]
    finally:
        await engine.dispose()
