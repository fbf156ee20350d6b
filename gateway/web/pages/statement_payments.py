"""Statement ePayments (Data Media): by default the unprocessed payments nobody has reviewed,
each with its reason; a date range shows every payment with what it became; Mark Reviewed for
one or many; the .xlsx export of the same view. The same service as the API
(gateway.statements.review)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.auth import Principal, requires
from gateway.api.deps import DB, Me
from gateway.core.errors import UserError
from gateway.statements import review
from gateway.statements.models import STATES
from gateway.statements.schemas import PaymentSearch
from gateway.web import queries
from gateway.web.counters import Counter
from gateway.web.paging import make_page, window
from gateway.web.render import page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELDS = ("date_from", "date_to", "state", "patient_account")


def _search(request: Request[Any, Any, Any], limit: int, offset: int) -> PaymentSearch:
    q = {k: (request.query_params.get(k) or "").strip() for k in FIELDS}
    try:
        return msgspec.convert({**{k: v for k, v in q.items() if v}, "limit": limit,
                                "offset": offset}, PaymentSearch, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        raise UserError(text.split(" - at ")[0],
                        where=text.rsplit("`$.", 1)[-1].rstrip("`")) from None


@get("/statement-payments", guards=[requires("viewer")], name="statement_payments")
async def payments(request: Request[Any, Any, Any], db: DB, principal: Me,
                   page_no: FromQuery[int] = 1) -> Template:
    n, limit, offset = window(page_no)
    search = _search(request, limit, offset)
    rows = await review.search(db, principal.practice_id, search)
    queue = search.date_from is None and search.date_to is None
    names = await queries.actor_names(db, principal.practice_id,
                                      [r.reviewed_by for r in rows if r.reviewed_by])
    return page(request, "statement_payments.html", rows=make_page(rows, n), queue=queue,
                names=names,
                q={k: request.query_params.get(k) or "" for k in FIELDS}, states=STATES,
                done=request.query_params.get("done"), export=request.url.query)


@get("/statement-payments/export.xlsx", guards=[requires("viewer")], media_type=XLSX)
async def export(request: Request[Any, Any, Any], db: DB, principal: Me) -> Response[bytes]:
    data = await review.export_xlsx(db, principal.practice_id, _search(request, 10_000, 0))
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": 'attachment; filename="statement-epayments.xlsx"'})


@post("/statement-payments/review", guards=[requires("biller")], status_code=303)
async def mark_reviewed(request: Request[Any, Any, Any], db: DB, principal: Me) -> Redirect:
    form = await request.form()
    ids = [v for v in form.getall("ids") if isinstance(v, str) and v.strip()] \
        if "ids" in form else []
    if not ids:
        raise UserError("tick the payments to mark reviewed", where="ids")
    if not all(i.isdigit() for i in ids):
        raise UserError("payment ids are numbers", where="ids")
    result = await review.mark_reviewed(db, principal.practice_id, [int(i) for i in ids],
                                        actor=principal.actor, user_id=principal.user_id)
    return Redirect(f"/statement-payments?done={len(result.reviewed)}", status_code=303)


async def _unprocessed(db: AsyncSession, principal: Principal) -> int:
    return await review.unprocessed_count(db, principal.practice_id)


ROUTES = [payments, export, mark_reviewed]
COUNTERS = [Counter("unprocessed-epayments", "Unprocessed ePayments", "/statement-payments",
                    _unprocessed, order=30)]
