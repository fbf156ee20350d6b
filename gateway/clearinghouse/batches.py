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

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, Select, and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.core.records import Connector
from gateway.db.bulk import copy_rows, copy_update_by_id
from gateway.db.models import Payer
from gateway.db.upsert import insert_if_absent
from gateway.ledger.billing import mark_in_batch
from gateway.ledger.models import Claim
from gateway.ledger.states import REJECTED_SUB_STATUS, BillingState

from . import cob
from .chunk import Chunk, ClaimRow, bulk_build, columns, without_control_number
from .models import ClaimBatch, ClaimBatchClaim, ControlNumber
from .reference import held_claim_ids

log = logging.getLogger("gateway.clearinghouse.batches")

__all__ = ["REJECTED_SUB_STATUS", "Built", "allocate_control_number", "batch_envelope",
           "build_claim_batch", "claim_inputs", "paper_claim", "ready_rows"]
Route = Literal["electronic", "paper"]
MAX_CLAIMS_PER_BATCH = 5000
CONTROL_LIMIT = 999_999_999


# -- control numbers ----------------------------------------------------------------------------


async def _counter(session: AsyncSession, practice_id: int, kind: str) -> None:
    await insert_if_absent(
        session,
        ControlNumber.__table__,  # type: ignore[arg-type]
        {"practice_id": practice_id, "kind": kind, "last_value": 0},
        ["practice_id", "kind"],
    )


async def lock_batching(session: AsyncSession, practice_id: int) -> None:
    """Hold the practice's interchange counter row until the transaction ends, taken before
    the ready claims are read: two processes building at once never put one claim in two
    batches (the second reads after the first committed)."""
    await _counter(session, practice_id, "interchange")
    await session.execute(select(ControlNumber.last_value).where(
        ControlNumber.practice_id == practice_id, ControlNumber.kind == "interchange")
        .with_for_update())


async def allocate_control_number(session: AsyncSession, practice_id: int, kind: str) -> int:
    """The next number of `kind` for the practice (1..999999999, then wraps to 1). The UPDATE
    locks the counter row until the caller's transaction ends."""
    await _counter(session, practice_id, kind)
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


def ready_claims_query(practice_id: int, route: Route = "electronic",
                       *cols: Any) -> Select[Any]:
    """Unbilled claims of one route (electronic or paper) not in a batch in flight nor in an
    open reference batch (a released rejection is unbilled again); a claim billed by the PMS or
    loaded from aging is never among them. `cols`: what to select (default the `Claim`)."""
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
        select(*(cols or (Claim,)))
        .select_from(Claim)
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


async def ready_rows(session: AsyncSession, practice_id: int, route: Route = "electronic", *,
                     claim_ids: Sequence[int] | None = None, after_id: int = 0,
                     limit: int | None = None) -> list[ClaimRow]:
    """The ready claims (of `claim_ids` among them) after `after_id`, the first `limit`, as
    rows for the writers."""
    q = ready_claims_query(practice_id, route, *columns(Claim, ClaimRow)).where(
        Claim.id > after_id)
    if claim_ids is not None:
        q = q.where(Claim.id.in_(list(claim_ids)))
    rows = (await (await session.connection()).execute(q.limit(limit))).all()  # fetchall
    return [ClaimRow(*r) for r in rows]


