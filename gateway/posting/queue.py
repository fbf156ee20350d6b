"""The error queues and their resolve actions.

Billing staff work only these: deposits, claims and procedures with unresolved errors. Each
error type has the actions that make sense for it (`ACTIONS`); every resolution records who
and when on the error and in the audit log, and -- for a deposit already sent to posting --
posts the claim again at once, so a fixed claim does not wait for anyone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle

from gateway.admin.audit import audit
from gateway.core.errors import UserError
from gateway.core.money import cents, format_money
from gateway.db.base import utcnow
from gateway.db.models import Payer
from gateway.db.scoped import get_scoped
from gateway.db.upsert import insert_if_absent
from gateway.ledger.models import Claim, ClaimLine
from gateway.posting.deposit_totals import refresh_deposit_totals
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
from gateway.posting.vocabulary import (
    RESOLVED_BY_EXCLUSION,
    ErrorType,
    ResolveAction,
    actions_of,
    error_type,
)

log = logging.getLogger("gateway.posting.queue")

# error type -> the actions that resolve it (the vocabulary is `gateway.posting.vocabulary`)
ACTIONS: dict[str, tuple[str, ...]] = {
    t.value: tuple(a.value for a in t.actions) for t in ErrorType
}


CLAIM_REF: Bundle[Any] = Bundle("dc", DepositClaim.claim_xref, DepositClaim.claim_id)


def error_out(e: PostingError, dc: Any = None) -> PostingErrorOut:
    """The error as the API and the pages show it; `dc` is its deposit claim, or anything
    with the two columns shown of it (`claim_xref`, `claim_id`: what `errors_query` loads)."""
    return PostingErrorOut(
        id=e.id, deposit_id=e.deposit_id, deposit_claim_id=e.deposit_claim_id,
        deposit_procedure_id=e.deposit_procedure_id,
        deposit_adjustment_id=e.deposit_adjustment_id, level=e.level, type=e.type,
        message=e.message, detail=e.detail or {}, created_at=e.created_at,
        resolved_at=e.resolved_at, resolved_by=e.resolved_by, resolution=e.resolution,
        claim_xref=dc.claim_xref if dc else None, claim_id=dc.claim_id if dc else None,
        actions=[str(a) for a in actions_of(e.type)] if e.resolved_at is None else [],
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
    q = errors_query(practice_id, level=level, type=type, deposit_id=deposit_id,
                     include_resolved=include_resolved)
    rows = (await session.execute(q.limit(limit).offset(offset))).all()
    return [error_out(e, dc) for e, dc in rows]


def errors_query(
    practice_id: int, *, level: str | None = None, type: str | None = None,  # noqa: A002
    deposit_id: int | None = None, include_resolved: bool = False,
) -> Select[tuple[PostingError, Any]]:
    """The error queue as a query of (error, its deposit claim's reference and claim id),
    oldest first: only the two columns of the claim that a queue row shows."""
    q = (
        select(PostingError, CLAIM_REF)
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
    return q


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
    return await get_scoped(session, PostingError, practice_id, error_id, what="posting error")


@dataclass
class _Resolution:
    """One resolve action in progress: the error, what it points at, and what it records."""

    session: AsyncSession
    practice_id: int
    body: ResolveIn
    error: PostingError
    deposit: Deposit
    dc: DepositClaim | None
    proc: DepositProcedure | None
    now: dt.datetime
    detail: dict[str, Any] = field(default_factory=dict)
    also_close: list[int] = field(default_factory=list)


async def _link_claim(r: _Resolution) -> None:
    assert r.dc is not None
    if r.body.claim_id is None:
        raise UserError("claim_id is required", where="claim_id")
    ok = await r.session.scalar(select(Claim.id).where(
        Claim.id == r.body.claim_id, Claim.practice_id == r.practice_id))
    if ok is None:
        raise UserError(f"no claim {r.body.claim_id} in this practice", where="claim_id")
    r.dc.claim_id, r.dc.match_method = r.body.claim_id, "manual"
    r.detail["claim_id"] = r.body.claim_id


async def _link_procedure(r: _Resolution) -> None:
    dc, proc, line_id = r.dc, r.proc, r.body.claim_line_id
    assert dc is not None and proc is not None
    if line_id is None:
        raise UserError("claim_line_id is required", where="claim_line_id")
    line_claim = await r.session.scalar(
        select(ClaimLine.claim_id).where(ClaimLine.id == line_id))
    if line_claim is None or line_claim != dc.claim_id:
        raise UserError(f"claim line {line_id} is not a line of claim "
                        f"{dc.claim_id}", where="claim_line_id")
    taken = await r.session.scalar(select(DepositProcedure.id).where(
        DepositProcedure.deposit_claim_id == dc.id,
        DepositProcedure.claim_line_id == line_id,
        DepositProcedure.id != proc.id, DepositProcedure.excluded.is_(False)))
    if taken is not None:
        raise UserError(f"claim line {line_id} is already paid by line "
                        f"{taken} of this claim", where="claim_line_id")
    proc.claim_line_id = line_id
    r.detail["claim_line_id"] = line_id


async def _payment_type(r: _Resolution) -> None:
    ptype = r.body.payment_type
    if ptype not in PAYMENT_TYPES:
        raise UserError(f"payment type must be one of {', '.join(PAYMENT_TYPES)}",
                        where="payment_type")
    adj = await r.session.get(DepositAdjustment, r.error.deposit_adjustment_id)
    assert adj is not None
    adj.payment_type, adj.payment_type_source = ptype, "user"
    r.detail["payment_type"] = ptype
    if r.body.save_rule:
        dep = r.deposit
        await insert_if_absent(
            r.session, PostingRule.__table__,  # type: ignore[arg-type]  # Table, typed FromClause
            {"practice_id": r.practice_id, "kind": "reason", "payer_id": dep.payer_id,
             "payer_scope": str(dep.payer_id) if dep.payer_id else "",
             "group_code": adj.group_code, "code": adj.reason, "outcome": "",
             "payment_type": ptype, "denial": ptype == "denial", "created_at": r.now},
            ["practice_id", "kind", "payer_scope", "group_code", "code", "outcome"],
        )
        r.detail["saved_rule"] = True


async def _allocate(r: _Resolution) -> None:
    e, dc, body = r.error, r.dc, r.body
    assert dc is not None
    proposal = {k: Decimal(v) for k, v in (e.detail.get("proposed") or {}).items()}
    chosen = ({k: cents(v) for k, v in body.allocations.items()}
              if body.allocations is not None else proposal)
    target = Decimal(e.detail.get("amount", "0"))
    total = sum(chosen.values(), Decimal("0.00"))
    if total != target:
        raise UserError(f"allocations total {format_money(total)} but the adjustment is "
                        f"{format_money(target)}; allocate it fully", where="allocations")
    line_ids = set((await r.session.scalars(
        select(ClaimLine.id).where(ClaimLine.claim_id == dc.claim_id))).all())
    bad = [k for k in chosen if not k.isdigit() or int(k) not in line_ids]
    if bad:
        raise UserError(f"{', '.join(bad)} are not lines of claim {dc.claim_id}",
                        where="allocations")
    as_text = {k: format_money(v) for k, v in chosen.items()}
    if e.detail.get("payment"):
        dc.overrides = {**(dc.overrides or {}), "payment_allocations": as_text}
    else:
        adj = await r.session.get(DepositAdjustment, e.deposit_adjustment_id)
        assert adj is not None
        adj.allocations = as_text
    r.detail["allocations"] = as_text


async def _exclude(r: _Resolution) -> None:
    if r.proc is not None:
        r.proc.excluded = True
        r.detail["excluded"] = "procedure"
    elif r.dc is not None:
        dc = r.dc
        dc.excluded, dc.state = True, "excluded"
        r.detail["excluded"] = "claim"
        r.also_close = list((await r.session.scalars(select(PostingError.id).where(
            PostingError.deposit_claim_id == dc.id, PostingError.resolved_at.is_(None),
            PostingError.id != r.error.id))).all())


# what `ignore` accepts, by error type: (on the claim or on the line, the override it sets)
_IGNORE_OVERRIDES: dict[ErrorType, tuple[str, str]] = {
    ErrorType.CARRIER_PAYMENT_MISMATCH: ("claim", "accept_mismatch"),
    # the payment posts as a credit; the repeated adjustments and transfers do not
    ErrorType.DUPLICATE_CLAIM_PAYMENT: ("claim", "accept_duplicate"),
    ErrorType.PAYMENT_EXCEEDS_OPEN_BALANCE: ("procedure", "accept_overpayment"),
    ErrorType.NEGATIVE_LINE_PAYMENT: ("procedure", "accept_negative"),
}


async def _ignore(r: _Resolution) -> None:
    t = error_type(r.error.type)
    how = _IGNORE_OVERRIDES.get(t) if t is not None else None
    if how is None:
        return  # a deposit-level error: ignoring it lets the deposit post
    on, flag = how
    target = r.dc if on == "claim" else r.proc
    if target is not None:
        target.overrides = {**(target.overrides or {}), flag: True}


async def _link_payer(r: _Resolution) -> None:
    if r.body.payer_id is None:
        raise UserError("payer_id is required", where="payer_id")
    payer = await r.session.get(Payer, r.body.payer_id)
    if payer is None or payer.practice_id != r.practice_id:
        raise UserError(f"no payer {r.body.payer_id} in this practice", where="payer_id")
    r.deposit.payer_id = payer.id
    r.detail["payer_id"] = payer.id


async def _set_trace(r: _Resolution) -> None:
    if not r.body.check_trace_id:
        raise UserError("check_trace_id is required", where="check_trace_id")
    r.deposit.check_trace_id = r.body.check_trace_id.strip()
    r.detail["check_trace_id"] = r.deposit.check_trace_id


HANDLERS: dict[ResolveAction, Callable[[_Resolution], Awaitable[None]]] = {
    ResolveAction.LINK_CLAIM: _link_claim,
    ResolveAction.LINK_PROCEDURE: _link_procedure,
    ResolveAction.PAYMENT_TYPE: _payment_type,
    ResolveAction.ALLOCATE: _allocate,
    ResolveAction.EXCLUDE: _exclude,
    ResolveAction.IGNORE: _ignore,
    ResolveAction.LINK_PAYER: _link_payer,
    ResolveAction.SET_TRACE: _set_trace,
}


async def resolve_error(
    session: AsyncSession,
    practice_id: int,
    error_id: int,
    body: ResolveIn,
    *,
    actor: str,
    user_id: int | None = None,
) -> ResolveOut:
    """Apply one resolve action to one open error (see `ErrorType.actions`)."""
    e = await _get_error(session, practice_id, error_id)
    if e.resolved_at is not None:
        raise UserError(f"posting error {error_id} was already resolved ({e.resolution})")
    allowed = actions_of(e.type)
    if body.action not in allowed:
        raise UserError(
            f"{body.action!r} does not resolve a {e.type!r} error; use one of "
            f"{', '.join(allowed)}", where="action")
    action = ResolveAction(body.action)
    dep = await session.get(Deposit, e.deposit_id)
    assert dep is not None
    dc = await session.get(DepositClaim, e.deposit_claim_id) if e.deposit_claim_id else None
    proc = (await session.get(DepositProcedure, e.deposit_procedure_id)
            if e.deposit_procedure_id else None)
    r = _Resolution(session, practice_id, body, e, dep, dc, proc, utcnow())
    await HANDLERS[action](r)
    await _close(r, actor, user_id)
    return await _repost(r, actor)


async def _close(r: _Resolution, actor: str, user_id: int | None) -> None:
    """Record the resolution (on the error, on errors it closes with it, in the audit log)."""
    e, session, now, a = r.error, r.session, r.now, r.body.action
    if r.body.note:
        r.detail["note"] = r.body.note
    e.resolved_at, e.resolved_by, e.resolution, e.resolution_detail = now, actor, a, r.detail
    for other in r.also_close:
        oe = await session.get(PostingError, other)
        assert oe is not None
        oe.resolved_at, oe.resolved_by, oe.resolution = now, actor, RESOLVED_BY_EXCLUSION
    await session.flush()
    await refresh_deposit_totals(session, [e.deposit_id])
    await audit(session, practice_id=r.practice_id, actor=actor, user_id=user_id,
                action=f"posting_error.{a}", object_type="posting_error", object_id=e.id,
                detail={"type": e.type, "deposit_id": e.deposit_id,
                        "deposit_claim_id": e.deposit_claim_id, **r.detail})
    log.info("posting error %s (%s) resolved by %s: %s", e.id, e.type, actor, a)


async def _repost(r: _Resolution, actor: str) -> ResolveOut:
    """For a deposit already sent to posting, post the fixed claim again at once."""
    session, dep, dc, e = r.session, r.deposit, r.dc, r.error
    reposted = False
    posted_status = None
    sent = dep.status == "Sent to Posting" and dep.posted_status != "Being Disbursed"
    if dc is not None and sent:
        if dc.state != "excluded":
            await post_deposit(session, r.practice_id, dep.id, actor=actor, only_claims=[dc.id])
            reposted = True
        posted_status = await refresh_posted_status(session, dep.id)
    await session.refresh(e)
    return ResolveOut(error=error_out(e, dc), reposted=reposted,
                      posted_status=posted_status or dep.posted_status)
