"""The `sync_balances` job: made with the connector, daily at a practice-local time by
default, every N hours on request; one sync per fire; failures notify once per streak."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from gateway.balances.models import BalanceSync
from gateway.db.engine import make_sessionmaker
from gateway.db.models import Notification, User
from gateway.jobs.models import JobDefinition, JobRun
from gateway.jobs.service import plan_of, run_due, run_fire
from tests.balances.conftest import drop

UTC = dt.UTC


async def _job(session, connector_id: int) -> JobDefinition:
    job = await session.scalar(select(JobDefinition).where(
        JobDefinition.connector_id == connector_id))
    assert job is not None
    return job


async def test_job_is_daily_at_practice_local_time_by_default(session, practice,
                                                              make_connector):
    cid = await make_connector(practice.practice_id, "crystalpm")
    job = await _job(session, cid)
    assert (job.kind, job.pattern, job.every, job.time_of_day) == (
        "sync_balances", "daily", 1, dt.time(5, 0))
    plan = await plan_of(session, job)
    # the practice is on America/New_York: 05:00 EST is 10:00 UTC
    start = dt.datetime.combine(job.start_date, dt.time(0, 0), UTC) + dt.timedelta(days=30)
    nxt = plan.next_fire(start)
    assert nxt is not None and nxt.astimezone(UTC).time() == dt.time(10, 0)
    assert plan.next_fire(nxt) == nxt + dt.timedelta(days=1)


async def test_job_is_hourly_or_every_n_hours_when_set(session, practice, make_connector):
    hourly = await _job(session, await make_connector(
        practice.practice_id, "eyefinity", schedule="hourly"))
    every3 = await _job(session, await make_connector(
        practice.practice_id, "officemate", schedule="hourly", every_hours=3))
    assert (hourly.pattern, hourly.every) == ("hourly", 1)
    assert (every3.pattern, every3.every) == ("hourly", 3)
    plan = await plan_of(session, every3)
    start = dt.datetime.combine(every3.start_date, dt.time(0, 0), UTC) + dt.timedelta(days=2)
    nxt = plan.next_fire(start)
    assert nxt is not None and plan.next_fire(nxt) == nxt + dt.timedelta(hours=3)


async def test_schedule_off_makes_no_job(session, practice, make_connector):
    cid = await make_connector(practice.practice_id, "compulink", schedule="off")
    assert await session.scalar(select(JobDefinition.id).where(
        JobDefinition.connector_id == cid)) is None


async def test_each_fire_syncs_exactly_once(engine, session, practice, make_connector,
                                            tmp_path):
    cid = await make_connector(practice.practice_id, "revolutionehr", schedule="hourly")
    drop(tmp_path / "drop-revolutionehr", "revolutionehr", "snapshot1")
    job = await _job(session, cid)
    await session.execute(update(JobDefinition).where(JobDefinition.id == job.id).values(
        created_at=dt.datetime(2020, 1, 1, tzinfo=UTC)))
    await session.commit()
    maker = make_sessionmaker(engine)
    now = dt.datetime.now(UTC)
    first = await run_due(maker, job.id, now)
    second = await run_due(maker, job.id, now)
    assert first is not None and first.claimed and first.status == "ok", first
    assert first.result["created"] == 3
    assert second is not None and not second.claimed
    assert await session.scalar(select(func.count()).select_from(BalanceSync)) == 1
    assert await session.scalar(select(func.count()).select_from(JobRun)) == 1


async def test_failed_syncs_notify_every_user_once_per_streak(engine, session, practice,
                                                              make_connector, tmp_path):
    cid = await make_connector(practice.practice_id, "compulink", schedule="hourly")
    job = await _job(session, cid)
    users = await session.scalar(select(func.count()).select_from(User).where(
        User.practice_id == practice.practice_id, User.active.is_(True)))
    maker = make_sessionmaker(engine)
    base = dt.datetime(2026, 11, 1, 8, tzinfo=UTC)

    async def fire(hour: int) -> str | None:
        outcome = await run_fire(maker, job.id, base + dt.timedelta(hours=hour))
        return outcome.status

    async def notices() -> int:
        return await session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "balance_sync_failed")) or 0

    assert [await fire(0), await fire(1), await fire(2)] == ["failed"] * 3  # empty folder
    assert await notices() == users
    drop(tmp_path / "drop-compulink", "compulink", "snapshot1")
    assert await fire(3) == "ok"
    (tmp_path / "drop-compulink" / "snapshot1.csv").unlink()
    assert [await fire(4), await fire(5)] == ["failed", "failed"]
    assert await notices() == 2 * users
    assert await session.scalar(select(func.count()).select_from(BalanceSync)) == 1


async def test_changing_the_schedule_re_times_the_job(session, practice, make_connector):
    from gateway.admin.connectors import update_connector
    from gateway.db.models import ConnectorSecret

    cid = await make_connector(practice.practice_id, "crystalpm")
    secret = await session.get(ConnectorSecret, cid)
    assert secret is not None
    from gateway.core.secrets import unseal

    source = dict(unseal(secret.secrets["balances"]), schedule="hourly", every_hours=6)
    await update_connector(session, practice.practice_id, cid, {"balances": source})
    await session.commit()
    job = await _job(session, cid)
    assert (job.pattern, job.every) == ("hourly", 6)
