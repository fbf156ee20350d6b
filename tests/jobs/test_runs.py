"""One run per fire, across nodes; failures land in the history; the tick runs what is due."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys

from sqlalchemy import func, select

from gateway.db.engine import make_engine, make_sessionmaker
from gateway.jobs import registry
from gateway.jobs.models import JobDefinition, JobRun
from gateway.jobs.scheduler import tick
from gateway.jobs.service import JobIn, define_job, history, run_due, run_fire, run_now

FIRE = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)


async def _job(session, practice_id, kind="heartbeat", **kw) -> int:
    job_id = await define_job(session, practice_id, JobIn(
        name=kw.pop("name", f"{kind}-job"), kind=kind, pattern="daily",
        start_date=dt.date(2026, 11, 1), time_of_day=dt.time(2, 0), **kw))
    await session.commit()
    return job_id


async def test_a_fire_runs_once_even_when_two_nodes_race(engine, session, practice, monkeypatch):
    calls = []

    async def counted(s, ctx):
        calls.append(ctx.fire_time)
        return {"n": len(calls)}

    monkeypatch.setitem(registry.job_kinds(), "counted", counted)
    job_id = await _job(session, practice.practice_id, "counted")
    other_node = make_engine(str(engine.url))
    try:
        a, b = await asyncio.gather(
            run_fire(make_sessionmaker(engine), job_id, FIRE, node="node-a"),
            run_fire(make_sessionmaker(other_node), job_id, FIRE, node="node-b"),
        )
    finally:
        await other_node.dispose()
    assert sorted([a.claimed, b.claimed]) == [False, True]
    assert calls == [FIRE]
    again = await run_fire(make_sessionmaker(engine), job_id, FIRE)
    assert again.claimed is False and calls == [FIRE]


async def test_failure_is_recorded_and_does_not_stop_the_next_fire(engine, session, practice,
                                                                   monkeypatch):
    async def broken(s, ctx):
        raise RuntimeError("remote refused")

    monkeypatch.setitem(registry.job_kinds(), "broken", broken)
    job_id = await _job(session, practice.practice_id, "broken")
    out = await run_fire(make_sessionmaker(engine), job_id, FIRE)
    assert out.status == "failed" and "remote refused" in out.error
    nxt = await run_fire(make_sessionmaker(engine), job_id, FIRE + dt.timedelta(days=1))
    assert nxt.claimed and nxt.status == "failed"
    runs = await history(session, practice.practice_id, job_id)
    assert [r.status for r in runs] == ["failed", "failed"]


async def test_due_fire_runs_and_new_jobs_skip_fires_before_they_existed(engine, session, practice):
    job_id = await _job(session, practice.practice_id)
    maker = make_sessionmaker(engine)
    # the job was created now: the latest 02:00 fire lies before it, so nothing is due yet
    assert await run_due(maker, job_id) is None
    job = await session.get(JobDefinition, job_id)
    job.created_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    await session.commit()
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    out = await run_due(maker, job_id, now)
    assert out.claimed and out.fire_time == FIRE and out.status == "ok"
    assert (await run_due(maker, job_id, now)).claimed is False
    manual = await run_now(maker, practice.practice_id, job_id)
    assert manual.claimed and manual.status == "ok"


async def test_tick_runs_every_enabled_due_job_once(engine, session, practice):
    a = await _job(session, practice.practice_id, name="a")
    b = await _job(session, practice.practice_id, name="b", enabled=False)
    for job_id in (a, b):
        (await session.get(JobDefinition, job_id)).created_at = dt.datetime(2026, 1, 1,
                                                                           tzinfo=dt.UTC)
    await session.commit()
    maker = make_sessionmaker(engine)
    first = await tick(maker)
    assert [o.job_id for o in first] == [a]
    assert await tick(maker) == []


SCRIPT = """
import asyncio, datetime as dt, json, sys
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.jobs.service import run_due
async def main():
    engine = make_engine(sys.argv[1])
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    out = await run_due(make_sessionmaker(engine), int(sys.argv[2]), now)
    await engine.dispose()
    print(json.dumps({"claimed": out.claimed}))
asyncio.run(main())
"""


async def test_four_processes_on_postgres_run_a_fire_once(pg_url):
    from gateway.admin.practices import create_practice

    engine = make_engine(pg_url)
    try:
        async with make_sessionmaker(engine)() as s:
            pid = await create_practice(s, "Multi")
            job_id = await _job(s, pid)
            (await s.get(JobDefinition, job_id)).created_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
            await s.commit()
        procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, pg_url, str(job_id)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            results.append(json.loads(out)["claimed"])
        assert sorted(results) == [False, False, False, True]
        async with make_sessionmaker(engine)() as s:
            assert await s.scalar(select(func.count()).select_from(JobRun)) == 1
    finally:
        await engine.dispose()
