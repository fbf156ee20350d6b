"""Claim batches to send or print: electronic batches waiting for a biller, and print batches
of paper claims with their CMS-1500 PDF (pre-printed red form or plain paper) and the printed
/ mailed marks (biller; audited by the service)."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.core.errors import NotFound
from gateway.paper import service
from gateway.web import queries
from gateway.web.counters import Counter
from gateway.web.render import page

COUNTERS = [Counter("batches-to-send", "Batches to send or print", "/claims/waiting", order=50,
                    query=lambda p: queries.waiting_batches_query(p.practice_id))]


@get("/claims/waiting", guards=[requires("viewer")])
async def waiting(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    counts = await service.waiting_batches(db, principal.practice_id)
    to_send = await service.batches_to_send(db, principal.practice_id)
    printing, _ = await service.list_print_batches(db, principal.practice_id,
                                                   ("built", "printed"), limit=200)
    mailed, _ = await service.list_print_batches(db, principal.practice_id, ("mailed",),
                                                 limit=20)
    return page(request, "claim_batches.html", counts=counts, to_send=to_send,
                printing=printing, mailed=mailed, done=request.query_params.get("done"))


@get("/claims/print-batches/{batch_id:int}/pdf", guards=[requires("viewer")],
     media_type="application/pdf")
async def pdf(db: DB, principal: Me, batch_id: FromPath[int],
              form: FromQuery[Literal["preprinted", "plain"]] = "preprinted") -> Response[bytes]:
    batch, data = await service.batch_pdf(db, principal.practice_id, batch_id, form)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{batch.name}-{form}.pdf"'})


MARKS = {"printed": service.mark_printed, "mailed": service.mark_mailed}
"""The marks a biller puts on a print batch, each the paper service's own (audited there)."""


@post("/claims/print-batches/{batch_id:int}/{mark:str}", guards=[requires("biller")],
      status_code=303)
async def mark_batch(db: DB, principal: Me, batch_id: FromPath[int],
                     mark: FromPath[str]) -> Redirect:
    act = MARKS.get(mark)
    if act is None:
        raise NotFound(f"no mark {mark!r} for a print batch")
    await act(db, principal.practice_id, batch_id, actor=principal.actor,
              user_id=principal.user_id)
    return Redirect(f"/claims/waiting?done={batch_id}:{mark}", status_code=303)


ROUTES = [waiting, pdf, mark_batch]
