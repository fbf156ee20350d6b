"""Aging: the upload flow per location (location drop-down preselected when the practice has
one, choose the file, confirm it, Upload & Process, then the result or the error), and per
location the A/R by bucket of its latest snapshot as a server-drawn SVG bar chart."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery
from litestar.response import Template

from gateway.aging import service
from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.core.errors import NotFound, UserError
from gateway.core.records import AgingSource
from gateway.web import charts, queries
from gateway.web.render import page

MAX_UPLOAD = 50 * 1024 * 1024


async def _aging_page(request: Request[Any, Any, Any], db: DB, practice_id: int,
                      location_id: int | None, *, result: Any = None, error: str | None = None,
                      status: int = 200) -> Template:
    locations = await queries.practice_locations(db, practice_id)
    if location_id is None and len(locations) == 1:
        location_id = locations[0].id
    if location_id is not None and all(loc.id != location_id for loc in locations):
        raise NotFound(f"no location {location_id}")
    panels = []
    for loc in locations:
        if location_id is not None and loc.id != location_id:
            continue
        buckets = await queries.ar_buckets(db, practice_id, loc.id)
        snapshots = await service.list_snapshots(db, practice_id, loc.id, limit=5)
        panels.append({"location": loc, "buckets": buckets, "snapshots": snapshots,
                       "chart": charts.bar_chart(buckets.totals) if buckets.totals else None})
    return page(request, "aging.html", status_code=status, locations=locations,
                location_id=location_id, panels=panels, vendors=service.aging_vendors(),
                result=result, error=error)


@get("/aging", guards=[requires("viewer")], name="aging")
async def aging(request: Request[Any, Any, Any], db: DB, principal: Me,
                location: FromQuery[int | None] = None) -> Template:
    return await _aging_page(request, db, principal.practice_id, location)


@post("/aging/upload", guards=[requires("biller")], status_code=200,
      request_max_body_size=MAX_UPLOAD + 1024 * 1024)
async def upload(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    form = await request.form()
    location_text = str(form.get("location_id") or "")
    file = form.get("file")
    if not location_text.isdigit():
        return await _aging_page(request, db, principal.practice_id, None, status=400,
                                 error="location_id: choose the location")
    location_id = int(location_text)
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise UserError("choose the aging file", where="file")
        content = await file.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            raise UserError("the file is larger than 50 MB", where=file.filename)
        result = await service.import_upload(
            db, principal.practice_id, location_id,
            AgingSource(name=file.filename, content=content),
            vendor=str(form.get("vendor") or "").strip() or None, actor=principal.actor,
            user_id=principal.user_id)
    except NotFound:
        raise
    except UserError as exc:
        await db.rollback()  # all or nothing: whatever the import began is undone
        return await _aging_page(request, db, principal.practice_id, location_id, status=400,
                                 error=str(exc))
    return await _aging_page(request, db, principal.practice_id, location_id, result=result)


ROUTES = [aging, upload]
