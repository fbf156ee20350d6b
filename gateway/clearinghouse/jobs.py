"""Clearinghouse jobs for the scheduler: poll ERAs, poll acknowledgments, submit claims.

Each needs the job's connector. The connector actions commit per file (a file is imported,
then the remote is tidied), so they get a session factory on the job's database rather than
the job's single transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.clearinghouse.service import run_connector_action
from gateway.core.errors import UserError
from gateway.core.records import Connector
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
    """Batch the ready claims the job's criteria take: electronic ones into an 837P (uploaded
    when the job says so, else it waits for a biller), paper ones into a print batch. The
    history gets counts and grouped reasons (claim ids only)."""
    from gateway.admin.connectors import load_connector
    from gateway.clearinghouse.criteria import decode_params, select_for_batch

    params = decode_params(ctx.params)
    if ctx.connector_id is None:
        raise UserError(f"job {ctx.job_id} (batch_claims) needs a connector")
    chosen = await select_for_batch(session, ctx.practice_id, params.criteria, ctx.fire_time)
    connector = await load_connector(session, ctx.practice_id, ctx.connector_id)
    maker = async_sessionmaker(session.bind, expire_on_commit=False)
    left_out = chosen.left_out
    electronic = await _electronic(maker, connector, chosen.electronic,
                                   params.upload_after_batching, left_out)
    paper = await _paper(maker, connector, chosen.paper, ctx.fire_time, left_out)
    batched = sum(int(b["claims"]) for b in electronic["batches"]) + paper["claims"]
    return {"batched": batched, "left_out": sum(len(v) for v in left_out.values()),
            "reasons": left_out, **electronic, "print_batch": paper}


async def _electronic(maker: async_sessionmaker[AsyncSession], connector: Connector,
                      claim_ids: list[int], upload: bool,
                      left_out: dict[str, list[int]]) -> dict[str, Any]:
    """The 837P part of a run; a batch left for a biller to send notifies the practice."""
    from gateway.admin.notifications import notify_practice_users
    from gateway.clearinghouse.sending import submit_claims

    result = await submit_claims(maker, connector, claim_ids, upload=upload, send_waiting=False)
    for skip in result.skipped:
        left_out.setdefault(str(skip["why"]), []).append(int(skip["claim_id"]))
    waiting = [b for b in result.batches if b["status"] == "built"]
    if waiting and not upload:
        async with maker() as session, session.begin():
            for b in waiting:
                await notify_practice_users(
                    session, connector.practice_id, "claim_batch",
                    f"Claim batch {b['id']}: {b['claims']} claims wait to be sent",
                    object_type="claim_batch", object_id=int(b["id"]))
    return {"uploaded": result.submitted, "failed": result.failed,
            "batches": [{"id": b["id"], "claims": b["claims"], "status": b["status"]}
                        for b in result.batches]}


async def _paper(maker: async_sessionmaker[AsyncSession], connector: Connector,
                 claim_ids: list[int], fire_time: dt.datetime,
                 left_out: dict[str, list[int]]) -> dict[str, Any]:
    """The print-batch part of a run (its own transaction, like the 837P part)."""
    from gateway.clearinghouse.batches import edi_settings
    from gateway.paper.forms import provider_from_edi
    from gateway.paper.service import MAX_CLAIMS_PER_PRINT_BATCH, build_print_batch

    if not claim_ids:
        return {"id": None, "ids": [], "claims": 0}
    try:
        provider = provider_from_edi(edi_settings(connector))
    except UserError as exc:
        left_out.setdefault(str(exc), []).extend(claim_ids)
        return {"id": None, "ids": [], "claims": 0}
    ids, claims = [], 0
    wanted = sorted(set(claim_ids))
    for start in range(0, len(wanted), MAX_CLAIMS_PER_PRINT_BATCH):  # one batch each
        async with maker() as session, session.begin():
            built = await build_print_batch(
                session, connector.practice_id, provider,
                wanted[start:start + MAX_CLAIMS_PER_PRINT_BATCH], now=fire_time)
        for skip in built.skipped:
            left_out.setdefault(str(skip["why"]), []).append(int(skip["claim_id"]))
        if built.batch_id is not None:
            ids.append(built.batch_id)
            claims += built.claims
    return {"id": ids[0] if ids else None, "ids": ids, "claims": claims}


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
