"""Notifications for the people of a practice (a new payer was added, an ERA needs review...)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.models import Notification, User


async def notify_practice_users(
    session: AsyncSession, practice_id: int, kind: str, message: str, *,
    object_type: str | None = None, object_id: int | None = None,
) -> int:
    """One notification per active user of the practice; returns how many were written.

    `message` must not carry patient names or dates of birth: ids and payer names only.
    """
    users = (
        await session.scalars(
            select(User.id).where(User.practice_id == practice_id, User.active.is_(True))
        )
    ).all()
    session.add_all(Notification(practice_id=practice_id, user_id=uid, kind=kind, message=message,
                                 object_type=object_type, object_id=object_id) for uid in users)
    return len(users)
