"""A claim's billing-state transitions, in one place (`gateway.ledger.states` says what each
state means):

    unbilled --batch built--> in_batch --batch sent--> billed (by the gateway)
    billed / in_batch --999 or 277CA rejects--> rejected --biller releases--> unbilled
    billed --999 / 277CA accepts--> accepted

The clearinghouse calls the `mark_*` functions; a biller's edits (`update_claim`) and releases
(`release_claim`) are audited. Services never commit; the caller's transaction decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.core.errors import NotFound, UserError
from gateway.ledger.models import Claim
from gateway.ledger.schemas import ClaimUpdate
from gateway.ledger.states import (
    CLAIM_LEVELS,
    REJECTED_SUB_STATUS,
    BilledBy,
    BillingState,
)

_CHUNK = 500
# states a clearinghouse answer may move: a released (unbilled) claim is the biller's again
_ACKNOWLEDGEABLE = (BillingState.IN_BATCH, BillingState.BILLED, BillingState.ACCEPTED,
                    BillingState.REJECTED)


async def _set(session: AsyncSession, claim_ids: Iterable[int], only_from: Iterable[str],
               values: dict[str, Any]) -> None:
    ids = list(claim_ids)
    allowed = [str(s) for s in only_from]
    for i in range(0, len(ids), _CHUNK):
        await session.execute(
            update(Claim)
            .where(Claim.id.in_(ids[i:i + _CHUNK]), Claim.billing_state.in_(allowed))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def mark_in_batch(session: AsyncSession, claim_ids: Iterable[int]) -> None:
    """Unbilled claims just put in a built batch."""
    await _set(session, claim_ids, [BillingState.UNBILLED],
               {"billing_state": BillingState.IN_BATCH.value})


async def mark_billed(session: AsyncSession, claim_ids: Iterable[int],
                      sent_at: dt.datetime) -> None:
    """The claims of a batch the gateway uploaded."""
    await _set(session, claim_ids, [BillingState.IN_BATCH],
               {"billing_state": BillingState.BILLED.value,
                "billed_by": BilledBy.GATEWAY.value, "billed_at": sent_at})


async def mark_rejected(session: AsyncSession, claim_id: int, reason: str) -> None:
    """A 999 / 277CA refused the claim; the sub-status billers know is kept beside it."""
    await _set(session, [claim_id], _ACKNOWLEDGEABLE,
               {"billing_state": BillingState.REJECTED.value, "rejection_reason": reason[:500],
                "sub_status": REJECTED_SUB_STATUS})


async def mark_accepted(session: AsyncSession, claim_id: int) -> None:
    """The clearinghouse or payer acknowledged the claim."""
    await _set(session, [claim_id], [BillingState.IN_BATCH, BillingState.BILLED],
               {"billing_state": BillingState.ACCEPTED.value})


async def _owned_claim(session: AsyncSession, practice_id: int, claim_id: int) -> Claim:
    claim = await session.scalar(
        select(Claim).where(Claim.id == claim_id, Claim.practice_id == practice_id)
    )
    if claim is None:
        raise NotFound(f"no claim {claim_id}")
    return claim


async def release_claim(
    session: AsyncSession, practice_id: int, claim_id: int, *, actor: str,
    user_id: int | None = None, note: str | None = None,
) -> Claim:
    """A biller corrected a rejected claim: it becomes unbilled, so the next batch takes it.
    Only a rejected claim can be released (anything else is a UserError), audited."""
    claim = await _owned_claim(session, practice_id, claim_id)
    if claim.billing_state != BillingState.REJECTED:
        raise UserError(
            f"claim {claim_id} is {claim.billing_state}, not rejected: only a rejected claim "
            "can be released for the next batch",
            where="billing_state",
        )
    reason = claim.rejection_reason
    claim.billing_state = BillingState.UNBILLED.value
    claim.rejection_reason = None
    claim.billed_by = None
    claim.billed_at = None
    if claim.sub_status == REJECTED_SUB_STATUS:
        claim.sub_status = None
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="claim.release", object_type="claim", object_id=claim.id,
                detail={"rejection_reason": reason, "note": note})
    await session.flush()
    return claim


async def update_claim(
    session: AsyncSession, practice_id: int, claim_id: int, changes: ClaimUpdate, *,
    actor: str, user_id: int | None = None,
) -> Claim:
    """Change a claim's status, level, sub-status or invoice date; audited with old and new
    values. A level outside CLAIM_LEVELS is a located UserError and nothing changes."""
    claim = await _owned_claim(session, practice_id, claim_id)
    wanted = {k: v for k, v in msgspec.structs.asdict(changes).items()
              if v is not msgspec.UNSET}
    if not wanted:
        raise UserError("nothing to change: give status, level, sub_status or invoice_date",
                        where="body")
    if "level" in wanted and wanted["level"] not in CLAIM_LEVELS:
        raise UserError(f"level must be one of {', '.join(CLAIM_LEVELS)}", where="level")
    if "status" in wanted and not str(wanted["status"]).strip():
        raise UserError("status cannot be blank", where="status")
    before = {k: _plain(getattr(claim, k)) for k in wanted}
    for key, value in wanted.items():
        setattr(claim, key, value.strip() if isinstance(value, str) else value)
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="claim.update", object_type="claim", object_id=claim.id,
                detail={"before": before, "after": {k: _plain(getattr(claim, k))
                                                    for k in wanted}})
    await session.flush()
    return claim


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
