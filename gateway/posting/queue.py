"""The error queues and their resolve actions.

Billing staff work only these: deposits, claims and procedures with unresolved errors. Each
error type has the actions that make sense for it (`ACTIONS`); every resolution records who
and when on the error and in the audit log, and -- for a deposit already sent to posting --
posts the claim again at once, so a fixed claim does not wait for anyone.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.core.errors import NotFound, UserError
from gateway.core.money import cents, format_money
from gateway.db.base import utcnow
from gateway.db.models import Payer
from gateway.db.upsert import insert_if_absent
from gateway.ledger.models import Claim, ClaimLine
from gateway.posting.engine import post_deposit, refresh_posted_status
from gateway.posting.models import (
    Deposit,
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
    PostingError,
    PostingRule,
)
from gateway.posting.rules import PAYMENT_TYPES
from gateway.posting.schemas import PostingErrorOut, ResolveIn, ResolveOut

log = logging.getLogger("gateway.posting.queue")

ACTIONS: dict[str, tuple[str, ...]] = {
    # deposit level
    "Debit ERA": ("ignore",),
    "Invalid Handling Code": ("ignore",),
    "Duplicate Deposit": ("ignore",),
    "Payer Mismatch": ("link_payer", "ignore"),
    "Missing Check/Trace Number": ("set_trace", "ignore"),
    "Deposit Does Not Balance": ("ignore",),
    # claim level
    "Claim Not Found": ("link_claim", "exclude"),
    "Carrier Payment Mismatch": ("ignore", "exclude"),
    "Claim-Level Adjustment Found": ("allocate", "exclude"),
    # procedure level
    "Procedure Code Conflict": ("link_procedure", "exclude"),
    "Missing Payment Type": ("payment_type", "exclude"),
    "Payment Exceeds Open Balance": ("ignore", "exclude"),
    "Negative Line Payment": ("ignore", "exclude"),
}


def error_out(e: PostingError, dc: DepositClaim | None = None) -> PostingErrorOut:
    return PostingErrorOut(
        id=e.id, deposit_id=e.deposit_id, deposit_claim_id=e.deposit_claim_id,
        deposit_procedure_id=e.deposit_procedure_id,
        deposit_adjustment_id=e.deposit_adjustment_id, level=e.level, type=e.type,
        message=e.message, detail=e.detail or {}, created_at=e.created_at,
        resolved_at=e.resolved_at, resolved_by=e.resolved_by, resolution=e.resolution,
        claim_xref=dc.claim_xref if dc else None, claim_id=dc.claim_id if dc else None,
        actions=list(ACTIONS.get(e.type, ())) if e.resolved_at is None else [],
    )


async def list_errors(
    session: AsyncSession,
    practice_id: int,
    *,
    level: str | None = None,
    type: str | None = None,
    deposit_id: int | None = None,
    include_resolved: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[PostingErrorOut]:
    q = (
        select(PostingError, DepositClaim)
        .outerjoin(DepositClaim, DepositClaim.id == PostingError.deposit_claim_id)
        .where(PostingError.practice_id == practice_id)
        .order_by(PostingError.id)
    )
    if not include_resolved:
        q = q.where(PostingError.resolved_at.is_(None))
    if level:
        q = q.where(PostingError.level == level)
    if type:
        q = q.where(PostingError.type == type)
    if deposit_id is not None:
        q = q.where(PostingError.deposit_id == deposit_id)
    rows = (await session.execute(q.limit(limit).offset(offset))).all()
    return [error_out(e, dc) for e, dc in rows]


async def queue_counts(session: AsyncSession, practice_id: int) -> dict[str, dict[str, int]]:
    """Open errors by level and type: what the queue screens show as tabs."""
    out: dict[str, dict[str, int]] = {"deposit": {}, "claim": {}, "procedure": {}}
    for level, etype, n in (
        await session.execute(
            select(PostingError.level, PostingError.type, func.count())
            .where(PostingError.practice_id == practice_id, PostingError.resolved_at.is_(None))
            .group_by(PostingError.level, PostingError.type)
        )
    ).all():
        out.setdefault(level, {})[etype] = n
    return out


async def _get_error(session: AsyncSession, practice_id: int, error_id: int) -> PostingError:
    e = await session.get(PostingError, error_id)
    if e is None or e.practice_id != practice_id:
        raise NotFound(f"no posting error {error_id}")
    return e


async def resolve_error(
    session: AsyncSession,
    practice_id: int,
    error_id: int,
    body: ResolveIn,
    *,
    actor: str,
    user_id: int | None = None,
) -> ResolveOut:
    """Apply one resolve action to one open error (see `ACTIONS`)."""
    e = await _get_error(session, practice_id, error_id)
    if e.resolved_at is not None:
        raise UserError(f"posting error {error_id} was already resolved ({e.resolution})")
    allowed = ACTIONS.get(e.type, ())
    if body.action not in allowed:
        raise UserError(
            f"{body.action!r} does not resolve a {e.type!r} error; use one of "
            f"{', '.join(allowed)}", where="action")
    dep = await session.get(Deposit, e.deposit_id)
    assert dep is not None
    dc = await session.get(DepositClaim, e.deposit_claim_id) if e.deposit_claim_id else None
    proc = (await session.get(DepositProcedure, e.deposit_procedure_id)
            if e.deposit_procedure_id else None)
    detail: dict[str, Any] = {}
    now = utcnow()
    also_close: list[int] = []
    a = body.action
    if a == "link_claim":
        assert dc is not None
        if body.claim_id is None:
            raise UserError("claim_id is required", where="claim_id")
        ok = await session.scalar(select(Claim.id).where(
            Claim.id == body.claim_id, Claim.practice_id == practice_id))
        if ok is None:
            raise UserError(f"no claim {body.claim_id} in this practice", where="claim_id")
        dc.claim_id, dc.match_method = body.claim_id, "manual"
        detail["claim_id"] = body.claim_id
    elif a == "link_procedure":
        assert dc is not None and proc is not None
        if body.claim_line_id is None:
            raise UserError("claim_line_id is required", where="claim_line_id")
        line_claim = await session.scalar(
            select(ClaimLine.claim_id).where(ClaimLine.id == body.claim_line_id))
        if line_claim is None or line_claim != dc.claim_id:
            raise UserError(f"claim line {body.claim_line_id} is not a line of claim "
                            f"{dc.claim_id}", where="claim_line_id")
        taken = await session.scalar(select(DepositProcedure.id).where(
            DepositProcedure.deposit_claim_id == dc.id,
            DepositProcedure.claim_line_id == body.claim_line_id,
            DepositProcedure.id != proc.id, DepositProcedure.excluded.is_(False)))
        if taken is not None:
            raise UserError(f"claim line {body.claim_line_id} is already paid by line "
                            f"{taken} of this claim", where="claim_line_id")
        proc.claim_line_id = body.claim_line_id
        detail["claim_line_id"] = body.claim_line_id
    elif a == "payment_type":
        if body.payment_type not in PAYMENT_TYPES:
            raise UserError(f"payment type must be one of {', '.join(PAYMENT_TYPES)}",
                            where="payment_type")
        adj = await session.get(DepositAdjustment, e.deposit_adjustment_id)
        assert adj is not None
        adj.payment_type, adj.payment_type_source = body.payment_type, "user"
        detail["payment_type"] = body.payment_type
        if body.save_rule:
            await insert_if_absent(
                session, PostingRule.__table__,  # type: ignore[arg-type]
                {"practice_id": practice_id, "kind": "reason", "payer_id": dep.payer_id,
                 "payer_scope": str(dep.payer_id) if dep.payer_id else "",
                 "group_code": adj.group_code, "code": adj.reason, "outcome": "",
                 "payment_type": body.payment_type,
                 "denial": body.payment_type == "denial", "created_at": now},
                ["practice_id", "kind", "payer_scope", "group_code", "code", "outcome"],
            )
            detail["saved_rule"] = True
    elif a == "allocate":
        assert dc is not None
        proposal = {k: Decimal(v) for k, v in (e.detail.get("proposed") or {}).items()}
        chosen = ({k: cents(v) for k, v in body.allocations.items()}
                  if body.allocations is not None else proposal)
        target = Decimal(e.detail.get("amount", "0"))
        total = sum(chosen.values(), Decimal("0.00"))
        if total != target:
            raise UserError(f"allocations total {format_money(total)} but the adjustment is "
                            f"{format_money(target)}; allocate it fully", where="allocations")
        line_ids = set((await session.scalars(
            select(ClaimLine.id).where(ClaimLine.claim_id == dc.claim_id))).all())
        bad = [k for k in chosen if not k.isdigit() or int(k) not in line_ids]
        if bad:
            raise UserError(f"{', '.join(bad)} are not lines of claim {dc.claim_id}",
                            where="allocations")
        as_text = {k: format_money(v) for k, v in chosen.items()}
        if e.detail.get("payment"):
            dc.overrides = {**(dc.overrides or {}), "payment_allocations": as_text}
        else:
            adj = await session.get(DepositAdjustment, e.deposit_adjustment_id)
            assert adj is not None
            adj.allocations = as_text
        detail["allocations"] = as_text
    elif a == "exclude":
        if proc is not None:
            proc.excluded = True
            detail["excluded"] = "procedure"
        elif dc is not None:
            dc.excluded, dc.state = True, "excluded"
            detail["excluded"] = "claim"
            also_close = list((await session.scalars(select(PostingError.id).where(
                PostingError.deposit_claim_id == dc.id, PostingError.resolved_at.is_(None),
                PostingError.id != e.id))).all())
    elif a == "ignore":
        if e.level == "claim" and dc is not None and e.type == "Carrier Payment Mismatch":
            dc.overrides = {**(dc.overrides or {}), "accept_mismatch": True}
        elif proc is not None and e.type == "Payment Exceeds Open Balance":
            proc.overrides = {**(proc.overrides or {}), "accept_overpayment": True}
        elif proc is not None and e.type == "Negative Line Payment":
            proc.overrides = {**(proc.overrides or {}), "accept_negative": True}
    elif a == "link_payer":
        if body.payer_id is None:
            raise UserError("payer_id is required", where="payer_id")
        payer = await session.get(Payer, body.payer_id)
        if payer is None or payer.practice_id != practice_id:
            raise UserError(f"no payer {body.payer_id} in this practice", where="payer_id")
        dep.payer_id = payer.id
        detail["payer_id"] = payer.id
    elif a == "set_trace":
        if not body.check_trace_id:
            raise UserError("check_trace_id is required", where="check_trace_id")
        dep.check_trace_id = body.check_trace_id.strip()
        detail["check_trace_id"] = dep.check_trace_id
    if body.note:
        detail["note"] = body.note
    e.resolved_at, e.resolved_by, e.resolution, e.resolution_detail = now, actor, a, detail
    for other in also_close:
        oe = await session.get(PostingError, other)
        assert oe is not None
        oe.resolved_at, oe.resolved_by, oe.resolution = now, actor, "excluded"
    await session.flush()
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action=f"posting_error.{a}", object_type="posting_error", object_id=e.id,
                detail={"type": e.type, "deposit_id": e.deposit_id,
                        "deposit_claim_id": e.deposit_claim_id, **detail})
    log.info("posting error %s (%s) resolved by %s: %s", e.id, e.type, actor, a)
    reposted = False
    posted_status = None
    if dc is not None and dep.status == "Sent to Posting" and dep.posted_status != "Being Disbursed":
        if dc.state != "excluded":
            await post_deposit(session, practice_id, dep.id, actor=actor, only_claims=[dc.id])
            reposted = True
        posted_status = await refresh_posted_status(session, dep.id)
    await session.refresh(e)
    return ResolveOut(error=error_out(e, dc), reposted=reposted,
                      posted_status=posted_status or dep.posted_status)
