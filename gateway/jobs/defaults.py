"""The jobs a new practice starts with, each disabled until its connector exists.

They are created whether or not their kind is installed yet (a kind another domain adds later
simply cannot be enabled until it is; `sync_balances` is not among them: each PMS connector's
job is made with the connector, `gateway.balances.schedule`); enabling one checks the kind
is installed and, for kinds that talk to an outside system, that it has a connector. A new
connector binds and enables the ones it feeds (`gateway.jobs.binding`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.upsert import insert_if_absent
from gateway.jobs.models import JobDefinition


class DefaultJob(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: str
    pattern: str
    time_of_day: dt.time
    params: dict[str, Any] = {}


UPLOAD = {"upload_after_batching": True}
DEFAULT_JOBS = (
    DefaultJob(name="Batch claims mid-morning", kind="batch_claims", pattern="daily",
               time_of_day=dt.time(10, 0), params=UPLOAD),
    DefaultJob(name="Batch claims after the workday", kind="batch_claims", pattern="daily",
               time_of_day=dt.time(18, 0), params=UPLOAD),
    DefaultJob(name="Poll ERAs hourly", kind="poll_eras", pattern="hourly",
               time_of_day=dt.time(0, 5)),
    DefaultJob(name="Poll acknowledgments hourly", kind="poll_acknowledgments", pattern="hourly",
               time_of_day=dt.time(0, 10)),
    DefaultJob(name="Auto-post due ERAs", kind="auto_post_eras", pattern="hourly",
               time_of_day=dt.time(0, 20)),
    DefaultJob(name="Reconcile receipts nightly", kind="reconcile_receipts", pattern="daily",
               time_of_day=dt.time(23, 30)),
    DefaultJob(name="Statement payments hourly", kind="import_statement_payments",
               pattern="hourly",
               time_of_day=dt.time(0, 40)),
)
# kinds that reach an outside system through the job's connector
NEEDS_CONNECTOR = frozenset(
    {"batch_claims", "poll_eras", "poll_acknowledgments", "submit_claims", "sync_balances",
     "import_statement_payments", "pull_practice_data"}
)


async def add_default_jobs(session: AsyncSession, practice_id: int,
                           start_date: dt.date | None = None) -> int:
    """Create the practice's default jobs (disabled); a name already taken is left alone.
    Returns how many were created."""
    created = 0
    for job in DEFAULT_JOBS:
        row_id = await insert_if_absent(
            session, JobDefinition.__table__,  # type: ignore[arg-type]  # Table vs FromClause
            {"practice_id": practice_id, "name": job.name, "kind": job.kind,
             "pattern": job.pattern, "every": 1, "start_date": start_date or dt.date.today(),
             "time_of_day": job.time_of_day, "enabled": False, "params": dict(job.params)},
            ["practice_id", "name"],
        )
        created += row_id is not None
    return created
