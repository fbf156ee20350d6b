"""Practice-data jobs for the scheduler: pull the PMS's exports through the job's connector
(one transaction: the job's)."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.jobs.registry import JobContext
from gateway.practice.pull import pull_connector


async def pull_practice_data(session: AsyncSession, ctx: JobContext) -> dict[str, Any]:
    """Pull and write the practice data of the job's connector."""
    if ctx.connector_id is None:
        raise UserError(f"job {ctx.job_id} (pull_practice_data) needs a connector")
    summary = await pull_connector(session, ctx.practice_id, ctx.connector_id)
    return dict(msgspec.to_builtins(summary))


JOBS = {"pull_practice_data": pull_practice_data}
