"""The dashboard: what needs billing staff now, each counter a link to its queue, and one tile
per connector. The posting queues are counted here in one query; every other counter comes
from its page module's `COUNTERS` (gateway.web.counters)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.auth import Principal, requires
from gateway.api.deps import DB, Me
from gateway.posting import queue
from gateway.web import queries
from gateway.web.counters import Counter, all_counters
from gateway.web.render import page

QUEUES = (("deposit", "Deposit errors"), ("claim", "Claim errors"),
          ("procedure", "Procedure errors"))


async def _receipt_errors(db: AsyncSession, principal: Principal) -> int:
    return await queries.count_receipt_errors(db, principal.practice_id)


async def _rejected(db: AsyncSession, principal: Principal) -> int:
    return await queries.count_rejected_claims(db, principal.practice_id)


async def _notifications(db: AsyncSession, principal: Principal) -> int:
    return await queries.count_unread_notifications(db, principal.practice_id,
                                                    principal.user_id)


COUNTERS = [
    Counter("receipt-errors", "Receipt errors", "/receipts", _receipt_errors, order=20),
    Counter("rejected-claims", "Rejected claims", "/claims/rejected", _rejected, order=40),
    Counter("notifications", "New notifications", "/notifications", _notifications,
            order=90),
]


@get("/", guards=[requires("viewer")], name="dashboard")
async def dashboard(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    counts = await queue.queue_counts(db, principal.practice_id)
    counters = [(f"{level}-errors", label, sum(counts.get(level, {}).values()),
                 f"/queues/{level}") for level, label in QUEUES]
    for c in all_counters():
        counters.append((c.key, c.label, await c.count(db, principal), c.href))
    tiles = await queries.connector_tiles(db, principal.practice_id)
    return page(request, "dashboard.html", counters=counters, tiles=tiles)


ROUTES = [dashboard]
