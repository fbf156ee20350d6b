"""The claims the clearinghouse rejected (999 / 277CA), with the acknowledgment's reason.
The claim batches page (send / print) and its counter are the batching work's own module."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.web import queries
from gateway.web.paging import make_page, window
from gateway.web.render import page


@get("/claims/rejected", guards=[requires("viewer")])
async def rejected(request: Request[Any, Any, Any], db: DB, principal: Me,
                   page_no: FromQuery[int] = 1) -> Template:
    n, limit, offset = window(page_no)
    rows = await queries.rejected_claims(db, principal.practice_id, limit=limit, offset=offset)
    return page(request, "rejected.html", rows=make_page(rows, n))


ROUTES = [rejected]
