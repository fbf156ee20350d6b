"""Reconciliation: run the engine (`gateway.receipts.disburse`) on receipts, selected or all
workable ones (the nightly run, read a chunk at a time by keyset: no list of the night's ids),
in chunks.

For each chunk of receipts it reads the receipts, what they applied before, and the patients'
claims with their lines and patient balances (one joined read; money, dates and vocabularies
taken as stored and decoded once per distinct value), decides every receipt in memory
(receipts of one patient in a chunk see each other's applications), and writes applications
(their ledger rows and the receipts' history lines by INSERT ... SELECT) and status changes
with bulk statements. On PostgreSQL the chunk's receipts are locked FOR UPDATE SKIP LOCKED and the
patients' claims FOR UPDATE, so two nodes never apply a receipt or pay a balance twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.practices import practice_settings
from gateway.core.errors import NotFound
from gateway.core.money import ZERO
from gateway.core.practice_settings import PracticeSettings
from gateway.db.models import Appointment
from gateway.posting.bulk import fetch, update_by_id
from gateway.receipts import disburse
from gateway.receipts.applications import (
    CLAIMS,
    applied_amounts,
    load_claims,
    write_applications,
)
from gateway.receipts.common import (
    CHUNK,
    MESSAGES,
    RECEIPTS,
    Decoded,
    cents_decoder,
    chunks,
    date_decoder,
    now,
    practice_today,
    stored,
)
from gateway.receipts.enums import WORKABLE, Behaviour, HoldSetBy, ReceiptStatus
from gateway.receipts.models import Receipt
from gateway.receipts.schemas import ReconcileResult

log = logging.getLogger("gateway.receipts")

COUNTERS = {ReceiptStatus.COMPLETED: "completed", ReceiptStatus.HOLD: "hold",
            ReceiptStatus.ERROR: "error"}


@dataclass
class _Pass:
    """One reconciliation: what every chunk needs to know and where it counts."""

    practice_id: int
    rules: disburse.Rules
    today: dt.date
    actor: str
    result: ReconcileResult
    keep_results: bool


@dataclass
class _Writes:
    """What a chunk's decisions write, gathered for bulk statements."""

    receipts: list[dict[str, Any]] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)  # receipts whose decision changed them
    apps: list[dict[str, Any]] = field(default_factory=list)
    claims: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (new, old status)
    at: dt.datetime = field(default_factory=now)  # created_at of the chunk's applications


async def reconcile_practice(session: AsyncSession, practice_id: int,
                             today: dt.date | None = None, actor: str = "engine", *,
                             chunk_size: int | None = None) -> ReconcileResult:
    """The nightly run: every New or Hold receipt of the practice (a biller's hold waits for
    its date). For the scheduler."""
    return await reconcile(session, practice_id, None, today=today, actor=actor,
                           chunk_size=chunk_size)


async def reconcile(
    session: AsyncSession, practice_id: int, receipt_ids: Iterable[int] | None = None, *,
    today: dt.date | None = None, actor: str = "engine", chunk_size: int | None = None,
    keep_results: bool | None = None, settings: PracticeSettings | None = None,
) -> ReconcileResult:
    """Run the engine on the given receipts (None: all workable ones). Selected receipts that
    are not New or Hold are skipped and listed; another practice's receipt is NotFound.
    `keep_results` (default: when receipts are given) lists each receipt's outcome in the
    result; a bulk caller that only needs the counts passes False (memory stays flat). A
    caller running the engine chunk after chunk passes the practice's `settings` it holds."""
    settings = settings or await practice_settings(session, practice_id)
    keep = receipt_ids is not None if keep_results is None else keep_results
    run = _Pass(practice_id, disburse.Rules.from_settings(settings),
                today or practice_today(settings), actor, ReconcileResult(), keep_results=keep)
    size = chunk_size or CHUNK
    if receipt_ids is not None:
        work = await _selected(session, practice_id, receipt_ids, size, run.result)
        for chunk in chunks(work, size):
            await _reconcile_chunk(session, run, await _fetch_receipts(
                session, RECEIPTS.c.id.in_(chunk)))
    else:
        async for rows in _workable(session, run, size):
            await _reconcile_chunk(session, run, rows)
    result = run.result
    log.info("receipts reconciled practice=%s considered=%s completed=%s hold=%s error=%s",
             practice_id, result.considered, result.completed, result.hold, result.error)
    return result


