"""The audit log: who did what to which object (ids and codes only, never patient details)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.models import AuditLog


async def audit(
    session: AsyncSession,
    *,
    practice_id: int | None,
    actor: str,
    action: str,
    object_type: str | None = None,
    object_id: int | None = None,
    user_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(AuditLog(practice_id=practice_id, user_id=user_id, actor=actor, action=action,
                         object_type=object_type, object_id=object_id, detail=detail or {}))
