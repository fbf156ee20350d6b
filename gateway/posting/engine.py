"""The posting engine: a deposit's claims posted to the ledger, claim by claim, in chunks.

For each chunk of deposit claims the engine loads, in a handful of bulk queries, the matched
claims, their lines, the line balances (ledger sums), the patients' coverages and the open
errors; decides every claim in memory; and writes the ledger rows, claim updates and errors
with executemany statements. Memory holds one chunk, whatever the size of the ERA.

A claim posts whole or not at all: any claim or procedure error keeps every line of that claim
off the ledger (no half-posted claims), while the clean claims of the deposit post (partial
posting). Posting again is safe: posted claims are skipped, errors that still apply are kept
(not duplicated), errors that no longer apply are closed as "cleared".

Order within a deposit: reversals (CLP02 = 22) first, then everything else, so a take-back and
its re-payment in one ERA net correctly whatever their order in the file.

Ledger sources: `deposit_claim` (posting), `deposit_plb` (a PLB applied to a claim). Reset
writes `deposit_claim_reset` / `deposit_plb_reset` rows pointing at the rows they undo.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import Table, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.core.progress import OnProgress, report
from gateway.db.base import utcnow
from gateway.db.scoped import get_scoped
from gateway.ledger.balances import Balances
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.posting.building import build
from gateway.posting.bulk import fetch_objects, insert_rows, is_sqlite, select_raw, update_by_id
from gateway.posting.context import (
    ChunkData,
    ClaimCase,
    PostingContext,
    PostResult,
    Problem,
)
from gateway.posting.deposit_totals import refresh_deposit_totals
from gateway.posting.evaluation import allocate, claim_not_found, evaluate
from gateway.posting.fingerprints import claim_fingerprints, release
from gateway.posting.guard import check_posting
from gateway.posting.loading import live_rows, load_chunk
from gateway.posting.matching import match_lines
from gateway.posting.models import (
    Deposit,
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
    PostingError,
)
from gateway.posting.rules import load_rules
from gateway.posting.vocabulary import RESOLVED_AS_CLEARED, ErrorLevel

__all__ = [
    "CHUNK", "PostResult", "allocate", "get_deposit", "live_rows", "match_lines",
    "open_deposit_errors", "post_deposit", "refresh_posted_status",
]

log = logging.getLogger("gateway.posting.engine")

CHUNK = 1000


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


# -- entry points -----------------------------------------------------------------------------


async def get_deposit(session: AsyncSession, practice_id: int, deposit_id: int) -> Deposit:
    return await get_scoped(session, Deposit, practice_id, deposit_id, what="deposit")


async def open_deposit_errors(session: AsyncSession, deposit_id: int) -> list[str]:
    return list(
        (
            await session.scalars(
                select(PostingError.type).where(
                    PostingError.deposit_id == deposit_id,
                    PostingError.level == ErrorLevel.DEPOSIT,
                    PostingError.resolved_at.is_(None),
                )
            )
        ).all()
    )


async def post_deposit(
    session: AsyncSession,
    practice_id: int,
    deposit_id: int,
    *,
    actor: str = "system",
    only_claims: Sequence[int] | None = None,
    on_progress: OnProgress | None = None,
) -> PostResult:
    """Send a deposit to posting and post every claim that can post (`on_progress` hears
    the claims of each chunk as it is written).

    Refused (UserError) for an ignored deposit or one with open deposit-level errors. Another
    process posting the same deposit at the same moment is refused too: the deposit row is
    claimed with a conditional update ("Being Disbursed"), the database decides.
    """
    dep = await _claim_for_posting(session, practice_id, deposit_id)
    rules = await load_rules(session, practice_id, dep.payer_id)
    ctx = PostingContext(dep, rules, actor)
    only = set(only_claims) if only_claims is not None else None
    for reversals in (True, False):
        last_id = 0
        while True:
            chunk = await _next_chunk(session, deposit_id, last_id, reversals, only)
            if not chunk:
                break
            last_id = chunk[-1].id
            await _post_chunk(session, ctx, chunk)
            report(on_progress, len(chunk))
    ctx.result.plb_applied = await _apply_plb(session, ctx)
    status = await refresh_posted_status(session, deposit_id)
    await refresh_deposit_totals(session, [deposit_id])
    ctx.result.posted_status = status
    log.info(
        "deposit %s posted by %s: %d claims posted, %d with errors, status %s",
        deposit_id, actor, ctx.result.posted_claims, ctx.result.error_claims, status,
    )
    return ctx.result


async def _claim_for_posting(session: AsyncSession, practice_id: int, deposit_id: int) -> Deposit:
    """The deposit, claimed for this posting by a conditional update (the database decides
    between two processes); refused when ignored or blocked by deposit errors."""
    dep = await get_deposit(session, practice_id, deposit_id)
    if dep.status == "Ignore":
        raise UserError(f"deposit {deposit_id} is ignored; it cannot be posted")
    blocking = await open_deposit_errors(session, deposit_id)
    if blocking:
        raise UserError(
            f"deposit {deposit_id} has open deposit errors ({', '.join(sorted(set(blocking)))});"
            " resolve them first"
        )
    claimed = await session.execute(
        update(Deposit)
        .where(Deposit.id == deposit_id, Deposit.posted_status != "Being Disbursed")
        .values(posted_status="Being Disbursed", status="Sent to Posting")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        raise UserError(f"deposit {deposit_id} is being posted by another process")
    return dep


async def _next_chunk(session: AsyncSession, deposit_id: int, last_id: int, reversals: bool,
                      only: set[int] | None) -> list[Any]:
    """The next chunk of claims still to post (reversals, or everything else), as plain
    mutable objects (no ORM identity map: the engine writes with executemany statements)."""
    q = (
        select(_table(DepositClaim))
        .where(
            DepositClaim.deposit_id == deposit_id,
            DepositClaim.id > last_id,
            DepositClaim.state.in_(("pending", "error")),
            (DepositClaim.remit_status == "22") if reversals
            else (DepositClaim.remit_status != "22"),
        )
        .order_by(DepositClaim.id)
        .limit(CHUNK)
        .execution_options(populate_existing=True)
    )
    if only is not None:
        return await fetch_objects(session, q.where(DepositClaim.id.in_(only)))
    if is_sqlite(session):  # the same query, without SQLAlchemy's row processing
        return await select_raw(
            session, _table(DepositClaim),
            "deposit_id = ? AND id > ? AND state IN ('pending', 'error') AND "
            + ("remit_status = '22'" if reversals else "remit_status != '22'")
            + " ORDER BY id LIMIT ?",
            (deposit_id, last_id, CHUNK))
    return await fetch_objects(session, q)


async def refresh_posted_status(session: AsyncSession, deposit_id: int) -> str:
    """Disbursed when every claim posted (or was excluded); with Credits when one went into
    credit; Not Disbursed otherwise."""
    rows = (
        await session.execute(
            select(DepositClaim.state, func.count(),
                   func.sum(case((DepositClaim.credit.is_(True), 1), else_=0)))
            .where(DepositClaim.deposit_id == deposit_id)
            .group_by(DepositClaim.state)
        )
    ).all()
    counts = {state: n for state, n, _ in rows}
    credit = any(c for state, _, c in rows if state == "posted")
    if counts.get("pending") or counts.get("error"):
        status = "Not Disbursed"
    elif credit:
        status = "Disbursed with Credits"
    else:
        status = "Disbursed"
    values: dict[str, Any] = {"posted_status": status}
    if status != "Not Disbursed":
        values["posted_at"] = utcnow()
    await session.execute(
        update(Deposit).where(Deposit.id == deposit_id).values(**values)
        .execution_options(synchronize_session=False)
    )
    dep = await session.get(Deposit, deposit_id)
    if dep is not None:
        await session.refresh(dep)
    return status


# -- one chunk --------------------------------------------------------------------------------


class _Writes:
    """The rows one chunk writes, collected in memory and written with executemany."""

    def __init__(self) -> None:
        self.ledger_rows: list[dict[str, Any]] = []
        self.claim_updates: list[dict[str, Any]] = []
        self.dc_updates: list[dict[str, Any]] = []
        self.reversed_marks: list[dict[str, Any]] = []
        self.new_errors: list[dict[str, Any]] = []
        self.cleared: list[int] = []


def _decide(ctx: PostingContext, chunk: ChunkData, dc: DepositClaim,
            ) -> tuple[list[Problem], dict[str, Any] | None]:
    """One deposit claim: its problems, or (when there are none) what building made of it."""
    if dc.claim_id is None or dc.claim_id not in chunk.claims:
        return claim_not_found(dc, chunk.candidates.get(dc.id)).problems, None
    case = ClaimCase(dc=dc, procs=chunk.procs_by_dc.get(dc.id, []),
                     claim_adjs=chunk.claim_adjs.get(dc.id, []),
                     claim=chunk.claims[dc.claim_id],
                     claim_lines=chunk.lines.get(dc.claim_id, []))
    decision = evaluate(ctx, chunk, case)
    if decision.problems:
        return decision.problems, None
    before = _balances_of(chunk, case)
    built = build(ctx, chunk, case, decision)
    refused = check_posting(ctx, chunk, case, decision, built)
    if refused is not None:
        chunk.balances.update(before)  # nothing of it is written
        return [refused], None
    if decision.fingerprint:
        ctx.posted_now.setdefault(decision.fingerprint, dc.id)
        if not (dc.overrides or {}).get("accept_duplicate"):  # the adjudication in effect
            built["fingerprint"] = decision.fingerprint
    return [], built


def _balances_of(chunk: ChunkData, case: ClaimCase) -> dict[int, Balances]:
    """Copies of the claim's line balances (building changes them as it goes)."""
    return {ln.id: msgspec.structs.replace(chunk.balances.get(ln.id, Balances()))
            for ln in case.claim_lines}


