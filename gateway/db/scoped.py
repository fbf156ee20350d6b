"""The one scoped lookup: load an object of the caller's practice, or `NotFound`.

A missing object and another practice's answer the same 404, so ids cannot be probed
across practices.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import NotFound

M = TypeVar("M")


async def get_scoped(session: AsyncSession, model: type[M], practice_id: int, object_id: int,
                     *, what: str, **also: Any) -> M:
    """`model` row `object_id` if it belongs to `practice_id` (and has every `also` value,
    e.g. `user_id=` for a user's own notifications); else NotFound naming `what`."""
    obj = await session.get(model, object_id)
    if (obj is None or getattr(obj, "practice_id", None) != practice_id
            or any(getattr(obj, key) != value for key, value in also.items())):
        raise NotFound(f"no {what} {object_id}")
    return obj
