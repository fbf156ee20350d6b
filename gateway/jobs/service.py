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
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.admin.practices import practice_settings
from gateway.core.errors import NotFound, UserError
from gateway.db.base import utcnow
from gateway.db.models import Connector
from gateway.db.upsert import insert_if_absent
from gateway.jobs.defaults import NEEDS_CONNECTOR
from gateway.jobs.models import PATTERNS, JobDefinition, JobRun
from gateway.jobs.registry import JobContext, job_kinds, job_params
from gateway.jobs.schedule import Plan, practice_today

log = logging.getLogger(__name__)
NODE = f"{socket.gethostname()}:{os.getpid()}"


class Schedule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """When a job fires (`gateway.jobs.schedule.Plan` computes the fires)."""

    pattern: str = "daily"
    every: int = 1
    start_date: dt.date | None = None
    time_of_day: dt.time = dt.time(2, 0)
    end_date: dt.date | None = None
    weekdays: list[int] | None = None
    month_day: int | None = None


class JobIn(Schedule, kw_only=True, forbid_unknown_fields=True):
    name: str
    kind: str
    connector_id: int | None = None
    params: dict[str, Any] = {}
    enabled: bool = True


class JobPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An edit: only the fields given change (`end_date: null` removes the end)."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    pattern: str | msgspec.UnsetType = msgspec.UNSET
    every: int | msgspec.UnsetType = msgspec.UNSET
    start_date: dt.date | msgspec.UnsetType = msgspec.UNSET
    time_of_day: dt.time | msgspec.UnsetType = msgspec.UNSET
    end_date: dt.date | None | msgspec.UnsetType = msgspec.UNSET
    weekdays: list[int] | None | msgspec.UnsetType = msgspec.UNSET
    month_day: int | None | msgspec.UnsetType = msgspec.UNSET
    connector_id: int | None | msgspec.UnsetType = msgspec.UNSET
    params: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET


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
    return Plan(job.pattern, job.every, job.start_date, job.time_of_day, job.end_date, tz,
                weekdays=job.weekdays, month_day=job.month_day)


async def _check_definition(session: AsyncSession, job: JobDefinition) -> None:
    """Refuse a definition whose kind, schedule, connector or name is wrong (a disabled one
    may name a kind not installed yet: the default jobs do)."""
    if job.enabled and job.kind not in job_kinds():
        raise UserError(f"unknown job kind {job.kind!r}; known: {', '.join(sorted(job_kinds()))}",
                        where="kind")
    if job.pattern not in PATTERNS:
        raise UserError(f"pattern must be one of {', '.join(PATTERNS)}", where="pattern")
    if not job.name.strip():
        raise UserError("a job needs a name", where="name")
    try:
        await plan_of(session, job)
    except ValueError as exc:
        raise UserError(str(exc), where="schedule") from exc
    params_type = job_params().get(job.kind)
    if params_type is not None:
        try:
            msgspec.convert(job.params, params_type)
        except msgspec.ValidationError as exc:
            raise UserError(f"{job.kind} params: {exc}", where="params") from exc
    if job.connector_id is not None:
        owner = await session.scalar(
            select(Connector.practice_id).where(Connector.id == job.connector_id)
        )
        if owner != job.practice_id:
            raise UserError(
                f"no connector {job.connector_id} in this practice", where="connector_id"
            )
    clash = await session.scalar(select(JobDefinition.id).where(
        JobDefinition.practice_id == job.practice_id, JobDefinition.name == job.name))
    if clash is not None and clash != job.id:
        raise UserError(f"a job named {job.name!r} already exists", where="name")


async def define_job(session: AsyncSession, practice_id: int, data: JobIn) -> int:
    start = data.start_date or practice_today(
        (await practice_settings(session, practice_id)).timezone)
    job = JobDefinition(
        practice_id=practice_id, name=data.name, kind=data.kind, pattern=data.pattern,
        every=data.every, start_date=start,
        time_of_day=data.time_of_day, end_date=data.end_date, weekdays=data.weekdays,
        month_day=data.month_day, connector_id=data.connector_id, params=data.params,
        enabled=data.enabled,
    )
    await _check_definition(session, job)
    session.add(job)
    await session.flush()
    return job.id


async def edit_job(session: AsyncSession, practice_id: int, job_id: int,
                   patch: JobPatch) -> JobDefinition:
    """Change a definition; fires already run stay in the history, later ones follow the
    new schedule."""
    job = await get_job(session, practice_id, job_id)
    changes = {f: getattr(patch, f) for f in patch.__struct_fields__
               if getattr(patch, f) is not msgspec.UNSET}
    before = {f: getattr(job, f) for f in changes}
    with session.no_autoflush:
        for field, value in changes.items():
            setattr(job, field, value)
        try:
            await _check_definition(session, job)
            if patch.enabled is True:
                _check_can_enable(job)
        except UserError:  # a refused edit changes nothing
            for field, value in before.items():
                setattr(job, field, value)
            raise
    await session.flush()
    return job


def _check_can_enable(job: JobDefinition) -> None:
    if job.kind in NEEDS_CONNECTOR and job.connector_id is None:
        raise UserError(f"job {job.id} ({job.kind}) needs a connector before it can be enabled",
                        where="connector_id")


async def set_enabled(session: AsyncSession, practice_id: int, job_id: int,
                      enabled: bool) -> JobDefinition:
    job = await get_job(session, practice_id, job_id)
    return await edit_job(session, practice_id, job_id, JobPatch(enabled=enabled)) \
        if job.enabled != enabled else job


async def delete_job(session: AsyncSession, practice_id: int, job_id: int) -> None:
    """Remove a definition and its run history."""
    job = await get_job(session, practice_id, job_id)
    await session.execute(delete(JobRun).where(JobRun.job_id == job.id))
    await session.delete(job)
    await session.flush()


async def list_jobs(session: AsyncSession, practice_id: int) -> list[JobDefinition]:
    return list((await session.scalars(select(JobDefinition).where(
        JobDefinition.practice_id == practice_id).order_by(JobDefinition.id))).all())


async def next_fires(session: AsyncSession, job: JobDefinition, count: int = 1,
                     now: dt.datetime | None = None) -> list[dt.datetime]:
    """The job's coming fires (none while it is disabled)."""
    if not job.enabled:
        return []
    return (await plan_of(session, job)).fires(now or utcnow(), count)


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
