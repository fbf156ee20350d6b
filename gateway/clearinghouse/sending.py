"""Sending built 837P batches: upload through the connector's plugin, then mark them and their
claims (`submitted` / `billed`), or leave them `failed` with why, so the next run sends the same
bytes again. Building is `gateway.clearinghouse.batches`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.core.errors import Failure, UserError
from gateway.core.hooks import get_hooks
from gateway.core.records import ClaimBatch as ClaimBatchRecord
from gateway.core.records import Connector
from gateway.ledger.billing import mark_billed

from . import batches
from .batches import build_claim_batch
from .models import ClaimBatch, ClaimBatchClaim

__all__ = ["SubmitResult", "submit_claims"]


class SubmitResult(msgspec.Struct, kw_only=True):
    """`gateway connectors run NAME --action submit-claims --json`."""

    seen: int = 0  # claims ready to send
    batches: list[dict[str, Any]] = []
    submitted: int = 0  # claims in batches uploaded this run
    skipped: list[dict[str, Any]] = []  # claims left out, and why
    failed: list[dict[str, str]] = []  # batches whose upload failed, and why



async def _build_all(sessionmaker: async_sessionmaker[AsyncSession], connector: Connector,
                     claim_ids: list[int] | None, result: SubmitResult) -> None:
    """Build 837P batches until every ready claim (of `claim_ids` among them) is in one or
    left out with why; each batch in its own transaction, so memory stays flat. Given ids go
    a batch's worth at a time (a bound list stays far below the databases' parameter cap)."""
    wanted = sorted(set(claim_ids)) if claim_ids is not None else None
    after, start, size = 0, 0, batches.MAX_CLAIMS_PER_BATCH
    while True:
        part = wanted[start:start + size] if wanted is not None else None
        async with sessionmaker() as session, session.begin():
            built = await build_claim_batch(session, connector.practice_id, connector, part,
                                            after_id=after)
        result.seen += built.seen
        result.skipped.extend(built.skipped)
        if built.batch is not None:
            result.batches.append({"id": built.batch.id, "name": built.batch.name,
                                   "claims": built.batch.claim_count, "status": "built"})
        if wanted is not None:
            start += size
            if start >= len(wanted):
                return
        elif built.last_id is None or built.seen < size:
            return
        else:
            after = built.last_id


async def submit_claims(
    sessionmaker: async_sessionmaker[AsyncSession], connector: Connector,
    claim_ids: list[int] | None = None, *, upload: bool = True, send_waiting: bool = True,
) -> SubmitResult:
    """Build batches of the ready claims (or of `claim_ids` among them; each committed before
    sending), then upload it and any earlier batch of this connector whose upload failed, and
    with `send_waiting` the built batches waiting for a biller. `upload=False` only builds:
    the batch waits for a biller to send it."""
    from gateway.core.plugins import plugin_info

    if "submit_claims" not in plugin_info(connector.plugin).capabilities:
        raise UserError(f"connector {connector.name!r} ({connector.plugin}) cannot submit claims")
    result = SubmitResult()
    await _build_all(sessionmaker, connector, claim_ids, result)
    if not upload:
        return result
    built = [int(b["id"]) for b in result.batches]
    async with sessionmaker() as session:
        waiting = ("built", "failed") if send_waiting else ("failed",)
        pending = (await session.scalars(
            select(ClaimBatch).where(
                ClaimBatch.practice_id == connector.practice_id,
                ClaimBatch.connector_id == connector.id,
                ClaimBatch.status.in_(waiting) | ClaimBatch.id.in_(built),
            ).order_by(ClaimBatch.id)
        )).all()
        to_send = [
            ClaimBatchRecord(id=b.id, name=b.name, content=b.content,
                             interchange_control_number=int(b.interchange_control_number),
                             claim_count=b.claim_count)
            for b in pending
        ]
    hooks = get_hooks()
    for record in to_send:
        try:
            receipt = await hooks.submit_claim_batch(connector, record)
            if receipt is None:
                raise Failure(f"no plugin answered for connector {connector.name!r}")
        except (Failure, UserError) as exc:
            async with sessionmaker() as session:
                async with session.begin():
                    await session.execute(
                        update(ClaimBatch).where(ClaimBatch.id == record.id).values(
                            status="failed", detail={"error": str(exc)})
                    )
            result.failed.append({"name": record.name, "why": str(exc)})
            continue
        async with sessionmaker() as session:
            async with session.begin():
                await session.execute(
                    update(ClaimBatch).where(ClaimBatch.id == record.id).values(
                        status="submitted", remote_name=receipt.remote_name,
                        submitted_at=receipt.submitted_at,
                        detail={"receipt": {"size": receipt.size, "sha256": receipt.sha256}},
                    )
                )
                sent = (await session.scalars(select(ClaimBatchClaim.claim_id).where(
                    ClaimBatchClaim.batch_id == record.id))).all()
                await mark_billed(session, sent, receipt.submitted_at or dt.datetime.now(dt.UTC))
        result.submitted += record.claim_count
        result.batches = [b for b in result.batches if b["id"] != record.id]
        result.batches.append({"id": record.id, "name": record.name,
                               "claims": record.claim_count, "remote_name": receipt.remote_name,
                               "sha256": receipt.sha256, "status": "submitted"})
    return result