async def _selected(session: AsyncSession, practice_id: int, receipt_ids: Iterable[int],
                    size: int, result: ReconcileResult) -> list[int]:
    """The selected receipts the engine may work on; the others listed as skipped."""
    ids = sorted(set(receipt_ids))
    found: dict[int, ReceiptStatus] = {}
    for chunk in chunks(ids, size):
        found.update((await session.execute(
            select(Receipt.id, Receipt.status).where(Receipt.practice_id == practice_id,
                                                     Receipt.id.in_(chunk))
        )).tuples().all())
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no receipt {', '.join(map(str, missing[:10]))}")
    result.skipped = [{"id": i, "status": s} for i, s in found.items() if s not in WORKABLE]
    return [i for i in ids if found[i] in WORKABLE]


async def _workable(session: AsyncSession, run: _Pass, size: int) -> AsyncIterator[list[Any]]:
    """Every New or Hold receipt of the practice, but a biller's hold not before its date:
    `size` at a time in id order, each chunk read after the one before was written (keyset:
    no list of the night's ids is held, and a receipt is looked at once)."""
    after = 0
    today = run.today
    while rows := await _fetch_receipts(
            session, RECEIPTS.c.practice_id == run.practice_id, RECEIPTS.c.id > after,
            # a biller's hold waits for its date while the receipt is on Hold
            or_(RECEIPTS.c.status != ReceiptStatus.HOLD, RECEIPTS.c.hold_set_by.is_(None),
                RECEIPTS.c.hold_set_by != HoldSetBy.USER, RECEIPTS.c.hold_until.is_(None),
                RECEIPTS.c.hold_until <= today), limit=size):
        yield rows
        after = rows[-1].id


async def _fetch_receipts(session: AsyncSession, *where: Any,
                          limit: int | None = None) -> list[Any]:
    """The workable receipts matching `where`, locked (PostgreSQL: FOR UPDATE SKIP LOCKED,
    so two nodes never work one receipt), vocabularies, dates and amounts read as stored."""
    rows = await fetch(session, select(
        RECEIPTS.c.id, RECEIPTS.c.patient_id, stored(RECEIPTS.c.behaviour),
        stored(RECEIPTS.c.received_on), stored(RECEIPTS.c.amount), RECEIPTS.c.appointment_id,
        stored(RECEIPTS.c.status), RECEIPTS.c.status_reason, stored(RECEIPTS.c.hold_until),
    ).where(*where, RECEIPTS.c.status.in_(WORKABLE))
        .order_by(RECEIPTS.c.id).limit(limit)
        .with_for_update(skip_locked=True))
    return rows


async def _reconcile_chunk(session: AsyncSession, run: _Pass, rows: list[Any]) -> None:
    if not rows:
        return
    applied = await applied_amounts(session, [r.id for r in rows])
    visit_dates = await _visit_dates(session, rows)
    claims_of = await load_claims(session, run.practice_id,
                                  (r.patient_id for r in rows if r.patient_id is not None))
    writes = _Writes()
    day, amount, behaviour, status = (date_decoder(), cents_decoder(), Decoded(Behaviour),
                                      Decoded(ReceiptStatus))
    view = disburse.ReceiptView
    no_claims: list[disburse.ClaimView] = []  # a receipt whose patient is not known
    for rid, pid, kind, received, stored_amount, appt, now_status, reason, hold in rows:
        seen = _Seen(rid, status[now_status], reason, day[hold])
        _decide(run, seen, view(rid, behaviour[kind], day[received],
                                amount[stored_amount] - applied.get(rid, ZERO), pid is not None,
                                appt, visit_dates.get(appt) if appt is not None else None),
                claims_of.get(pid, no_claims) if pid is not None else no_claims, writes)
    await _write(session, run, writes)


