"""Batch Claims criteria as data: which ready claims a job's run takes, and for each one it
leaves out, why (grouped reasons with claim ids only, for the run history).

Every criterion left empty takes everything; the minimum age counts whole days from the
claim's creation to the run's fire time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.db.models import Appointment
from gateway.ledger.models import Claim
from gateway.ledger.states import BillingState

from .batches import ready_claims_query
from .reference import held_claim_ids

Positive = Annotated[int, msgspec.Meta(ge=1)]


class BatchCriteria(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    payer_ids: list[int] | None = None
    location_ids: list[int] | None = None
    providers: list[str] | None = None  # the appointment's provider, as the PMS names them
    claim_statuses: list[str] | None = None  # Claim.status, e.g. "Open"
    payer_ranks: list[Annotated[int, msgspec.Meta(ge=1, le=3)]] | None = None
    billing_methods: list[str] | None = None  # "electronic" / "paper"
    service_date_from: dt.date | None = None
    service_date_to: dt.date | None = None
    min_age_days: Annotated[int, msgspec.Meta(ge=0)] | None = None


class BatchClaimsParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A `batch_claims` job's params; upload off = batches wait for a biller to send them."""

    criteria: BatchCriteria = msgspec.field(default_factory=BatchCriteria)
    upload_after_batching: bool = False


def decode_params(params: dict[str, object]) -> BatchClaimsParams:
    try:
        return msgspec.convert(params, BatchClaimsParams)
    except msgspec.ValidationError as exc:
        raise UserError(f"batch_claims params: {exc}", where="params") from exc


class Candidate(msgspec.Struct, gc=False):
    """What the criteria look at of one ready claim (the appointment's provider joined)."""

    id: int
    payer_id: int | None
    location_id: int | None
    status: str
    payer_rank: int
    billing: str
    service_date_from: dt.date
    created_at: dt.datetime
    provider: str | None


# (criterion, the candidate's value it lists, why a claim whose value is not listed is left out)
_LISTED = (
    ("payer_ids", "payer_id", "payer not selected"),
    ("location_ids", "location_id", "location not selected"),
    ("providers", "provider", "provider not selected"),
    ("claim_statuses", "status", "claim status not selected"),
    ("payer_ranks", "payer_rank", "payer rank not selected"),
    ("billing_methods", "billing", "billing method not selected"),
)


def _why_left_out(c: BatchCriteria, claim: Candidate, now: dt.datetime) -> str | None:
    for criterion, value, why in _LISTED:
        listed = getattr(c, criterion)
        if listed is not None and getattr(claim, value) not in listed:
            return why
    if c.service_date_from is not None and claim.service_date_from < c.service_date_from:
        return "date of service before the range"
    if c.service_date_to is not None and claim.service_date_from > c.service_date_to:
        return "date of service after the range"
    if c.min_age_days is not None:
        created = claim.created_at if claim.created_at.tzinfo else \
            claim.created_at.replace(tzinfo=dt.UTC)
        if (now - created) < dt.timedelta(days=c.min_age_days):
            return "younger than the minimum age"
    return None


class Selection(msgspec.Struct, kw_only=True):
    """What a run takes: electronic claim ids (837P), paper claim ids (print batch), and for
    each claim left out, why."""

    electronic: list[int]
    paper: list[int]
    left_out: dict[str, list[int]]


async def select_for_batch(session: AsyncSession, practice_id: int, criteria: BatchCriteria,
                           now: dt.datetime) -> Selection:
    """The ready claims of both routes the criteria take, and {reason: claim ids left out}."""
    cols = [*(getattr(Claim, f) for f in Candidate.__struct_fields__[:-1]),
            Appointment.provider]
    chosen: dict[str, list[int]] = {"electronic": [], "paper": []}
    left_out: dict[str, list[int]] = defaultdict(list)
    for route in ("electronic", "paper"):
        query = ready_claims_query(practice_id, route, *cols).outerjoin(
            Appointment, Appointment.id == Claim.appointment_id)
        for row in (await session.execute(query)).tuples():
            claim = Candidate(*row)
            why = _why_left_out(criteria, claim, now)
            if why is None:
                chosen[route].append(claim.id)
            else:
                left_out[why].append(claim.id)
    held = (await session.scalars(select(Claim.id).where(
        Claim.practice_id == practice_id, Claim.billing_state == BillingState.UNBILLED.value,
        Claim.id.in_(held_claim_ids(practice_id))).order_by(Claim.id))).all()
    if held:
        left_out["in an open reference batch"] = list(held)
    return Selection(electronic=chosen["electronic"], paper=chosen["paper"],
                     left_out=dict(left_out))