class _Inputs:
    """Each claim's writer input, made from one chunk (payers' writer records shared)."""

    def __init__(self, chunk: Chunk) -> None:
        self.chunk = chunk
        self.payers: dict[int, Any] = {}
        self.made: list[tuple[ClaimRow, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        for claim in chunk.claims:
            try:
                self.made.append((claim, self._claim_input(claim)))
            except UserError as exc:
                self.skipped.append({"claim_id": claim.id, "why": str(exc)})

    def _payer(self, payer_id: int | None) -> Any:
        from gateway.core.x12 import writer837p as w

        payer = self.chunk.payers.get(payer_id) if payer_id else None
        if payer is None or not payer.payer_id:
            raise UserError("the claim's payer has no clearinghouse payer id")
        if not payer.accepts_electronic_claims:
            raise UserError(f"payer {payer.id} does not accept electronic claims")
        if payer.id not in self.payers:
            self.payers[payer.id] = w.Payer(name=payer.name, payer_id=payer.payer_id)
        return self.payers[payer.id]

    def _claim_input(self, claim: ClaimRow) -> Any:
        from gateway.core.x12 import writer837p as w

        chunk = self.chunk
        payer = self._payer(claim.payer_id)
        patient, coverage, lines = chunk.billed(claim)
        other_payers: tuple[Any, ...] = ()
        prior_lines: dict[int, Any] = {}
        if claim.payer_rank > 1:  # coordination of benefits from the prior payer's posted ERA
            other_payers, prior_lines = cob.other_payers(chunk.cob, claim, patient, lines,
                                                         chunk.payers, chunk.coverages)
        return w.ClaimInput(
            responsibility=cob.RESPONSIBILITY.get(claim.payer_rank, "P"),
            other_payers=other_payers,
            patient_control_number=claim.patient_control_number or f"GW{claim.id}",
            payer=payer,
            subscriber=w.Person(
                last_name=patient.last_name or "UNKNOWN", first_name=patient.first_name or "",
                member_id=coverage.member_id or "", birth_date=patient.dob,
            ),
            diagnosis_codes=tuple(claim.diagnosis_codes or ()),
            lines=tuple(
                w.ServiceLineInput(
                    procedure_code=ln.procedure_code,
                    modifiers=tuple(ln.modifiers or ()),
                    charge=ln.charge,
                    units=ln.units if ln.units is not None else Decimal(1),
                    diagnosis_pointers=tuple(ln.diagnosis_pointers or (1,)),
                    service_date=ln.service_date or claim.service_date_from,
                    control_number=str(ln.id),
                    prior_payment=prior_lines.get(ln.id),
                )
                for ln in lines
            ),
        )


async def claim_inputs(session: AsyncSession, claims: list[ClaimRow]
                       ) -> tuple[list[tuple[ClaimRow, Any]], list[dict[str, Any]]]:
    """Each claim's 837P writer input, read as one chunk; (the ones made, the skipped with
    why)."""
    chunk = await Chunk.load(session, claims)
    made = await asyncio.to_thread(_Inputs, chunk)  # bulk work: off the event loop
    return made.made, made.skipped


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


def _drop_refused(inputs: list[tuple[ClaimRow, Any]], envelope: dict[str, Any]
                  ) -> tuple[list[tuple[ClaimRow, Any]], list[dict[str, Any]]]:
    """The writer refused the chunk: check each claim alone, so one bad claim does not stop
    the batch; (the good ones, the refused with why)."""
    from gateway.core.x12 import writer837p as w

    good: list[tuple[ClaimRow, Any]] = []
    refused: list[dict[str, Any]] = []
    for claim, ci in inputs:
        try:
            w.write_837p(w.ClaimBatchInput(claims=(ci,), **envelope), w.InMemoryControlNumbers())
        except UserError as exc:
            refused.append({"claim_id": claim.id, "why": str(exc)})
            continue
        good.append((claim, ci))
    return good, refused


async def _write(session: AsyncSession, practice_id: int, inputs: list[tuple[ClaimRow, Any]],
                 envelope: dict[str, Any], skipped: list[dict[str, Any]]) -> tuple[Any, Any]:
    """(the writer's output or None, the claims in it): written once with the allocated
    control numbers; a refused chunk is written again without its refused claims."""
    from gateway.core.x12 import writer837p as w

    numbers = {k: await allocate_control_number(session, practice_id, k)
               for k in ("interchange", "group", "transaction")}
    def write(chosen: list[tuple[ClaimRow, Any]]) -> Any:
        return w.write_837p(w.ClaimBatchInput(claims=tuple(ci for _, ci in chosen), **envelope),
                            lambda kind: numbers[kind])

    try:  # bulk work: in a worker thread, never on the server's event loop
        return await asyncio.to_thread(write, inputs), inputs
    except UserError:
        inputs, refused = await asyncio.to_thread(_drop_refused, inputs, envelope)
        skipped.extend(refused)
    if not inputs:
        return None, inputs
    return await asyncio.to_thread(write, inputs), inputs


class Built(msgspec.Struct, kw_only=True):
    """One build: the batch (None when no claim could go in one), the claims left out with
    why, how many ready claims it looked at, and the last of them (where the next build
    starts; None when none was ready)."""

    batch: Any = None  # ClaimBatch
    skipped: list[dict[str, Any]] = []
    seen: int = 0
    last_id: int | None = None


async def _persist(session: AsyncSession, connector: Connector, out: Any,
                   inputs: list[tuple[ClaimRow, Any]]) -> ClaimBatch:
    """The batch row, its membership rows (in bulk), the claims in_batch with their patient
    control numbers."""
    content = out.text.encode("ascii", "replace")
    prefix = edi_settings(connector).get("batch_name_prefix") or "CLM"
    practice_id = connector.practice_id
    batch = ClaimBatch(
        practice_id=practice_id, connector_id=connector.id,
        name=f"{prefix}{practice_id}_{out.interchange_control_number}.837",
        interchange_control_number=out.interchange_control_number,
        group_control_number=out.group_control_number,
        transaction_control_number=out.transaction_control_number,
        status="built", claim_count=len(inputs), content=content, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        detail={"total_charge": str(out.total_charge)},
    )
    session.add(batch)
    await session.flush()
    await copy_rows(session, ClaimBatchClaim.__table__, [  # type: ignore[arg-type]  # Table
        {"batch_id": batch.id, "claim_id": claim.id, "status": "submitted", "detail": {},
         "patient_control_number": ci.patient_control_number} for claim, ci in inputs])
    await copy_update_by_id(session, Claim.__table__,  # type: ignore[arg-type]  # Table
                            without_control_number(claim for claim, _ in inputs))
    await mark_in_batch(session, [claim.id for claim, _ in inputs])
    return batch


async def build_claim_batch(
    session: AsyncSession, practice_id: int, connector: Connector,
    claim_ids: Sequence[int] | None = None, *, after_id: int = 0,
) -> Built:
    """Persist one 837P batch of the first ready claims after `after_id` (of `claim_ids`
    among them), at most `MAX_CLAIMS_PER_BATCH`; call again from `Built.last_id` for more."""
    with bulk_build():
        return await _build(session, practice_id, connector, claim_ids, after_id)


async def _build(session: AsyncSession, practice_id: int, connector: Connector,
                 claim_ids: Sequence[int] | None, after_id: int) -> Built:
    envelope = batch_envelope(edi_settings(connector), dt.datetime.now(dt.UTC))
    await lock_batching(session, practice_id)
    claims = await ready_rows(session, practice_id, claim_ids=claim_ids, after_id=after_id,
                              limit=MAX_CLAIMS_PER_BATCH)
    built = Built(seen=len(claims), last_id=claims[-1].id if claims else None)
    inputs, built.skipped = await claim_inputs(session, claims)
    out = None
    if inputs:
        out, inputs = await _write(session, practice_id, inputs, envelope, built.skipped)
    if out is None:
        return built
    built.batch = await _persist(session, connector, out, inputs)
    log.info("claim batch %s built: %d claims, ISA13 %s", built.batch.id, len(inputs),
             out.interchange_control_number)
    return built
