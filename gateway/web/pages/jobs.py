"""The job scheduler: each job with its pattern, next fires and latest run; add and edit with
the pattern fields (minutes to yearly, every N, start date, time, end date or none, weekdays,
day of month); enable, disable, delete, Run now; a job's run history. The same service as
`/api/jobs` (gateway.jobs.service), with the API's roles: viewers read, billers change."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.jobs import service
from gateway.jobs.models import PATTERNS
from gateway.jobs.registry import job_kinds
from gateway.web import queries
from gateway.web.forms import form_fields
from gateway.web.job_form import WEEKDAYS, job_in, job_patch, pattern_words
from gateway.web.render import page

NEXT_FIRES = 3


async def _form_context(db: AsyncSession, practice_id: int) -> dict[str, Any]:
    return {"words": pattern_words, "patterns": PATTERNS, "kinds": sorted(job_kinds()),
            "weekday_names": WEEKDAYS,
            "connectors": await queries.practice_connectors(db, practice_id)}


@get("/jobs", guards=[requires("viewer")])
async def jobs(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    rows = []
    for job in await service.list_jobs(db, principal.practice_id):
        last = await service.history(db, principal.practice_id, job.id, limit=1)
        rows.append({"job": job, "next": await service.next_fires(db, job, NEXT_FIRES),
                     "last": last[0] if last else None})
    return page(request, "jobs.html", rows=rows, done=request.query_params.get("done"),
                words=pattern_words)


@get("/jobs/new", guards=[requires("biller")])
async def new_job(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    return page(request, "job_form.html", job=None,
                **await _form_context(db, principal.practice_id))


@get("/jobs/{job_id:int}", guards=[requires("viewer")])
async def job_detail(request: Request[Any, Any, Any], db: DB, principal: Me,
                     job_id: FromPath[int]) -> Template:
    job = await service.get_job(db, principal.practice_id, job_id)
    runs = await service.history(db, principal.practice_id, job_id, limit=50)
    return page(request, "job.html", job=job, runs=runs,
                next=await service.next_fires(db, job, NEXT_FIRES),
                done=request.query_params.get("done"),
                **await _form_context(db, principal.practice_id))


@post("/jobs", guards=[requires("biller")], status_code=303)
async def create(request: Request[Any, Any, Any], db: DB, principal: Me) -> Redirect:
    job_id = await service.define_job(db, principal.practice_id,
                                      job_in(await form_fields(request)))
    return Redirect(f"/jobs/{job_id}?done=created", status_code=303)


@post("/jobs/{job_id:int}", guards=[requires("biller")], status_code=303)
async def edit(request: Request[Any, Any, Any], db: DB, principal: Me,
               job_id: FromPath[int]) -> Redirect:
    await service.edit_job(db, principal.practice_id, job_id,
                           job_patch(await form_fields(request)))
    return Redirect(f"/jobs/{job_id}?done=saved", status_code=303)


@post("/jobs/{job_id:int}/enable", guards=[requires("biller")], status_code=303)
async def enable(db: DB, principal: Me, job_id: FromPath[int]) -> Redirect:
    await service.set_enabled(db, principal.practice_id, job_id, True)
    return Redirect(f"/jobs?done={job_id}:enabled", status_code=303)


@post("/jobs/{job_id:int}/disable", guards=[requires("biller")], status_code=303)
async def disable(db: DB, principal: Me, job_id: FromPath[int]) -> Redirect:
    await service.set_enabled(db, principal.practice_id, job_id, False)
    return Redirect(f"/jobs?done={job_id}:disabled", status_code=303)


@post("/jobs/{job_id:int}/delete", guards=[requires("biller")], status_code=303)
async def remove(db: DB, principal: Me, job_id: FromPath[int]) -> Redirect:
    await service.delete_job(db, principal.practice_id, job_id)
    return Redirect(f"/jobs?done={job_id}:deleted", status_code=303)


@post("/jobs/{job_id:int}/run", guards=[requires("biller")], status_code=303)
async def run(request: Request[Any, Any, Any], db: DB, principal: Me,
              job_id: FromPath[int]) -> Redirect:
    await service.get_job(db, principal.practice_id, job_id)
    outcome = await service.run_now(request.app.state.sessionmaker, principal.practice_id,
                                    job_id)
    return Redirect(f"/jobs?done={job_id}:{outcome.status}", status_code=303)


ROUTES = [jobs, new_job, job_detail, create, edit, enable, disable, remove, run]
