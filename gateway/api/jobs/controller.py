"""Scheduled jobs of the key's practice: definitions with their next fires, edits,
enable/disable, delete, a run by hand and the run history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.jobs import service
from gateway.jobs.models import JobDefinition

MAX_NEXT = 50


class JobOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    kind: str
    pattern: str
    every: int
    start_date: dt.date
    time_of_day: str  # "HH:MM" in the practice's zone (a wall-clock time has no offset)
    end_date: dt.date | None
    weekdays: list[int] | None
    month_day: int | None
    connector_id: int | None
    enabled: bool
    params: dict[str, Any]
    next_fires: list[dt.datetime]


class RunOut(msgspec.Struct, kw_only=True):
    id: int
    fire_time: dt.datetime
    trigger: str
    node: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any]
    error: str | None


async def job_out(db: DB, job: JobDefinition, count: int) -> JobOut:
    return JobOut(
        id=job.id, name=job.name, kind=job.kind, pattern=job.pattern, every=job.every,
        start_date=job.start_date, time_of_day=job.time_of_day.strftime("%H:%M"),
        end_date=job.end_date,
        weekdays=job.weekdays, month_day=job.month_day, connector_id=job.connector_id,
        enabled=job.enabled, params=dict(job.params),
        next_fires=await service.next_fires(db, job, count),
    )


class JobsController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]

    @get("/", guards=[requires("viewer")])
    async def index(self, db: DB, principal: Me, count: FromQuery[int] = 1) -> list[JobOut]:
        """The practice's jobs, each with its next `count` fires (none while disabled)."""
        count = min(max(count, 0), MAX_NEXT)
        return [await job_out(db, j, count) for j in await service.list_jobs(
            db, principal.practice_id)]

    @post("/", guards=[requires("biller")])
    async def create(self, data: JSONBody[service.JobIn], db: DB, principal: Me) -> JobOut:
        """Create (practice-scoped; another practice's id is a 404)."""
        job_id = await service.define_job(db, principal.practice_id, data)
        return await job_out(db, await service.get_job(db, principal.practice_id, job_id), 1)

    @get("/{job_id:int}", guards=[requires("viewer")])
    async def show(self, job_id: FromPath[int], db: DB, principal: Me,
                   count: FromQuery[int] = 5) -> JobOut:
        """Show (practice-scoped; another practice's id is a 404)."""
        job = await service.get_job(db, principal.practice_id, job_id)
        return await job_out(db, job, min(max(count, 0), MAX_NEXT))

    @patch("/{job_id:int}", guards=[requires("biller")])
    async def edit(self, job_id: FromPath[int], data: JSONBody[service.JobPatch], db: DB,
                   principal: Me) -> JobOut:
        """Change only the fields given."""
        return await job_out(db, await service.edit_job(db, principal.practice_id, job_id,
                                                        data), 1)

    @post("/{job_id:int}/enable", guards=[requires("biller")], status_code=200)
    async def enable(self, job_id: FromPath[int], db: DB, principal: Me) -> JobOut:
        """Enable (practice-scoped; another practice's id is a 404)."""
        return await job_out(db, await service.set_enabled(db, principal.practice_id, job_id,
                                                           True), 1)

    @post("/{job_id:int}/disable", guards=[requires("biller")], status_code=200)
    async def disable(self, job_id: FromPath[int], db: DB, principal: Me) -> JobOut:
        """Disable (practice-scoped; another practice's id is a 404)."""
        return await job_out(db, await service.set_enabled(db, principal.practice_id, job_id,
                                                           False), 1)

    @delete("/{job_id:int}", guards=[requires("biller")], status_code=204)
    async def remove(self, job_id: FromPath[int], db: DB, principal: Me) -> None:
        """Remove (practice-scoped; another practice's id is a 404)."""
        await service.delete_job(db, principal.practice_id, job_id)

    @get("/{job_id:int}/runs", guards=[requires("viewer")])
    async def runs(self, job_id: FromPath[int], db: DB, principal: Me,
                   limit: FromQuery[int] = 50) -> list[RunOut]:
        """The latest runs, newest fire first."""
        rows = await service.history(db, principal.practice_id, job_id,
                                     limit=min(max(limit, 1), 500))
        return [RunOut(id=r.id, fire_time=r.fire_time, trigger=r.trigger, node=r.node,
                       status=r.status, started_at=r.started_at, finished_at=r.finished_at,
                       result=dict(r.result), error=r.error) for r in rows]

    @post("/{job_id:int}/run", guards=[requires("biller")], status_code=200)
    async def run_now(self, request: Request[Any, Any, Any], job_id: FromPath[int], db: DB,
                      principal: Me) -> service.RunOutcome:
        """Run the job now, outside its schedule (in its own transactions)."""
        return await service.run_now(request.app.state.sessionmaker, principal.practice_id,
                                     job_id)


ROUTES = [JobsController]
