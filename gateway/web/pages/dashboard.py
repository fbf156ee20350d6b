"""The dashboard: what needs billing staff now, each counter a link to its queue, and one tile
per connector."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.paper.service import waiting_batches
from gateway.posting import queue
from gateway.web import queries
from gateway.web.render import page


@get("/", guards=[requires("viewer")], name="dashboard")
async def dashboard(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    counts = await queue.queue_counts(db, principal.practice_id)
    counters = [
        ("deposit-errors", "Deposit errors", sum(counts.get("deposit", {}).values()),
         "/queues/deposit"),
        ("claim-errors", "Claim errors", sum(counts.get("claim", {}).values()), "/queues/claim"),
        ("procedure-errors", "Procedure errors", sum(counts.get("procedure", {}).values()),
         "/queues/procedure"),
        ("receipt-errors", "Receipt errors",
         await queries.count_receipt_errors(db, principal.practice_id), "/receipts"),
        ("rejected-claims", "Rejected claims",
         await queries.count_rejected_claims(db, principal.practice_id), "/claims/rejected"),
        ("batches-to-send", "Batches to send or print",
         (await waiting_batches(db, principal.practice_id)).total, "/claims/waiting"),
        ("notifications", "New notifications",
         await queries.count_unread_notifications(db, principal.practice_id,
                                                  principal.user_id), "/notifications"),
    ]
    tiles = await queries.connector_tiles(db, principal.practice_id)
    return page(request, "dashboard.html", counters=counters, tiles=tiles)


ROUTES = [dashboard]
