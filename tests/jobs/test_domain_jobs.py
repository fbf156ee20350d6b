"""The domain job kinds run through the scheduler like any other job."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gateway.clearinghouse.demo import setup_demo_connector
from gateway.db.engine import make_sessionmaker
from gateway.db.models import ImportedFile
from gateway.jobs.models import JobRun
from gateway.jobs.registry import job_kinds
from gateway.jobs.service import JobIn, define_job, run_now


def test_every_scheduled_job_of_the_product_is_installed():
    assert {"poll_eras", "poll_acknowledgments", "submit_claims", "reconcile_receipts",
            "auto_post_eras"} <= set(job_kinds())


async def test_poll_eras_job_imports_the_waiting_era_once(engine, session, practice, tmp_path):
    connector_id = await setup_demo_connector(session, practice.practice_id, tmp_path / "ch")
    job_id = await define_job(session, practice.practice_id, JobIn(
        name="poll", kind="poll_eras", pattern="minutes", every=5, connector_id=connector_id))
    await session.commit()
    maker = make_sessionmaker(engine)
    first = await run_now(maker, practice.practice_id, job_id)
    assert first.status == "ok", first.error
    assert first.result["imported"] == 1
    second = await run_now(maker, practice.practice_id, job_id)
    assert second.status == "ok" and second.result["imported"] == 0
    files = (await session.scalars(select(ImportedFile.kind))).all()
    assert files == ["era"]
    assert list((tmp_path / "ch" / "archive").iterdir())


async def test_connector_job_without_connector_fails_in_history(engine, session, practice):
    job_id = await define_job(session, practice.practice_id, JobIn(name="p", kind="poll_eras"))
    await session.commit()
    out = await run_now(make_sessionmaker(engine), practice.practice_id, job_id)
    assert out.status == "failed" and "needs a connector" in out.error
    run = await session.scalar(select(JobRun).where(JobRun.id == out.run_id))
    assert run.status == "failed"


async def test_reconcile_receipts_job_runs(engine, session, practice):
    job_id = await define_job(session, practice.practice_id, JobIn(
        name="nightly", kind="reconcile_receipts", time_of_day=dt.time(2, 0)))
    await session.commit()
    out = await run_now(make_sessionmaker(engine), practice.practice_id, job_id)
    assert out.status == "ok", out.error
    assert out.result["considered"] == 0
