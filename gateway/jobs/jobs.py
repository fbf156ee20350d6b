"""Jobs the scheduler itself offers (a no-op heartbeat, handy to check a deployment)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.jobs.registry import JobContext


async def heartbeat(session: AsyncSession, ctx: JobContext) -> dict[str, Any]:
    """Does nothing but prove the scheduler fires and records runs."""
    return {"fire_time": ctx.fire_time.isoformat()}


JOBS = {"heartbeat": heartbeat}