def _record_problems(ctx: PostingContext, chunk: ChunkData, dc: DepositClaim,
                     problems: list[Problem], w: _Writes) -> None:
    """Keep the errors still open, add the new ones, close the ones that no longer apply."""
    still = chunk.open_errors.get(dc.id, {})
    keys = set()
    for e in problems:
        keys.add(e.key())
        if e.key() not in still:
            w.new_errors.append({
                "practice_id": ctx.deposit.practice_id, "deposit_id": ctx.deposit.id,
                "deposit_claim_id": dc.id, "deposit_procedure_id": e.proc_id,
                "deposit_adjustment_id": e.adj_id, "level": e.level, "type": e.type,
                "message": e.message, "detail": e.detail, "created_at": ctx.now,
            })
    w.cleared.extend(eid for k, eid in still.items() if k not in keys)


async def _post_chunk(session: AsyncSession, ctx: PostingContext, dcs: list[DepositClaim],
                      held: frozenset[int] = frozenset()) -> None:
    """Decide every claim of the chunk in memory, let the fingerprints' unique key confirm the
    ones that post (`gateway.posting.fingerprints`), then write. `held`: deposit claims of
    this chunk whose fingerprint an earlier pass inserted."""
    chunk = await load_chunk(session, ctx.deposit.practice_id, ctx.deposit.payer_id, dcs)
    decided = [(dc, *_decide(ctx, chunk, dc)) for dc in dcs if not dc.excluded]
    claimed = {dc.id: outcome["fingerprint"] for dc, _, outcome in decided
               if outcome is not None and "fingerprint" in outcome}
    lost = await claim_fingerprints(session, claimed)
    if lost:  # another posting of the same adjudication won: decide the chunk again
        _forget_chunk(ctx, dcs, claimed, lost)
        await _post_chunk(session, ctx, dcs, held | (claimed.keys() - lost.keys()))
        return
    await release(session, sorted(held - claimed.keys()))  # held by a claim that no longer posts
    w = _Writes()
    for dc, problems, outcome in decided:
        _record_problems(ctx, chunk, dc, problems, w)
        base = {"b_id": dc.id, "claim_id": dc.claim_id, "match_method": dc.match_method}
        if problems:
            ctx.result.error_claims += 1
            w.dc_updates.append({**base, "state": "error"})
            continue
        assert outcome is not None
        ctx.result.posted_claims += 1
        w.ledger_rows.extend(outcome["rows"])
        w.claim_updates.append(outcome["claim"])
        if outcome.get("reversed_id"):
            w.reversed_marks.append({"b_id": outcome["reversed_id"], "reversed_by_id": dc.id})
        w.dc_updates.append({**base, **outcome["dc"]})
    await _write(session, ctx, chunk, w)


