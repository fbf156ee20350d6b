"""The dashboard: what needs billing staff now, each counter a link to its queue, and one tile
per connector. Every counter comes from a page module's `COUNTERS` (gateway.web.counters);
those that are one SELECT each (the posting queues and the ones below among them) are asked
in one statement."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from gateway.api.auth import Principal, requires
from gateway.api.deps import DB, Me
from gateway.web import queries
from gateway.web.counters import Counter, all_counters, count_all
from gateway.web.render import page


def _queue(level: str, label: str, order: int) -> Counter:
    return Counter(f"{level}-errors", label, f"/queues/{level}", order=order,
                   query=lambda p: queries.open_posting_errors_query(p.practice_id, level))


def _notifications(p: Principal) -> Any:
    return queries.unread_notifications_query(p.practice_id, p.user_id)


COUNTERS = [
    _queue("deposit", "Deposit errors", 1), _queue("claim", "Claim errors", 2),
    _queue("procedure", "Procedure errors", 3),
    Counter("receipt-errors", "Receipt errors", "/receipts", order=20,
            query=lambda p: queries.receipt_errors_query(p.practice_id)),
    Counter("rejected-claims", "Rejected claims", "/claims/rejected", order=40,
            query=lambda p: queries.rejected_claims_query(p.practice_id)),
    Counter("notifications", "New notifications", "/notifications", order=90,
            query=_notifications),
]


@get("/", guards=[requires("viewer")], name="dashboard")
async def dashboard(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    shown = all_counters()
    numbers = await count_all(db, principal, shown)
    counters = [(c.key, c.label, numbers[c.key], c.href) for c in shown]
    tiles = await queries.connector_tiles(db, principal.practice_id)
    return page(request, "dashboard.html", counters=counters, tiles=tiles)


ROUTES = [dashboard]
