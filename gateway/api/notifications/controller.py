"""The caller's notifications (new payers added, files that need review...)."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, get, post
from litestar.pagination import OffsetPagination
from litestar.params import FromQuery
from sqlalchemy import select

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.params import Paging, PathId
from gateway.db.base import utcnow
from gateway.db.models import Notification
from gateway.db.scoped import get_scoped


class NotificationOut(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    message: str
    object_type: str | None
    object_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]
    guards = [requires("viewer")]

    @get("/")
    async def list_notifications(self, db: DB, principal: Me, page: Paging,
                                 unread: FromQuery[bool] = False
                                 ) -> OffsetPagination[NotificationOut]:
        """The caller's notifications, newest first (`unread=true`: only unread ones)."""
        q = select(Notification).where(
            Notification.practice_id == principal.practice_id,
            Notification.user_id == principal.user_id,
        ).order_by(Notification.id.desc())
        if unread:
            q = q.where(Notification.read_at.is_(None))
        rows, total = await page.run(db, q)
        return page.of([_out(n) for n in rows], total)

    @post("/{notification_id:int}/read")
    async def mark_read(self, notification_id: PathId, db: DB,
                        principal: Me) -> NotificationOut:
        """Mark one of the caller's notifications read (again: no change)."""
        n = await get_scoped(db, Notification, principal.practice_id, notification_id,
                             what="notification", user_id=principal.user_id)
        n.read_at = n.read_at or utcnow()
        return _out(n)


def _out(n: Notification) -> NotificationOut:
    return NotificationOut(id=n.id, kind=n.kind, message=n.message, object_type=n.object_type,
                           object_id=n.object_id, created_at=n.created_at, read_at=n.read_at)


ROUTES = [NotificationController]
