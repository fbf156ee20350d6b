"""Define jobs, claim and run fires, read the history.

`run_fire` is the whole multi-node story: a node inserts `(job_id, fire_time)`; if another
node already did, the insert does nothing and this node walks away. The job then runs in its
own transaction, and its outcome is written on the run row.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import traceback
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.admin.practices import practice_settings
from gateway.core.errors import NotFound, UserError
from gateway.db.base import utcnow
from gateway.db.models import Connector
from gateway.db.upsert import insert_if_absent
from gateway.jobs.models import PATTERNS, JobDefinition, JobRun
from gateway.jobs.registry import JobContext, job_kinds
from gateway.jobs.schedule import Plan

log = logging.getLogger(__name__)
NODE = f"{socket.gethostname()}:{os.getpid()}"


class JobIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    kind: str
    pattern: str = "daily"
    every: int = 1
    start_date: dt.date | None = None
    time_of_day: dt.time = dt.time(2, 0)
    end_date: dt.date | None = None
    connector_id: int | None = None
    params: dict[str, Any] = {}
    enabled: bool = True


class RunOutcome(msgspec.Struct, kw_only=True):
    job_id: int
    fire_time: dt.datetime
    claimed: bool
    run_id: int | None = None
    status: str | None = None
    result: dict[str, Any] = {}
    error: str | None = None


async def plan_of(session: AsyncSession, job: JobDefinition) -> Plan:
    tz = (await practice_settings(session, job.practice_id)).timezone
    return Plan(job.pattern, job.every, job.start_date, job.time_of_day, job.end_date, tz)


async def define_job(session: AsyncSession, practice_id: int, data: JobIn) -> int:
    if data.kind not in job_kinds():
        raise UserError(f"unknown job kind {data.kind!r}; known: {', '.join(sorted(job_kinds()))}",
                        where="kind")
    if data.pattern not in PATTERNS:
        raise UserError(f"pattern must be one of {', '.join(PATTERNS)}", where="pattern")
    if data.every < 1:
        raise UserError("every must be at least 1", where="every")
    if data.connector_id is not None:
        owner = await session.scalar(
            select(Connector.practice_id).where(Connector.id == data.connector_id)
        )
        if owner != practice_id:
            raise UserError(
                f"no connector {data.connector_id} in this practice", where="connector_id"
            )
    if await session.scalar(select(JobDefinition.id).where(
            JobDefinition.practice_id == practice_id, JobDefinition.name == data.name)):
        raise UserError(f"a job named {data.name!r} already exists", where="name")
    job = JobDefinition(
        practice_id=practice_id, name=data.name, kind=data.kind, pattern=data.pattern,
        every=data.every, start_date=data.start_date or dt.date.today(),
        time_of_day=data.time_of_day, end_date=data.end_date, connector_id=data.connector_id,
        params=data.params, enabled=data.enabled,
    )
    session.add(job)
    await session.flush()
    return job.id


async def get_job(session: AsyncSession, practice_id: int | None, job_id: int) -> JobDefinition:
    job = await session.get(JobDefinition, job_id)
    if job is None or (practice_id is not None and job.practice_id != practice_id):
        raise NotFound(f"no job {job_id}")
    return job


async def run_fire(
    maker: async_sessionmaker[AsyncSession],
    job_id: int,
    fire_time: dt.datetime,
    *,
    trigger: str = "schedule",
    node: str = NODE,
) -> RunOutcome:
    """Claim this fire for this node and run it; a fire claimed elsewhere is left alone."""
    async with maker() as session, session.begin():
        job = await get_job(session, None, job_id)
        ctx = JobContext(job_id=job.id, practice_id=job.practice_id,
                         connector_id=job.connector_id, fire_time=fire_time,
                         params=dict(job.params))
        kind = job.kind
        run_id = await insert_if_absent(
            session, JobRun.__table__,  # type: ignore[arg-type]
            {"job_id": job_id, "fire_time": fire_time, "trigger": trigger, "node": node,
             "started_at": utcnow(), "status": "running", "result": {}},
            ["job_id", "fire_time"],
        )
    if run_id is None:
        log.info("job %s fire %s already claimed by another node", job_id, fire_time.isoformat())
        return RunOutcome(job_id=job_id, fire_time=fire_time, claimed=False)
    fn = job_kinds().get(kind)
    status, result, error = "ok", {}, None
    try:
        if fn is None:
            raise UserError(f"job kind {kind!r} is not installed")
        async with maker() as session, session.begin():
            result = await fn(session, ctx)
    except Exception as exc:  # the run history is where a failed job is reported
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        log.warning("job %s run %s failed: %s", job_id, run_id, type(exc).__name__)
        log.debug("job failure", exc_info=True)
        if not isinstance(exc, UserError):
            error += "\n" + "".join(traceback.format_exception_only(exc)).strip()
    async with maker() as session, session.begin():
        await session.execute(
            update(JobRun).where(JobRun.id == run_id).values(
                status=status, result=result or {}, error=error, finished_at=utcnow()))
    return RunOutcome(job_id=job_id, fire_time=fire_time, claimed=True, run_id=run_id,
                      status=status, result=result or {}, error=error)


async def run_due(maker: async_sessionmaker[AsyncSession], job_id: int,
                  now: dt.datetime | None = None) -> RunOutcome | None:
    """Run the job's latest scheduled fire if nobody has; None when nothing is due."""
    now = now or utcnow()
    async with maker() as session:
        job = await get_job(session, None, job_id)
        if not job.enabled:
            return None
        fire = (await plan_of(session, job)).last_fire(now)
        created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=dt.UTC)
    if fire is None or fire < created:  # a new job does not run the fires before it existed
        return None
    return await run_fire(maker, job_id, fire)


async def run_now(maker: async_sessionmaker[AsyncSession], practice_id: int | None,
                  job_id: int) -> RunOutcome:
    """Run a job by hand, outside its schedule."""
    async with maker() as session:
        await get_job(session, practice_id, job_id)
    return await run_fire(maker, job_id, utcnow(), trigger="manual")


async def history(session: AsyncSession, practice_id: int, job_id: int,
                  limit: int = 50) -> list[JobRun]:
    await get_job(session, practice_id, job_id)
    return list((await session.scalars(
        select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.fire_time.desc()).limit(limit)
    )).all())
