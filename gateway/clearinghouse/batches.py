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
from sqlalchemy import ColumnElement, Select, and_, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.core.records import Connector
from gateway.db.models import Coverage, Patient, Payer
from gateway.db.upsert import insert_if_absent
from gateway.ledger.billing import mark_in_batch
from gateway.ledger.models import Claim, ClaimLine
from gateway.ledger.states import REJECTED_SUB_STATUS, BillingState

from . import cob
from .cob import CobChunk
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


def ready_claims_query(practice_id: int, route: Route = "electronic") -> Select[tuple[Claim]]:
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
    return (
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


async def ready_claims(session: AsyncSession, practice_id: int,
                       route: Route = "electronic", limit: int | None = None) -> list[Claim]:
    """The ready claims of `ready_claims_query`, the first `limit` of them."""
    q = ready_claims_query(practice_id, route).limit(limit)
    return list((await session.scalars(q)).all())


class Preloaded:
    """The patients, payers, coverages and lines of a chunk of claims, read with one query
    each (not four per claim)."""

    def __init__(self) -> None:
        self.patients: dict[int, Patient] = {}
        self.payers: dict[int, Payer] = {}
        self.coverages: dict[tuple[int, int], Coverage] = {}
        self.lines: dict[int, list[ClaimLine]] = {}
        self.cob = CobChunk()

    @classmethod
    async def load(cls, session: AsyncSession, claims: list[Claim]) -> Preloaded:
        pre = cls()
        pre.cob = await CobChunk.load(session, claims)
        patient_ids = {c.patient_id for c in claims}
        payer_ids = {c.payer_id for c in claims if c.payer_id is not None} | {
            p.payer_id for ps in pre.cob.priors.values() for p in ps if p.payer_id is not None}
        if patient_ids:
            pre.patients = {p.id: p for p in await session.scalars(
                select(Patient).where(Patient.id.in_(patient_ids)))}
            pre.coverages = {(cv.patient_id, cv.rank): cv for cv in await session.scalars(
                select(Coverage).where(Coverage.patient_id.in_(patient_ids)))}
        if payer_ids:
            pre.payers = {p.id: p for p in await session.scalars(
                select(Payer).where(Payer.id.in_(payer_ids)))}
        for ln in await session.scalars(select(ClaimLine).where(
                ClaimLine.claim_id.in_([c.id for c in claims])).order_by(
                ClaimLine.claim_id, ClaimLine.line_number)):
            pre.lines.setdefault(ln.claim_id, []).append(ln)
        return pre


async def _claim_input(session: AsyncSession, claim: Claim,
                       pre: Preloaded | None = None) -> Any:
    from gateway.core.x12 import writer837p as w

    pre = pre or await Preloaded.load(session, [claim])
    patient = pre.patients.get(claim.patient_id)
    payer = pre.payers.get(claim.payer_id) if claim.payer_id else None
    if payer is None or not payer.payer_id:
        raise UserError("the claim's payer has no clearinghouse payer id")
    if not payer.accepts_electronic_claims:
        raise UserError(f"payer {payer.id} does not accept electronic claims")
    coverage = pre.coverages.get((claim.patient_id, claim.payer_rank))
    if coverage is None or not coverage.member_id:
        raise UserError("no member id for the billed coverage")
    lines = pre.lines.get(claim.id, [])
    if not lines:
        raise UserError("the claim has no lines")
    if not claim.patient_control_number:
        claim.patient_control_number = f"GW{claim.id}"
    assert patient is not None
    other_payers: tuple[Any, ...] = ()
    prior_lines: dict[int, Any] = {}
    if claim.payer_rank > 1:  # coordination of benefits from the prior payer's posted ERA
        other_payers, prior_lines = cob.other_payers(pre.cob, claim, patient, lines,
                                                     pre.payers, pre.coverages)
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


async def _ready_count(session: AsyncSession, practice_id: int) -> int:
    ready = ready_claims_query(practice_id, "electronic").order_by(None).subquery()
    return int(await session.scalar(select(func.count()).select_from(ready)) or 0)


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


async def _inputs(session: AsyncSession, claims: list[Claim]
                  ) -> tuple[list[tuple[Claim, Any]], list[dict[str, Any]]]:
    """Each claim's writer input; (the ones made, the skipped with why)."""
    pre = await Preloaded.load(session, claims)
    inputs: list[tuple[Claim, Any]] = []
    skipped: list[dict[str, Any]] = []
    for claim in claims:
        try:
            inputs.append((claim, await _claim_input(session, claim, pre)))
        except UserError as exc:
            skipped.append({"claim_id": claim.id, "why": str(exc)})
    return inputs, skipped


def _drop_refused(inputs: list[tuple[Claim, Any]], envelope: dict[str, Any]
                  ) -> tuple[list[tuple[Claim, Any]], list[dict[str, Any]]]:
    """The writer refused the chunk: check each claim alone, so one bad claim does not stop
    the batch; (the good ones, the refused with why)."""
    from gateway.core.x12 import writer837p as w

    good: list[tuple[Claim, Any]] = []
    refused: list[dict[str, Any]] = []
    for claim, ci in inputs:
        try:
            w.write_837p(w.ClaimBatchInput(claims=(ci,), **envelope), w.InMemoryControlNumbers())
        except UserError as exc:
            refused.append({"claim_id": claim.id, "why": str(exc)})
            continue
        good.append((claim, ci))
    return good, refused


async def _write(session: AsyncSession, practice_id: int, inputs: list[tuple[Claim, Any]],
                 envelope: dict[str, Any], skipped: list[dict[str, Any]]) -> tuple[Any, Any]:
    """(the writer's output or None, the claims in it): written once with the allocated
    control numbers; a refused chunk is written again without its refused claims."""
    from gateway.core.x12 import writer837p as w

    numbers = {k: await allocate_control_number(session, practice_id, k)
               for k in ("interchange", "group", "transaction")}
    try:
        return w.write_837p(w.ClaimBatchInput(claims=tuple(ci for _, ci in inputs), **envelope),
                            lambda kind: numbers[kind]), inputs
    except UserError:
        inputs, refused = _drop_refused(inputs, envelope)
        skipped.extend(refused)
    if not inputs:
        return None, inputs
    return w.write_837p(w.ClaimBatchInput(claims=tuple(ci for _, ci in inputs), **envelope),
                        lambda kind: numbers[kind]), inputs


async def build_claim_batch(
    session: AsyncSession, practice_id: int, connector: Connector,
    claim_ids: list[int] | None = None,
) -> tuple[ClaimBatch | None, list[dict[str, Any]], int]:
    """Persist one 837P batch of the ready claims (or of `claim_ids` among them).
    Returns (the batch or None when nothing is ready, skipped claims with why, ready count)."""
    envelope = batch_envelope(edi_settings(connector), dt.datetime.now(dt.UTC))
    if claim_ids is None:
        claims = await ready_claims(session, practice_id, limit=MAX_CLAIMS_PER_BATCH)
        seen = await _ready_count(session, practice_id)
    else:
        wanted = set(claim_ids)
        claims = [c for c in await ready_claims(session, practice_id) if c.id in wanted]
        seen = len(claims)
    inputs, skipped = await _inputs(session, claims[:MAX_CLAIMS_PER_BATCH])
    out = None
    if inputs:
        out, inputs = await _write(session, practice_id, inputs, envelope, skipped)
    if out is None:
        return None, skipped, seen
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
    await session.execute(insert(ClaimBatchClaim.__table__), [  # type: ignore[arg-type]  # Table
        {"batch_id": batch.id, "claim_id": claim.id, "status": "submitted", "detail": {},
         "patient_control_number": ci.patient_control_number} for claim, ci in inputs])
    await mark_in_batch(session, [claim.id for claim, _ in inputs])
    await session.flush()
    log.info("claim batch %s built: %d claims, ISA13 %s", batch.id, len(inputs),
             out.interchange_control_number)
    return batch, skipped, seen
