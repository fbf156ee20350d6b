"""On PostgreSQL with several processes: each fire of `sync_balances` syncs exactly once,
and two snapshots applied at once never both write (the sync row's unique sequence)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from sqlalchemy import func, select

from gateway.admin.connectors import create_connector
from gateway.admin.practices import create_practice
from gateway.balances.models import AccountBalance, AccountBalanceHistory, BalanceSync
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.jobs.models import JobDefinition, JobRun
from tests.balances.conftest import drop

SCRIPT = """
import asyncio, datetime as dt, json, sys
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.jobs.service import run_due
async def main():
    engine = make_engine(sys.argv[1])
    now = dt.datetime(2026, 11, 23, 12, 30, tzinfo=dt.UTC)
    out = await run_due(make_sessionmaker(engine), int(sys.argv[2]), now)
    await engine.dispose()
    print(json.dumps({"claimed": out.claimed, "status": out.status, "error": out.error}))
asyncio.run(main())
"""


async def test_four_processes_sync_each_fire_once(pg_url, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    drop(folder, "compulink", "snapshot1")
    engine = make_engine(pg_url)
    try:
        async with make_sessionmaker(engine)() as s:
            pid = await create_practice(s, "Multi")
            cid = await create_connector(s, pid, "compulink", "c", {"balances": {
                "remote": {"transport": "local"}, "folder": str(folder),
                "schedule": "hourly"}})
            job = await s.scalar(select(JobDefinition).where(JobDefinition.connector_id == cid))
            assert job is not None
            job.created_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
            job.start_date = dt.date(2026, 1, 1)
            job_id = job.id
            await s.commit()
        procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, pg_url, str(job_id)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            results.append(json.loads(out))
        assert sorted(r["claimed"] for r in results) == [False, False, False, True]
        assert [r["status"] for r in results if r["claimed"]] == ["ok"], results
        async with make_sessionmaker(engine)() as s:
            assert await s.scalar(select(func.count()).select_from(JobRun)) == 1
            assert await s.scalar(select(func.count()).select_from(BalanceSync)) == 1
            assert await s.scalar(select(func.count()).select_from(AccountBalance)) == 3
            assert await s.scalar(select(func.count()).select_from(AccountBalanceHistory)) == 3
    finally:
        await engine.dispose()
