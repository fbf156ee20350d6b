"""Clearinghouse jobs for the scheduler: poll ERAs, poll acknowledgments, submit claims.

Each needs the job's connector. The connector actions commit per file (a file is imported,
then the remote is tidied), so they get a session factory on the job's database rather than
the job's single transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.clearinghouse.service import run_connector_action
from gateway.core.errors import UserError
from gateway.jobs.registry import JobContext, JobFn


def _action(action: str) -> JobFn:
    async def job(session: AsyncSession, ctx: JobContext) -> dict[str, Any]:
        if ctx.connector_id is None:
            raise UserError(f"job {ctx.job_id} ({action}) needs a connector")
        maker = async_sessionmaker(session.bind, expire_on_commit=False)
        return await run_connector_action(maker, ctx.practice_id, ctx.connector_id, action)

    job.__name__ = action.replace("-", "_")
    job.__doc__ = f"Run the connector action {action!r} for the job's connector."
    return job


JOBS = {
    "poll_eras": _action("fetch-eras"),
    "poll_acknowledgments": _action("fetch-acks"),
    "submit_claims": _action("submit-claims"),
}
