"""Statement jobs for the scheduler: import a Data Media connector's payment files (hourly by
default: `schedule_connector`)."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.admin.connectors import get_connector_row
from gateway.core.errors import UserError
from gateway.jobs.registry import JobContext
from gateway.jobs.service import JobIn, define_job
from gateway.statements.connector import run_connector

KIND = "import_statement_payments"
DEFAULT_PATTERN = "hourly"


async def import_statement_payments(session: AsyncSession, ctx: JobContext) -> dict[str, Any]:
    """Fetch and import the job's connector's payment files; each file commits on its own."""
    if ctx.connector_id is None:
        raise UserError(f"job {ctx.job_id} ({KIND}) needs a connector")
    maker = async_sessionmaker(session.bind, expire_on_commit=False)
    result = await run_connector(maker, ctx.practice_id, ctx.connector_id,
                                 actor=f"job:{ctx.job_id}")
    out = msgspec.to_builtins(result)
    out["files"] = [{"imported_file_id": f.imported_file_id, "status": f.status}
                    for f in result.files]
    return out


async def schedule_connector(session: AsyncSession, practice_id: int, connector: int | str,
                             *, pattern: str = DEFAULT_PATTERN, every: int = 1) -> int:
    """Define the connector's import job (hourly unless told otherwise); returns its id."""
    row = await get_connector_row(session, practice_id, connector)
    return await define_job(session, practice_id, JobIn(
        name=f"Statement ePayments: {row.name}", kind=KIND, pattern=pattern, every=every,
        connector_id=row.id))


JOBS = {KIND: import_statement_payments}
