"""Building 837P claim batches (sending is `sending.py`, acknowledgments `acks.py`).

The practice's electronic claims whose billing state is `unbilled` (never one the PMS or an
aging export says is billed) and not in a batch already, become one 837P interchange written
by `gateway.core.x12.writer837p` with control numbers allocated from the `control_numbers`
table (one `UPDATE ... RETURNING` each: a row lock, so two processes never share a number).
The batch is persisted (status "built", its bytes, its ISA13/GS06/ST02) before it is sent.

Paper claims (`paper_claim`: billed on paper, a payer that takes no electronic claims, or a
secondary/tertiary claim to a payer without electronic COB) are never in an 837P: they go to
print batches (`gateway.paper`). Billing state: built -> `in_batch` (`gateway.ledger.billing`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.core.records import Connector
from gateway.db.models import Coverage, Patient, Payer
from gateway.db.upsert import insert_if_absent
from gateway.ledger.billing import mark_in_batch
from gateway.ledger.models import Claim, ClaimLine
from gateway.ledger.states import REJECTED_SUB_STATUS, BillingState

from . import cob
from .models import ClaimBatch, ClaimBatchClaim, ControlNumber
from .reference import held_claim_ids

log = logging.getLogger("gateway.clearinghouse.batches")

__all__ = ["REJECTED_SUB_STATUS", "allocate_control_number", "build_claim_batch",
           "ready_claims", "paper_claim", "batch_envelope"]
Route = Literal["electronic", "paper"]
MAX_CLAIMS_PER_BATCH = 5000
CONTROL_LIMIT = 999_999_999


# -- control numbers ----------------------------------------------------------------------------


async def allocate_control_number(session: AsyncSession, practice_id: int, kind: str) -> int:
    """The next number of `kind` for the practice (1..999999999, then wraps to 1). The UPDATE
    locks the counter row until the caller's transaction ends."""
    await insert_if_absent(
        session,
        ControlNumber.__table__,  # type: ignore[arg-type]
        {"practice_id": practice_id, "kind": kind, "last_value": 0},
        ["practice_id", "kind"],
    )
    stmt = (
        update(ControlNumber)
        .where(ControlNumber.practice_id == practice_id, ControlNumber.kind == kind)
        .values(
            last_value=case(
                (ControlNumber.last_value >= CONTROL_LIMIT, 1),
                else_=ControlNumber.last_value + 1,
            )
        )
        .returning(ControlNumber.last_value)
        .execution_options(synchronize_session=False)
    )
    return int((await session.execute(stmt)).scalar_one())


# -- building -----------------------------------------------------------------------------------


def edi_settings(connector: Connector) -> dict[str, Any]:
    config = msgspec.to_builtins(connector.config)
    edi = config.get("edi") if isinstance(config, dict) else None
    if not edi:
        raise UserError(
            f"connector {connector.name!r} has no 'edi' settings (sender/receiver ids, "
            "submitter, billing provider): add them to its config to submit claims",
            where="config",
        )
    return edi


def paper_claim() -> ColumnElement[bool]:
    """A claim that must be printed: billed on paper, to a payer that takes no electronic
    claims, or a secondary / tertiary claim to a payer without electronic COB (outer-joined
    `Payer`; a claim without a payer is electronic and is skipped with why when built)."""
    return or_(
        Claim.billing == "paper",
        Payer.accepts_electronic_claims.is_(False),
        and_(Claim.payer_rank > 1, Payer.accepts_electronic_cob.is_(False)),
    )


async def ready_claims(session: AsyncSession, practice_id: int,
                       route: Route = "electronic") -> list[Claim]:
    """Unbilled claims of one route (electronic or paper) not in a batch in flight nor in an
    open reference batch (a released rejection is unbilled again); a claim billed by the PMS or
    loaded from aging is never among them."""
    in_flight = (
        select(ClaimBatchClaim.claim_id)
        .join(ClaimBatch, ClaimBatch.id == ClaimBatchClaim.batch_id)
        .where(
            ClaimBatch.practice_id == practice_id,
            ClaimBatchClaim.status.in_(("submitted", "accepted")),
        )
    )
    on_paper = paper_claim()
    q = (
        select(Claim)
        .outerjoin(Payer, Payer.id == Claim.payer_id)
        .where(
            Claim.practice_id == practice_id,
            on_paper if route == "paper" else ~on_paper,
            Claim.billing_state == BillingState.UNBILLED.value,
            Claim.id.not_in(in_flight),
            Claim.id.not_in(held_claim_ids(practice_id)),
        )
        .order_by(Claim.id)
    )
    return list((await session.scalars(q)).all())