async def _visit_dates(session: AsyncSession, rows: Sequence[Any]) -> dict[int, dt.date]:
    """The date of each receipt's appointment, by appointment id."""
    appointment_ids = {r.appointment_id for r in rows if r.appointment_id is not None}
    if not appointment_ids:
        return {}
    found = await session.execute(
        select(Appointment.id, Appointment.starts_at).where(Appointment.id.in_(appointment_ids)))
    return {aid: starts.date() for aid, starts in found}


class _Seen(NamedTuple):
    """What the receipt is now (its decision is written only when it changes)."""

    id: int
    status: ReceiptStatus
    status_reason: str | None
    hold_until: dt.date | None


def _decide(run: _Pass, r: _Seen, view: disburse.ReceiptView,
            claims: list[disburse.ClaimView], writes: _Writes) -> None:
    """Decide one receipt, make its decision the in-memory state, and gather its writes."""
    decision = disburse.decide(view, claims, run.rules, run.today)
    apps, changes = decision.applications, decision.claim_status
    previous = {c.id: c.status for c in claims if c.id in changes} if changes else {}
    disburse.commit(decision, claims)
    result = run.result
    result.considered += 1
    if apps:
        add, practice_id, at = writes.apps.append, run.practice_id, writes.at
        for a in apps:
            add({"practice_id": practice_id, "receipt_id": r.id, "claim_id": a.claim_id,
                 "claim_line_id": a.claim_line_id, "amount": a.amount, "credit": a.credit,
                 "applied_by": "engine", "created_at": at,
                 "previous_claim_status": previous.get(a.claim_id) if a.credit else None})
        result.applied += decision.applied
        result.applications += len(apps)
    for cid, status in changes.items():
        writes.claims[cid] = (status, writes.claims.get(cid, (status, previous[cid]))[1])
    hold_until = decision.hold_until if decision.status == ReceiptStatus.HOLD else None
    if (apps or decision.status != r.status or decision.message != r.status_reason
            or hold_until != r.hold_until):
        writes.receipts.append({
            "status": decision.status, "status_reason": decision.message,
            "hold_until": hold_until, "hold_set_by": HoldSetBy.ENGINE if hold_until else None,
            "b_id": r.id,
        })
        writes.messages.append(r.id)
    else:
        result.unchanged += 1
    counter = COUNTERS[decision.status]
    setattr(result, counter, getattr(result, counter) + 1)
    if run.keep_results:
        result.results.append({"id": r.id, "status": decision.status,
                               "applied": decision.applied, "message": decision.message})


async def _write(session: AsyncSession, run: _Pass, writes: _Writes) -> None:
    await write_applications(session, run.practice_id, writes.apps)
    await update_by_id(session, RECEIPTS, writes.receipts)
    await update_by_id(session, CLAIMS, [{"status": st, "b_id": cid}
                                         for cid, (st, _) in writes.claims.items()])
    if writes.messages:  # each changed receipt's history line is its new status and reason
        m = MESSAGES.c
        await session.execute(insert(MESSAGES).from_select(
            ["receipt_id", "actor", "status", "text", "run_on", "created_at"],
            select(RECEIPTS.c.id, literal(run.actor, m.actor.type), RECEIPTS.c.status,
                   func.coalesce(RECEIPTS.c.status_reason, ""), literal(run.today, m.run_on.type),
                   literal(writes.at, m.created_at.type))
            .where(RECEIPTS.c.id.in_(writes.messages)).order_by(RECEIPTS.c.id)))


__all__ = ["reconcile", "reconcile_practice"]
