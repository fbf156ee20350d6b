"""Posting jobs for the scheduler: auto-post ERA deposits per the practice setting."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.jobs.registry import JobContext
from gateway.posting.autopost import post_due_deposits


async def auto_post_eras(session: AsyncSession, ctx: JobContext) -> dict[str, Any]:
    """Post the practice's ERA deposits whose auto-post delay has passed."""
    posted = await post_due_deposits(session, ctx.practice_id, today=ctx.fire_time.date(),
                                     actor=f"job:{ctx.job_id}")
    return {"posted_deposits": posted}


JOBS = {"auto_post_eras": auto_post_eras}
