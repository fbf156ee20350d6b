"""Receipt jobs for the scheduler: the nightly reconciliation."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.practices import practice_settings
from gateway.jobs.registry import JobContext
from gateway.receipts.service import reconcile_practice


async def reconcile_receipts(session: AsyncSession, ctx: JobContext) -> dict[str, Any]:
    """Reconcile every New and Hold receipt of the practice, as of the fire's local date."""
    tz = ZoneInfo((await practice_settings(session, ctx.practice_id)).timezone)
    today = ctx.fire_time.astimezone(tz).date()
    result = await reconcile_practice(session, ctx.practice_id, today=today,
                                      actor=f"job:{ctx.job_id}")
    out = msgspec.to_builtins(result)
    # the run history keeps counts; per-receipt detail is in the receipts' own messages
    out["skipped"] = len(result.skipped)
    out["results"] = len(result.results)
    return out


JOBS = {"reconcile_receipts": reconcile_receipts}
