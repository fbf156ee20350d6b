"""Print batches: build one from the ready paper claims, list them, render their PDF, mark one
printed then mailed (each audited), and count the batches waiting to be sent or printed.

Billing state: built -> the claims are `in_batch`; mailed -> `billed` by the gateway at the
mailing time. Services never commit (the caller's transaction decides).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.admin.notifications import notify_practice_users
from gateway.clearinghouse.batches import lock_batching, ready_rows
from gateway.clearinghouse.chunk import without_control_number
from gateway.clearinghouse.models import ClaimBatch
from gateway.core.errors import NotFound, UserError
from gateway.db.bulk import copy_rows, copy_update_by_id
from gateway.ledger.billing import mark_billed, mark_in_batch
from gateway.ledger.models import Claim

from .cms1500 import ClaimForm
from .forms import Provider, claim_forms
from .models import PrintBatch, PrintBatchClaim
from .pdf import FORM_KINDS, FormKind, form_pages, ln_cents, render

log = logging.getLogger("gateway.paper")
MAX_CLAIMS_PER_PRINT_BATCH = 5000
# electronic batches that wait for a biller (built with upload off, or whose upload failed)
WAITING_TO_SEND = ("built", "failed")
WAITING_TO_PRINT = ("built", "printed")  # printed but not yet mailed still waits


class PrintBuild(msgspec.Struct, kw_only=True):
    batch_id: int | None = None
    claims: int = 0
    skipped: list[dict[str, Any]] = []  # claims left out, and why


class WaitingBatches(msgspec.Struct, kw_only=True):
    """The dashboard's 'claim batches to be sent/printed' counter, and its parts."""

    to_send: int
    to_print: int
    to_mail: int
    total: int


async def build_print_batch(session: AsyncSession, practice_id: int, provider: Provider,
                            claim_ids: list[int] | None = None,
                            now: dt.datetime | None = None) -> PrintBuild:
    """One print batch of the ready paper claims (or of `claim_ids` among them); a claim the
    form cannot be filled for is left out with why. One notification per new batch."""
    now = now or dt.datetime.now(dt.UTC)
    await lock_batching(session, practice_id)
    claims = await ready_rows(session, practice_id, "paper", claim_ids=claim_ids,
                              limit=MAX_CLAIMS_PER_PRINT_BATCH)
    result = PrintBuild()
    forms, result.skipped = await claim_forms(session, claims, provider, now.date())
    if not forms:
        return result
    total = sum(ln_cents(ln) for f in forms for ln in f.lines)
    name = f"PRINT{practice_id}_{now:%Y%m%d%H%M}_{secrets.token_hex(4)}"
    batch = PrintBatch(practice_id=practice_id, name=name,
                       status="built", claim_count=len(forms),
                       page_count=sum(len(form_pages(f)) for f in forms),
                       total_charge=Decimal(total) / 100)
    session.add(batch)
    await session.flush()
    await copy_rows(session, PrintBatchClaim.__table__, [  # type: ignore[arg-type]  # Table
        {"batch_id": batch.id, "claim_id": f.claim_id, "form": msgspec.to_builtins(f)}
        for f in forms])
    printed = {f.claim_id for f in forms}
    await copy_update_by_id(session, Claim.__table__,  # type: ignore[arg-type]  # Table
                            without_control_number(c for c in claims if c.id in printed))
    await mark_in_batch(session, sorted(printed))
    await notify_practice_users(
        session, practice_id, "print_batch",
        f"Print batch {batch.id}: {len(forms)} paper claims to print and mail",
        object_type="print_batch", object_id=batch.id)
    await session.flush()
    log.info("print batch %s built: %d claims", batch.id, len(forms))
    result.batch_id, result.claims = batch.id, len(forms)
    return result


async def list_print_batches(session: AsyncSession, practice_id: int,
                             statuses: tuple[str, ...] | None = None,
                             limit: int = 100, offset: int = 0
                             ) -> tuple[list[PrintBatch], int]:
    """The practice's print batches, newest first, and how many there are."""
    where = [PrintBatch.practice_id == practice_id]
    if statuses:
        where.append(PrintBatch.status.in_(statuses))
    total = int(await session.scalar(select(func.count()).select_from(PrintBatch).where(*where))
                or 0)
    rows = (await session.scalars(select(PrintBatch).where(*where)
                                  .order_by(PrintBatch.id.desc()).limit(limit).offset(offset)))
    return list(rows.all()), total


