"""The job scheduler: each job with its pattern, next fire and latest run; a job's run
history; Run now (admin). Adding and editing jobs with the pattern fields is still CLI-only
(`gateway jobs`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.db.base import utcnow
from gateway.jobs.models import JobDefinition, JobRun
from gateway.jobs.service import get_job, history, plan_of, run_now
from gateway.web.render import page


@get("/jobs", guards=[requires("viewer")])
async def jobs(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    now = utcnow()
    rows = []
    for job in (await db.scalars(select(JobDefinition).where(
            JobDefinition.practice_id == principal.practice_id).order_by(JobDefinition.name))):
        last = (await db.execute(select(JobRun.started_at, JobRun.status).where(
            JobRun.job_id == job.id).order_by(JobRun.started_at.desc()).limit(1))).first()
        rows.append({"job": job, "next": (await plan_of(db, job)).next_fire(now)
                     if job.enabled else None, "last": last})
    return page(request, "jobs.html", rows=rows, done=request.query_params.get("done"))


@get("/jobs/{job_id:int}", guards=[requires("viewer")])
async def job_history(request: Request[Any, Any, Any], db: DB, principal: Me,
                      job_id: FromPath[int]) -> Template:
    job = await get_job(db, principal.practice_id, job_id)
    runs = await history(db, principal.practice_id, job_id, limit=50)
    return page(request, "job.html", job=job, runs=runs)


@post("/jobs/{job_id:int}/run", guards=[requires("admin")], status_code=303)
async def run(request: Request[Any, Any, Any], db: DB, principal: Me,
              job_id: FromPath[int]) -> Redirect:
    await get_job(db, principal.practice_id, job_id)
    outcome = await run_now(request.app.state.sessionmaker, principal.practice_id, job_id)
    return Redirect(f"/jobs?done={job_id}:{outcome.status}", status_code=303)


ROUTES = [jobs, job_history, run]
