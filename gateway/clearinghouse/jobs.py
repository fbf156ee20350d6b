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


async def batch_claims(session: AsyncSession, ctx: JobContext) -> dict[str, Any]:
    """Batch the ready claims the job's criteria take; upload them when the job says so
    (else the batch waits for a biller). The history gets counts and grouped reasons."""
    from gateway.admin.connectors import load_connector
    from gateway.clearinghouse.batches import submit_claims
    from gateway.clearinghouse.criteria import decode_params, select_for_batch

    params = decode_params(ctx.params)
    if ctx.connector_id is None:
        raise UserError(f"job {ctx.job_id} (batch_claims) needs a connector")
    chosen, left_out = await select_for_batch(session, ctx.practice_id, params.criteria,
                                              ctx.fire_time)
    connector = await load_connector(session, ctx.practice_id, ctx.connector_id)
    maker = async_sessionmaker(session.bind, expire_on_commit=False)
    result = await submit_claims(maker, connector, chosen,
                                 upload=params.upload_after_batching, send_waiting=False)
    for skip in result.skipped:
        left_out.setdefault(str(skip["why"]), []).append(int(skip["claim_id"]))
    batched = sum(int(b["claims"]) for b in result.batches)
    return {"batched": batched, "left_out": sum(len(v) for v in left_out.values()),
            "reasons": left_out, "uploaded": result.submitted,
            "batches": [{"id": b["id"], "claims": b["claims"], "status": b["status"]}
                        for b in result.batches], "failed": result.failed}


JOBS = {
    "batch_claims": batch_claims,
    "poll_eras": _action("fetch-eras"),
    "poll_acknowledgments": _action("fetch-acks"),
    "submit_claims": _action("submit-claims"),
}


def _params() -> dict[str, type]:
    from gateway.clearinghouse.criteria import BatchClaimsParams

    return {"batch_claims": BatchClaimsParams}


PARAMS = _params()