async def _claim_input(session: AsyncSession, claim: Claim) -> Any:
    from gateway.core.x12 import writer837p as w

    patient = await session.get(Patient, claim.patient_id)
    payer = await session.get(Payer, claim.payer_id) if claim.payer_id else None
    if payer is None or not payer.payer_id:
        raise UserError("the claim's payer has no clearinghouse payer id")
    if not payer.accepts_electronic_claims:
        raise UserError(f"payer {payer.id} does not accept electronic claims")
    coverage = await session.scalar(
        select(Coverage).where(Coverage.patient_id == claim.patient_id,
                               Coverage.rank == claim.payer_rank)
    )
    if coverage is None or not coverage.member_id:
        raise UserError("no member id for the billed coverage")
    lines = (await session.scalars(
        select(ClaimLine).where(ClaimLine.claim_id == claim.id).order_by(ClaimLine.line_number)
    )).all()
    if not lines:
        raise UserError("the claim has no lines")
    if not claim.patient_control_number:
        claim.patient_control_number = f"GW{claim.id}"
    assert patient is not None
    other_payers: tuple[Any, ...] = ()
    prior_lines: dict[int, Any] = {}
    if claim.payer_rank > 1:  # coordination of benefits from the prior payer's posted ERA
        other_payers, prior_lines = await cob.other_payers(session, claim, patient, list(lines))
    return w.ClaimInput(
        responsibility=cob.RESPONSIBILITY.get(claim.payer_rank, "P"),
        other_payers=other_payers,
        patient_control_number=claim.patient_control_number,
        payer=w.Payer(name=payer.name, payer_id=payer.payer_id),
        subscriber=w.Person(
            last_name=patient.last_name or "UNKNOWN", first_name=patient.first_name or "",
            member_id=coverage.member_id, birth_date=patient.dob,
        ),
        diagnosis_codes=tuple(claim.diagnosis_codes or ()),
        lines=tuple(
            w.ServiceLineInput(
                procedure_code=ln.procedure_code,
                modifiers=tuple(ln.modifiers or ()),
                charge=ln.charge,
                units=ln.units,
                diagnosis_pointers=tuple(ln.diagnosis_pointers or (1,)),
                service_date=ln.service_date or claim.service_date_from,
                control_number=str(ln.id),
                prior_payment=prior_lines.get(ln.id),
            )
            for ln in lines
        ),
    )


def batch_envelope(edi: dict[str, Any], created: dt.datetime) -> dict[str, Any]:
    """The writer's envelope arguments (submitter, receiver, billing provider, ids) from a
    connector's `edi` settings."""
    from gateway.core.x12 import writer837p as w

    return dict(
        submitter=w.Submitter(name=edi["submitter_name"], id=edi["submitter_id"],
                              contact_name=edi["contact_name"], phone=edi["contact_phone"]),
        receiver=w.Receiver(name=edi["receiver_name"], id=edi["receiver_id"]),
        billing_provider=msgspec.convert(edi["billing_provider"], w.BillingProvider),
        sender_id=edi["sender_id"], receiver_id=edi["receiver_id"], created=created,
        production=edi.get("production", True),
    )


async def _valid_inputs(session: AsyncSession, claims: list[Claim], envelope: dict[str, Any]
                        ) -> tuple[list[tuple[Claim, Any]], list[dict[str, Any]]]:
    """Each claim's writer input, validated alone so one bad claim does not stop the batch;
    (the good ones, the skipped with why)."""
    from gateway.core.x12 import writer837p as w

    inputs: list[tuple[Claim, Any]] = []
    skipped: list[dict[str, Any]] = []
    for claim in claims:
        try:
            ci = await _claim_input(session, claim)
            w.write_837p(w.ClaimBatchInput(claims=(ci,), **envelope), w.InMemoryControlNumbers())
        except UserError as exc:
            skipped.append({"claim_id": claim.id, "why": str(exc)})
            continue
        inputs.append((claim, ci))
    return inputs, skipped


async def build_claim_batch(
    session: AsyncSession, practice_id: int, connector: Connector,
    claim_ids: list[int] | None = None,
) -> tuple[ClaimBatch | None, list[dict[str, Any]], int]:
    """Persist one 837P batch of the ready claims (or of `claim_ids` among them).
    Returns (the batch or None when nothing is ready, skipped claims with why, ready count)."""
    from gateway.core.x12 import writer837p as w

    envelope = batch_envelope(edi_settings(connector), dt.datetime.now(dt.UTC))
    claims = await ready_claims(session, practice_id)
    if claim_ids is not None:
        wanted = set(claim_ids)
        claims = [c for c in claims if c.id in wanted]
    seen = len(claims)
    inputs, skipped = await _valid_inputs(session, claims[:MAX_CLAIMS_PER_BATCH], envelope)
    if not inputs:
        return None, skipped, seen
    numbers = {k: await allocate_control_number(session, practice_id, k)
               for k in ("interchange", "group", "transaction")}
    out = w.write_837p(w.ClaimBatchInput(claims=tuple(ci for _, ci in inputs), **envelope),
                       lambda kind: numbers[kind])
    content = out.text.encode("ascii", "replace")
    prefix = edi_settings(connector).get("batch_name_prefix") or "CLM"
    batch = ClaimBatch(
        practice_id=practice_id,
        connector_id=connector.id,
        name=f"{prefix}{practice_id}_{out.interchange_control_number}.837",
        interchange_control_number=out.interchange_control_number,
        group_control_number=out.group_control_number,
        transaction_control_number=out.transaction_control_number,
        status="built",
        claim_count=len(inputs),
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        detail={"total_charge": str(out.total_charge)},
    )
    session.add(batch)
    await session.flush()
    for claim, ci in inputs:
        session.add(ClaimBatchClaim(batch_id=batch.id, claim_id=claim.id,
                                    patient_control_number=ci.patient_control_number,
                                    status="submitted", detail={}))
    await mark_in_batch(session, [claim.id for claim, _ in inputs])
    await session.flush()
    log.info("claim batch %s built: %d claims, ISA13 %s", batch.id, len(inputs),
             out.interchange_control_number)
    return batch, skipped, seen
