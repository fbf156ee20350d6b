"""The `sync_balances` job: pull and apply the connector's balance snapshot.

A failed sync notifies every active user of the practice once per failure streak: only when
the job's previous finished run did not fail too. The notice is written in a transaction of
its own, because the job's transaction is rolled back with the failure.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.admin.notifications import notify_practice_users
from gateway.balances.service import sync_connector
from gateway.core.errors import UserError
from gateway.jobs.models import JobRun
from gateway.jobs.registry import JobContext


async def sync_balances(session: AsyncSession, ctx: JobContext) -> dict[str, Any]:
    """Sync the job's connector; on failure tell the practice (once per streak), re-raise."""
    if ctx.connector_id is None:
        raise UserError(f"job {ctx.job_id} (sync_balances) needs a connector")
    try:
        result = await sync_connector(session, ctx.practice_id, ctx.connector_id)
    except Exception as exc:
        await session.rollback()  # nothing of a failed sync stays; frees SQLite's write lock
        await _notify_failure(session, ctx, type(exc).__name__)
        raise
    out: dict[str, Any] = msgspec.to_builtins(result)
    out["problems"] = len(result.problems)
    return out


async def _notify_failure(session: AsyncSession, ctx: JobContext, error: str) -> None:
    maker = async_sessionmaker(session.bind, expire_on_commit=False)
    async with maker() as own, own.begin():
        previous = await own.scalar(
            select(JobRun.status).where(JobRun.job_id == ctx.job_id,
                                        JobRun.fire_time < ctx.fire_time,
                                        JobRun.status != "running")
            .order_by(JobRun.fire_time.desc()).limit(1))
        if previous == "failed":
            return  # this streak was announced when it began
        await notify_practice_users(
            own, ctx.practice_id, "balance_sync_failed",
            f"The balance sync of connector {ctx.connector_id} failed ({error}); the last "
            "good balances stay in place. See the job's run history.",
            object_type="connector", object_id=ctx.connector_id)


JOBS = {"sync_balances": sync_balances}
