"""Reading aging snapshots back (newest first; removed ones stay listed, marked)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.aging.models import AgingSnapshot
from gateway.aging.vendors import get_location


async def list_snapshots(
    session: AsyncSession, practice_id: int, location_id: int, limit: int = 50
) -> list[AgingSnapshot]:
    await get_location(session, practice_id, location_id)
    return list(
        (
            await session.scalars(
                select(AgingSnapshot)
                .where(AgingSnapshot.practice_id == practice_id,
                       AgingSnapshot.location_id == location_id)
                .order_by(AgingSnapshot.id.desc()).limit(limit)
            )
        ).all()
    )
