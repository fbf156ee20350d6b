"""Jobs are edited, disabled, enabled and deleted through the service, the API and the CLI;
a new practice starts with its default jobs, each disabled until it has a connector."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gateway.admin.practices import create_practice
from gateway.core.errors import UserError
from gateway.db.engine import make_sessionmaker
from gateway.jobs.defaults import DEFAULT_JOBS, add_default_jobs
from gateway.jobs.models import JobDefinition, JobRun
from gateway.jobs.service import (
    JobIn,
    JobPatch,
    define_job,
    delete_job,
    edit_job,
    list_jobs,
    next_fires,
    run_now,
    set_enabled,
)

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


async def test_a_new_practice_gets_the_default_jobs_all_disabled(session):
    pid = await create_practice(session, "Bright Eyes")
    jobs = await list_jobs(session, pid)
    assert [(j.name, j.kind, j.pattern, j.time_of_day) for j in jobs] == [
        (d.name, d.kind, d.pattern, d.time_of_day) for d in DEFAULT_JOBS]
    assert not any(j.enabled for j in jobs)
    batch = [j for j in jobs if j.kind == "batch_claims"]
    assert [j.time_of_day for j in batch] == [dt.time(10, 0), dt.time(18, 0)]
    assert all(j.params == {"upload_after_batching": True} for j in batch)
    kinds = {j.kind for j in jobs}
    assert {"poll_eras", "poll_acknowledgments", "auto_post_eras", "reconcile_receipts",
            "import_statement_payments"} <= kinds
    assert "sync_balances" not in kinds  # each PMS connector's own job, made with it
    assert await add_default_jobs(session, pid) == 0  # again: nothing doubled
    assert len(await list_jobs(session, pid)) == len(DEFAULT_JOBS)


async def test_a_default_job_needs_its_connector_before_it_is_enabled(session, practice):
    poll = next(j for j in await list_jobs(session, practice.practice_id)
                if j.kind == "poll_eras")
    with pytest.raises(UserError, match="needs a connector"):
        await set_enabled(session, practice.practice_id, poll.id, True)
    assert poll.enabled is False


async def test_edit_changes_the_schedule_and_next_fires(session, practice):
    pid = practice.practice_id
    job_id = await define_job(session, pid, JobIn(
        name="beat", kind="heartbeat", pattern="daily", start_date=dt.date(2026, 11, 1),
        time_of_day=dt.time(2, 0)))
    job = await edit_job(session, pid, job_id, JobPatch(
        pattern="monthly", month_day=31, time_of_day=dt.time(9, 30)))
    assert await next_fires(session, job, 3, now=NOW) == [
        dt.datetime(2026, 11, 30, 14, 30, tzinfo=dt.UTC),  # 30 Nov: the end-of-month rule
        dt.datetime(2026, 12, 31, 14, 30, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 31, 14, 30, tzinfo=dt.UTC)]
    for bad, where in ((JobPatch(every=0), "every"), (JobPatch(weekdays=[1]), "weekdays"),
                       (JobPatch(pattern="sometimes"), "pattern")):
        with pytest.raises(UserError, match=where):
            await edit_job(session, pid, job_id, bad)
        assert (job.pattern, job.every, job.weekdays) == ("monthly", 1, None)  # unchanged


async def test_disable_enable_delete(engine, session, practice):
    pid = practice.practice_id
    job_id = await define_job(session, pid, JobIn(
        name="beat", kind="heartbeat", pattern="hourly", start_date=dt.date(2026, 11, 1)))
    await session.commit()
    job = await set_enabled(session, pid, job_id, False)
    assert job.enabled is False and await next_fires(session, job, 2) == []
    job = await set_enabled(session, pid, job_id, True)
    assert len(await next_fires(session, job, 2)) == 2
    await session.commit()
    out = await run_now(make_sessionmaker(engine), pid, job_id)
    assert out.status == "ok"
    await delete_job(session, pid, job_id)
    await session.commit()
    assert await session.get(JobDefinition, job_id) is None
    assert await session.scalar(select(func.count()).select_from(JobRun).where(
        JobRun.job_id == job_id)) == 0


async def test_the_api_lists_edits_switches_and_deletes(client, practice, other_practice):
    h = practice.headers("biller")
    r = await client.post("/api/jobs", headers=h, json={
        "name": "Batch twice", "kind": "heartbeat", "pattern": "weekly", "weekdays": [0, 3],
        "start_date": "2026-11-02", "time_of_day": "10:00:00"})
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    r = await client.get(f"/api/jobs/{job_id}?count=4", headers=practice.headers("viewer"))
    assert r.status_code == 200, r.text
    fires = [dt.datetime.fromisoformat(f) for f in r.json()["next_fires"]]
    assert len(fires) == 4 and all(f.astimezone(dt.UTC).weekday() in (0, 3) for f in fires)
    r = await client.patch(f"/api/jobs/{job_id}", headers=h, json={"every": 0})
    assert r.status_code == 422 and "every" in r.text
    r = await client.patch(f"/api/jobs/{job_id}", headers=h, json={"pattern": "yearly",
                                                                  "weekdays": None})
    assert r.status_code == 200 and r.json()["pattern"] == "yearly", r.text
    r = await client.post(f"/api/jobs/{job_id}/disable", headers=h)
    assert r.json()["enabled"] is False and r.json()["next_fires"] == []
    r = await client.post(f"/api/jobs/{job_id}/enable", headers=h)
    assert r.json()["enabled"] is True
    r = await client.post(f"/api/jobs/{job_id}/run", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "ok", r.text
    r = await client.get(f"/api/jobs/{job_id}/runs", headers=h)
    assert [run["trigger"] for run in r.json()] == ["manual"]
    r = await client.get(f"/api/jobs/{job_id}", headers=other_practice.headers("admin"))
    assert r.status_code == 404
    r = await client.delete(f"/api/jobs/{job_id}", headers=practice.headers("viewer"))
    assert r.status_code == 403
    r = await client.delete(f"/api/jobs/{job_id}", headers=h)
    assert r.status_code == 204
    r = await client.get("/api/jobs", headers=h)
    assert job_id not in [j["id"] for j in r.json()]
    assert len(r.json()) == len(DEFAULT_JOBS)


def test_the_cli_edits_disables_and_deletes(gateway, practice):
    pid = str(practice.practice_id)
    r = gateway("jobs", "add", "--practice", pid, "--name", "beat", "--kind", "heartbeat",
                "--pattern", "monthly", "--month-day", "31", "--time", "09:00", "--json")
    assert r.code == 0, r.err
    job_id = str(r.json()["id"])
    r = gateway("jobs", "edit", job_id, "--practice", pid, "--set", '{"every": 2}', "--json")
    assert r.code == 0, r.err
    r = gateway("jobs", "edit", job_id, "--practice", pid, "--set", '{"every": 0}')
    assert r.code != 0 and "every" in r.err and "Traceback" not in r.err
    r = gateway("jobs", "disable", job_id, "--practice", pid, "--json")
    assert r.code == 0 and r.json()["enabled"] is False, r.err
    listed = {j["id"]: j for j in gateway("jobs", "list", "--practice", pid, "--json").json()}
    assert listed[int(job_id)]["enabled"] is False and listed[int(job_id)]["next_fire"] is None
    r = gateway("jobs", "enable", job_id, "--practice", pid, "--json")
    assert r.code == 0, r.err
    assert gateway("jobs", "run", job_id, "--json").code == 0
    runs = gateway("jobs", "history", job_id, "--practice", pid, "--json").json()
    assert [(h["trigger"], h["status"]) for h in runs] == [("manual", "ok")]
    assert "Disable a job" in gateway("jobs", "disable", "--help").out
    r = gateway("jobs", "delete", job_id, "--practice", pid, "--json")
    assert r.code == 0 and r.json()["deleted"] is True, r.err
    left = {j["id"] for j in gateway("jobs", "list", "--practice", pid, "--json").json()}
    assert int(job_id) not in left


def test_the_cli_pattern_options_make_one_schedule(gateway, practice):
    pid = str(practice.practice_id)
    r = gateway("jobs", "add", "--practice", pid, "--name", "weekly", "--kind", "heartbeat",
                "--pattern", "weekly", "--weekdays", "0,2", "--start", "2026-11-02",
                "--end", "2027-01-31", "--time", "18:30", "--every", "2", "--json")
    assert r.code == 0, r.err
    listed = {j["name"]: j for j in gateway("jobs", "list", "--practice", pid, "--json").json()}
    assert listed["weekly"]["pattern"] == "weekly" and listed["weekly"]["every"] == 2
    bad = gateway("jobs", "add", "--practice", pid, "--name", "bad", "--kind", "heartbeat",
                  "--start", "2026-13-01")
    assert bad.code == 2 and "schedule" in bad.err and "Traceback" not in bad.err
    bad = gateway("jobs", "add", "--practice", pid, "--name", "bad", "--kind", "heartbeat",
                  "--time", "25:00")
    assert bad.code == 2 and "Traceback" not in bad.err