def _forget_chunk(ctx: PostingContext, dcs: list[DepositClaim], claimed: dict[int, Any],
                  lost: dict[int, int]) -> None:
    """Before a chunk is decided again: what it posted in memory is forgotten, and the
    winners of the adjudications it lost are known as postings in effect."""
    ours = {dc.id for dc in dcs}
    for fp in [fp for fp, dc_id in ctx.posted_now.items() if dc_id in ours]:
        del ctx.posted_now[fp]
    for dc_id, winner in lost.items():
        ctx.posted_now[claimed[dc_id]] = winner


async def _write(session: AsyncSession, ctx: PostingContext, chunk: ChunkData,
                 w: _Writes) -> None:
    if w.ledger_rows:
        await insert_rows(session, _table(LedgerEntry), w.ledger_rows)
        ctx.result.ledger_rows += len(w.ledger_rows)
    if w.claim_updates:
        await update_by_id(session, _table(Claim), w.claim_updates)
    posted = [u for u in w.dc_updates if u["state"] == "posted"]
    failed = [u for u in w.dc_updates if u["state"] != "posted"]
    for updates, model in ((posted, DepositClaim), (failed, DepositClaim),
                           (w.reversed_marks, DepositClaim),
                           (chunk.proc_updates, DepositProcedure),
                           (chunk.adj_updates, DepositAdjustment)):
        if updates:
            await update_by_id(session, _table(model), updates)
    if w.new_errors:
        await insert_rows(session, _table(PostingError), w.new_errors)
    if w.cleared:
        t = _table(PostingError)
        await session.execute(
            update(t).where(t.c.id.in_(w.cleared)).values(
                resolved_at=ctx.now, resolved_by=ctx.actor, resolution=RESOLVED_AS_CLEARED)
        )


