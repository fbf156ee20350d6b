"""The `sync_balances` job of a PMS connector, made with the connector: daily at the
practice-local `daily_at` by default, every `every_hours` hours when the practice asks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.jobs.models import JobDefinition
from gateway.jobs.service import JobIn, define_job


def job_name(connector_name: str) -> str:
    return f"sync_balances:{connector_name}"[:120]


async def ensure_sync_job(session: AsyncSession, practice_id: int, connector_id: int,
                          connector_name: str, config: Any) -> int | None:
    """Define (or re-time) the connector's sync job from its `balances` source; None when
    the connector has no balance source or its schedule is off."""
    source = getattr(config, "balances", None)
    if source is None or source.schedule == "off":
        return None
    hourly = source.schedule == "hourly"
    pattern, every = ("hourly", source.every_hours) if hourly else ("daily", 1)
    existing = await session.scalar(select(JobDefinition).where(
        JobDefinition.practice_id == practice_id,
        JobDefinition.name == job_name(connector_name)))
    if existing is not None:
        existing.pattern, existing.every, existing.time_of_day = pattern, every, source.daily_at
        return existing.id
    return await define_job(session, practice_id, JobIn(
        name=job_name(connector_name), kind="sync_balances", pattern=pattern, every=every,
        time_of_day=source.daily_at, connector_id=connector_id))