async def get_print_batch(session: AsyncSession, practice_id: int, batch_id: int) -> PrintBatch:
    batch = await session.scalar(select(PrintBatch).where(
        PrintBatch.id == batch_id, PrintBatch.practice_id == practice_id))
    if batch is None:
        raise NotFound(f"no print batch {batch_id}")
    return batch


async def batch_pdf(session: AsyncSession, practice_id: int, batch_id: int,
                    kind: str) -> tuple[PrintBatch, bytes]:
    """The batch's CMS-1500s as one PDF, rendered in a worker thread."""
    if kind not in FORM_KINDS:
        raise UserError(f"form must be one of {', '.join(FORM_KINDS)}, not {kind!r}",
                        where="form")
    batch = await get_print_batch(session, practice_id, batch_id)
    stored = (await session.scalars(select(PrintBatchClaim.form).where(
        PrintBatchClaim.batch_id == batch.id).order_by(PrintBatchClaim.id))).all()
    forms = [msgspec.convert(f, ClaimForm) for f in stored]
    form_kind: FormKind = "plain" if kind == "plain" else "preprinted"
    return batch, await asyncio.to_thread(render, forms, form_kind)


async def _mark(session: AsyncSession, practice_id: int, batch_id: int, *, to: str,
                actor: str, user_id: int | None) -> PrintBatch:
    batch = await get_print_batch(session, practice_id, batch_id)
    before = {"printed": "built", "mailed": "printed"}[to]
    if batch.status != before:
        raise UserError(f"print batch {batch_id} is {batch.status}: only a {before} batch can "
                        f"be marked {to}", where="status")
    at = dt.datetime.now(dt.UTC)
    batch.status = to
    if to == "printed":
        batch.printed_at = at
    else:
        batch.mailed_at = at
        claim_ids = (await session.scalars(select(PrintBatchClaim.claim_id).where(
            PrintBatchClaim.batch_id == batch.id))).all()
        await mark_billed(session, claim_ids, at)
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action=f"print_batch.{to}", object_type="print_batch", object_id=batch.id,
                detail={"claims": batch.claim_count})
    await session.flush()
    return batch


async def mark_printed(session: AsyncSession, practice_id: int, batch_id: int, *, actor: str,
                       user_id: int | None = None) -> PrintBatch:
    """A biller printed the batch (audited); it still waits to be mailed."""
    return await _mark(session, practice_id, batch_id, to="printed", actor=actor,
                       user_id=user_id)


async def mark_mailed(session: AsyncSession, practice_id: int, batch_id: int, *, actor: str,
                      user_id: int | None = None) -> PrintBatch:
    """A biller mailed the printed batch (audited): its claims are billed."""
    return await _mark(session, practice_id, batch_id, to="mailed", actor=actor,
                       user_id=user_id)


async def waiting_batches(session: AsyncSession, practice_id: int) -> WaitingBatches:
    """How many claim batches wait for a person: electronic ones to send, paper ones to print
    or (printed) to mail."""
    to_send = int(await session.scalar(select(func.count()).select_from(ClaimBatch).where(
        ClaimBatch.practice_id == practice_id, ClaimBatch.status.in_(WAITING_TO_SEND))) or 0)
    by_status = dict((await session.execute(
        select(PrintBatch.status, func.count()).where(
            PrintBatch.practice_id == practice_id, PrintBatch.status.in_(WAITING_TO_PRINT))
        .group_by(PrintBatch.status))).tuples().all())
    to_print, to_mail = int(by_status.get("built", 0)), int(by_status.get("printed", 0))
    return WaitingBatches(to_send=to_send, to_print=to_print, to_mail=to_mail,
                          total=to_send + to_print + to_mail)


async def batches_to_send(session: AsyncSession, practice_id: int,
                          limit: int = 200) -> list[ClaimBatch]:
    """Electronic claim batches waiting for a biller to send them (built with upload off, or
    whose upload failed), oldest first."""
    return list((await session.scalars(select(ClaimBatch).where(
        ClaimBatch.practice_id == practice_id, ClaimBatch.status.in_(WAITING_TO_SEND))
        .order_by(ClaimBatch.id).limit(limit))).all())