# -- PLB --------------------------------------------------------------------------------------


async def _apply_plb(session: AsyncSession, ctx: PostingContext) -> int:
    """PLBs whose rule says "apply": posted to the claim their reference names, as a negative
    (recouped) or positive insurance payment on its first line."""
    plbs = (
        await session.scalars(
            select(DepositAdjustment).where(
                DepositAdjustment.deposit_id == ctx.deposit.id,
                DepositAdjustment.level == "provider",
                DepositAdjustment.applied.is_(False),
            )
        )
    ).all()
    applied = 0
    for plb in plbs:
        action = ctx.rules.plb_action(plb.reason)
        plb.payment_type, plb.payment_type_source = (
            "plb_" + action, "rule")
        if action != "apply" or not plb.reference:
            continue
        ref = plb.reference
        cid = await session.scalar(
            select(Claim.id).where(
                Claim.practice_id == ctx.deposit.practice_id,
                or_(Claim.payer_claim_number == ref, Claim.patient_control_number == ref),
            ).order_by(Claim.id).limit(1)
        )
        if cid is None:
            continue
        line_id = await session.scalar(
            select(ClaimLine.id).where(ClaimLine.claim_id == cid)
            .order_by(ClaimLine.line_number).limit(1)
        )
        if line_id is None:
            continue
        session.add(LedgerEntry(
            practice_id=ctx.deposit.practice_id, claim_id=cid, claim_line_id=line_id,
            kind="insurance_payment", amount=-plb.amount, payer_id=ctx.deposit.payer_id,
            source_type="deposit_plb", source_id=plb.id, reason=f"PLB-{plb.reason}",
        ))
        plb.applied, plb.plb_claim_id = True, cid
        applied += 1
    await session.flush()
    return applied
