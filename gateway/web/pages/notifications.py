"""The signed-in user's notifications (payers added, files that need review), newest first,
with Mark read."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select, update

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.db.base import utcnow
from gateway.db.models import Notification
from gateway.web.paging import make_page, window
from gateway.web.render import page


@get("/notifications", guards=[requires("viewer")])
async def notifications(request: Request[Any, Any, Any], db: DB, principal: Me,
                        page_no: FromQuery[int] = 1) -> Template:
    n, limit, offset = window(page_no)
    rows = (await db.scalars(select(Notification).where(
        Notification.practice_id == principal.practice_id,
        Notification.user_id == principal.user_id,
    ).order_by(Notification.read_at.is_not(None), Notification.id.desc())
        .limit(limit).offset(offset))).all()
    return page(request, "notifications.html", rows=make_page(rows, n))


@post("/notifications/read", guards=[requires("viewer")], status_code=303)
async def mark_read(db: DB, principal: Me, id: FromQuery[int | None] = None) -> Redirect:  # noqa: A002
    """Mark one notification read (`?id=`), or all of the user's."""
    q = update(Notification).where(Notification.practice_id == principal.practice_id,
                                   Notification.user_id == principal.user_id,
                                   Notification.read_at.is_(None))
    if id is not None:
        q = q.where(Notification.id == id)
    await db.execute(q.values(read_at=utcnow()))
    return Redirect("/notifications", status_code=303)


ROUTES = [notifications, mark_read]
