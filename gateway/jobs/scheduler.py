"""APScheduler wiring: one tick every `tick_seconds` runs whatever fire is due.

The fire times come from each definition (`gateway.jobs.schedule.Plan`), not from the
scheduler's memory, so every node agrees on them and a node that was down catches up with the
latest missed fire (older ones are coalesced). Claiming the fire is a row insert, so any
number of nodes can tick at once.
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.jobs.models import JobDefinition
from gateway.jobs.service import RunOutcome, run_due

log = logging.getLogger(__name__)


async def tick(maker: async_sessionmaker[AsyncSession],
               now: dt.datetime | None = None) -> list[RunOutcome]:
    """Run every due fire of every enabled job once (across all nodes); `now` (default the
    clock) says which fires are due, so a test or an operator can drive it."""
    async with maker() as session:
        job_ids = (await session.scalars(
            select(JobDefinition.id).where(JobDefinition.enabled.is_(True)).order_by(JobDefinition.id)
        )).all()
    outcomes = []
    for job_id in job_ids:
        try:
            outcome = await run_due(maker, job_id, now)
        except Exception:  # one broken definition must not stop the others
            log.exception("job %s could not be run", job_id)
            continue
        if outcome is not None and outcome.claimed:
            outcomes.append(outcome)
    return outcomes


def start_scheduler(
    maker: async_sessionmaker[AsyncSession], tick_seconds: int = 30
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(tick, "interval", seconds=tick_seconds, args=[maker], id="gateway-tick",
                      coalesce=True, max_instances=1, misfire_grace_time=tick_seconds)
    scheduler.start()
    return scheduler
