"""The posting error queues (deposit, claim, procedure), their resolve actions and the history
of who resolved what. Actions come from the posting service (`queue.ACTIONS` via each error's
`actions`); the page only names them."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.core.errors import NotFound, UserError
from gateway.posting import queue
from gateway.posting.rules import PAYMENT_TYPES
from gateway.posting.schemas import ResolveIn
from gateway.web import queries
from gateway.web.forms import back_to, form_fields, struct_from_form
from gateway.web.paging import PAGE_SIZE, make_page, window
from gateway.web.render import page

Level = Literal["deposit", "claim", "procedure"]
ACTION_LABELS = {
    "link_claim": "Link claim", "link_procedure": "Link procedure",
    "payment_type": "Set payment type", "allocate": "Allocate as proposed",
    "exclude": "Exclude", "ignore": "Ignore", "link_payer": "Link payer",
    "set_trace": "Set check/trace no.",
}


@get("/queues/{level:str}", guards=[requires("viewer")], name="queue")
async def error_queue(
    request: Request[Any, Any, Any], db: DB, principal: Me, level: FromPath[str],
    type: FromQuery[str | None] = None,  # noqa: A002
    deposit_id: FromQuery[str] = "", page_no: FromQuery[int] = 1,
) -> Template:
    if level == "history":
        return await _history(request, db, principal.practice_id, page_no)
    if level not in ("deposit", "claim", "procedure"):
        raise NotFound(f"no queue {level!r}")
    if deposit_id.strip() and not deposit_id.strip().isdigit():
        raise UserError(f"not a deposit ID: {deposit_id!r}", where="deposit_id")
    dep_id = int(deposit_id) if deposit_id.strip() else None
    counts = await queue.queue_counts(db, principal.practice_id)
    n, limit, offset = window(page_no)
    rows = await queue.list_errors(db, principal.practice_id, level=level, type=type or None,
                                   deposit_id=dep_id, limit=limit, offset=offset)
    payers = []
    if level == "deposit" and any("link_payer" in e.actions for e in rows):
        payers = await queries.practice_payers(db, principal.practice_id)
    lines = await queries.claim_line_choices(
        db, principal.practice_id,
        {e.claim_id for e in rows if e.claim_id and "link_procedure" in e.actions})
    return page(request, "queue.html", level=level, counts=counts, lines=lines,
                totals={k: sum(v.values()) for k, v in counts.items()},
                types=sorted(counts.get(level, {})), type=type or "", deposit_id=dep_id,
                rows=make_page(rows, n, PAGE_SIZE), labels=ACTION_LABELS,
                payment_types=PAYMENT_TYPES, payers=payers)


async def _history(request: Request[Any, Any, Any], db: DB, practice_id: int,
                   page_no: int) -> Template:
    n, limit, offset = window(page_no)
    rows = await queries.resolution_history(db, practice_id, limit=limit, offset=offset)
    counts = await queue.queue_counts(db, practice_id)
    return page(request, "queue_history.html", level="history",
                totals={k: sum(v.values()) for k, v in counts.items()},
                rows=make_page(rows, n, PAGE_SIZE))


@post("/queues/errors/{error_id:int}/resolve", guards=[requires("biller")], status_code=303)
async def resolve(request: Request[Any, Any, Any], db: DB, principal: Me,
                  error_id: FromPath[int]) -> Redirect:
    fields = await form_fields(request)
    fields["save_rule"] = fields.get("save_rule") in ("on", "true", "1")
    if "allocations" in fields:
        fields.pop("allocations")
    body = struct_from_form(fields, ResolveIn)
    result = await queue.resolve_error(db, principal.practice_id, error_id, body,
                                       actor=principal.actor, user_id=principal.user_id)
    back = back_to((await request.form()).get("back"), "/queues/claim")
    sep = "&" if "?" in back else "?"
    done = f"resolved={result.error.id}&how={body.action}"
    return Redirect(f"{back}{sep}{done}", status_code=303)


ROUTES = [error_queue, resolve]
