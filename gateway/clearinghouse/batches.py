"""837P claim batches out, 999 / 277CA acknowledgments in.

Building: the practice's electronic claims whose billing state is `unbilled` (never one the
PMS or an aging export says is billed) and not in a batch already, become one 837P
interchange written by `gateway.core.x12.writer837p` with control numbers allocated from the
`control_numbers` table (one `UPDATE ... RETURNING` each: a row lock, so two processes never
share a number). The batch is persisted (status "built", its bytes, its ISA13/GS06/ST02)
before it is sent; an upload that fails leaves it "failed" and the next `submit-claims` sends
the same bytes again.

Acknowledgments attach by control numbers: a 999 by its AK102 (our GS06) and AK202 (our ST02),
a 277CA claim by its patient control number (our CLM01) within the batches it was sent in.
Billing state (`gateway.ledger.billing`): built -> `in_batch`, uploaded -> `billed` by the
gateway, acknowledged -> `accepted`, refused -> `rejected` with the codes in
`Claim.rejection_reason` (and `sub_status = "Rejected by clearinghouse"`, the codes also on its
`ClaimBatchClaim.detail`); it is not batched again until a biller releases it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.core.errors import Failure, UserError
from gateway.core.hooks import get_hooks
from gateway.core.records import ClaimBatch as ClaimBatchRecord
from gateway.core.records import Connector
from gateway.db.models import Coverage, Patient, Payer
from gateway.db.upsert import insert_if_absent
from gateway.ledger.billing import mark_accepted, mark_billed, mark_in_batch, mark_rejected
from gateway.ledger.models import Claim, ClaimLine
from gateway.ledger.states import REJECTED_SUB_STATUS, BillingState

from . import cob
from .models import Acknowledgment, ClaimBatch, ClaimBatchClaim, ControlNumber
from .reference import held_claim_ids

log = logging.getLogger("gateway.clearinghouse.batches")

__all__ = ["REJECTED_SUB_STATUS", "allocate_control_number", "build_claim_batch",
           "submit_claims", "apply_acknowledgment", "read_acknowledgment", "ready_claims"]
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


class SubmitResult(msgspec.Struct, kw_only=True):
    """`gateway connectors run NAME --action submit-claims --json`."""

    seen: int = 0  # claims ready to send
    batches: list[dict[str, Any]] = []
    submitted: int = 0  # claims in batches uploaded this run
    skipped: list[dict[str, Any]] = []  # claims left out, and why
    failed: list[dict[str, str]] = []  # batches whose upload failed, and why


def _edi(connector: Connector) -> dict[str, Any]:
    config = msgspec.to_builtins(connector.config)
    edi = config.get("edi") if isinstance(config, dict) else None
    if not edi:
        raise UserError(
            f"connector {connector.name!r} has no 'edi' settings (sender/receiver ids, "
            "submitter, billing provider): add them to its config to submit claims",
            where="config",
        )
    return edi


async def ready_claims(session: AsyncSession, practice_id: int) -> list[Claim]:
    """Unbilled electronic claims not in a batch in flight nor in an open reference batch (a
    released rejection is unbilled again); a claim billed by the PMS or loaded from aging is
    never among them."""
    in_flight = (
        select(ClaimBatchClaim.claim_id)
        .join(ClaimBatch, ClaimBatch.id == ClaimBatchClaim.batch_id)
        .where(
            ClaimBatch.practice_id == practice_id,
            ClaimBatchClaim.status.in_(("submitted", "accepted")),
        )
    )
    q = (
        select(Claim)
        .where(
            Claim.practice_id == practice_id,
            Claim.billing == "electronic",
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


async def build_claim_batch(
    session: AsyncSession, practice_id: int, connector: Connector,
    claim_ids: list[int] | None = None,
) -> tuple[ClaimBatch | None, list[dict[str, Any]], int]:
    """Persist one 837P batch of the ready claims (or of `claim_ids` among them).
    Returns (the batch or None when nothing is ready, skipped claims with why, ready count)."""
    from gateway.core.x12 import writer837p as w

    edi = _edi(connector)
    claims = await ready_claims(session, practice_id)
    if claim_ids is not None:
        wanted = set(claim_ids)
        claims = [c for c in claims if c.id in wanted]
    seen = len(claims)
    inputs: list[tuple[Claim, Any]] = []
    skipped: list[dict[str, Any]] = []
    created = dt.datetime.now(dt.UTC)
    envelope = dict(
        submitter=w.Submitter(name=edi["submitter_name"], id=edi["submitter_id"],
                              contact_name=edi["contact_name"], phone=edi["contact_phone"]),
        receiver=w.Receiver(name=edi["receiver_name"], id=edi["receiver_id"]),
        billing_provider=msgspec.convert(edi["billing_provider"], w.BillingProvider),
        sender_id=edi["sender_id"], receiver_id=edi["receiver_id"], created=created,
        production=edi.get("production", True),
    )
    for claim in claims[:MAX_CLAIMS_PER_BATCH]:
        try:
            ci = await _claim_input(session, claim)
            # validate this claim alone, so one bad claim does not stop the batch
            w.write_837p(w.ClaimBatchInput(claims=(ci,), **envelope), w.InMemoryControlNumbers())
        except UserError as exc:
            skipped.append({"claim_id": claim.id, "why": str(exc)})
            continue
        inputs.append((claim, ci))
    if not inputs:
        return None, skipped, seen
    numbers = {k: await allocate_control_number(session, practice_id, k)
               for k in ("interchange", "group", "transaction")}
    out = w.write_837p(w.ClaimBatchInput(claims=tuple(ci for _, ci in inputs), **envelope),
                       lambda kind: numbers[kind])
    content = out.text.encode("ascii", "replace")
    prefix = edi.get("batch_name_prefix") or "CLM"
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


async def submit_claims(
    sessionmaker: async_sessionmaker[AsyncSession], connector: Connector,
    claim_ids: list[int] | None = None, *, upload: bool = True, send_waiting: bool = True,
) -> SubmitResult:
    """Build a batch of the ready claims (or of `claim_ids` among them; committed before
    sending), then upload it and any earlier batch of this connector whose upload failed, and
    with `send_waiting` the built batches waiting for a biller. `upload=False` only builds:
    the batch waits for a biller to send it."""
    from gateway.core.plugins import plugin_info

    if "submit_claims" not in plugin_info(connector.plugin).capabilities:
        raise UserError(f"connector {connector.name!r} ({connector.plugin}) cannot submit claims")
    result = SubmitResult()
    async with sessionmaker() as session:
        async with session.begin():
            batch, result.skipped, result.seen = await build_claim_batch(
                session, connector.practice_id, connector, claim_ids
            )
            if batch is not None:
                result.batches.append({"id": batch.id, "name": batch.name,
                                       "claims": batch.claim_count, "status": "built"})
            if not upload:
                return result
            waiting = ("built", "failed") if send_waiting else ("failed",)
            pending = (await session.scalars(
                select(ClaimBatch).where(
                    ClaimBatch.practice_id == connector.practice_id,
                    ClaimBatch.connector_id == connector.id,
                    ClaimBatch.status.in_(waiting)
                    | (ClaimBatch.id == (batch.id if batch is not None else -1)),
                ).order_by(ClaimBatch.id)
            )).all()
            to_send = [
                ClaimBatchRecord(id=b.id, name=b.name, content=b.content,
                                 interchange_control_number=int(b.interchange_control_number),
                                 claim_count=b.claim_count)
                for b in pending
            ]
    hooks = get_hooks()
    for record in to_send:
        try:
            receipt = await hooks.submit_claim_batch(connector, record)
            if receipt is None:
                raise Failure(f"no plugin answered for connector {connector.name!r}")
        except (Failure, UserError) as exc:
            async with sessionmaker() as session:
                async with session.begin():
                    await session.execute(
                        update(ClaimBatch).where(ClaimBatch.id == record.id).values(
                            status="failed", detail={"error": str(exc)})
                    )
            result.failed.append({"name": record.name, "why": str(exc)})
            continue
        async with sessionmaker() as session:
            async with session.begin():
                await session.execute(
                    update(ClaimBatch).where(ClaimBatch.id == record.id).values(
                        status="submitted", remote_name=receipt.remote_name,
                        submitted_at=receipt.submitted_at,
                        detail={"receipt": {"size": receipt.size, "sha256": receipt.sha256}},
                    )
                )
                sent = (await session.scalars(select(ClaimBatchClaim.claim_id).where(
                    ClaimBatchClaim.batch_id == record.id))).all()
                await mark_billed(session, sent, receipt.submitted_at or dt.datetime.now(dt.UTC))
        result.submitted += record.claim_count
        result.batches = [b for b in result.batches if b["id"] != record.id]
        result.batches.append({"id": record.id, "name": record.name,
                               "claims": record.claim_count, "remote_name": receipt.remote_name,
                               "sha256": receipt.sha256, "status": "submitted"})
    return result


# -- acknowledgments ----------------------------------------------------------------------------


@dataclass
class ParsedAck:
    kind: str  # "999" or "277CA"
    groups: list[Any] = field(default_factory=list)  # 999 GroupAcknowledgment
    acks: list[Any] = field(default_factory=list)  # 277CA ClaimAcknowledgment

    def summary(self) -> dict[str, Any]:
        if self.kind == "999":
            return {
                "type": "999",
                "groups": [
                    {"group_control_number": g.group_control_number, "status": g.status,
                     "accepted": g.accepted,
                     "sets": [{"control_number": s.control_number, "status": s.status,
                               "error_codes": list(s.error_codes)} for s in g.sets]}
                    for g in self.groups
                ],
            }
        claims = [c for a in self.acks for c in a.claims]
        return {
            "type": "277CA",
            "claims": len(claims),
            "accepted": sum(c.status == "accepted" for c in claims),
            "rejected": sum(c.status == "rejected" for c in claims),
            "pending": sum(c.status == "pending" for c in claims),
        }


def read_acknowledgment(path: str, name: str) -> ParsedAck:
    """A 999 or a 277CA, told apart by the first ST01. X12Error when it is neither."""
    from gateway.core.x12.ack import read_277ca, read_999
    from gateway.core.x12.errors import X12Error
    from gateway.core.x12.tokenizer import iter_segments

    kind = None
    for number, el in iter_segments(path, name=name):
        if el[0] == "ST":
            kind = el[1] if len(el) > 1 else ""
            if kind not in ("999", "277"):
                raise X12Error(f"transaction set {kind!r} is not an acknowledgment (999 or 277CA)",
                               segment=number, segment_id="ST", element=1, file=name)
            break
    if kind is None:
        raise X12Error("no transaction set (ST) in the file", file=name)
    if kind == "999":
        return ParsedAck("999", groups=read_999(path, name=name))
    return ParsedAck("277CA", acks=read_277ca(path, name=name))


def _rejection_reason(detail: dict) -> str:
    """What the acknowledgment said, in a line a biller reads beside the claim."""
    if detail.get("source") == "999":
        codes = ", ".join(detail.get("error_codes") or []) or "no codes"
        return f"999 rejected the transaction (AK9 {detail.get('group_status')}): {codes}"
    statuses = "; ".join(f"{s['category']}:{s['code']}" + (f":{s['entity']}" if s.get("entity")
                                                           else "")
                         for s in detail.get("statuses") or []) or "no status codes"
    return f"277CA rejected the claim: {statuses}"


async def _flag(session: AsyncSession, link: ClaimBatchClaim, status: str, detail: dict) -> None:
    link.status = status
    link.detail = detail
    if status == "rejected":
        await mark_rejected(session, link.claim_id, _rejection_reason(detail))
    elif status == "accepted":
        await mark_accepted(session, link.claim_id)


async def apply_acknowledgment(
    session: AsyncSession, practice_id: int, imported_file_id: int, parsed: ParsedAck
) -> list[dict[str, Any]]:
    """Attach an acknowledgment to its batches and flag claims; what was attached where."""
    if parsed.kind == "999":
        return await _apply_999(session, practice_id, imported_file_id, parsed)
    return await _apply_277ca(session, practice_id, imported_file_id, parsed)


async def _apply_999(
    session: AsyncSession, practice_id: int, imported_file_id: int, parsed: ParsedAck
) -> list[dict[str, Any]]:
    """A 999 by its group (AK102 = our GS06) and set (AK202 = our ST02) control numbers."""
    attached: list[dict[str, Any]] = []
    for g in parsed.groups:
        batch = await session.scalar(
            select(ClaimBatch).where(
                ClaimBatch.practice_id == practice_id,
                ClaimBatch.group_control_number == g.group_control_number.lstrip("0"),
            ).order_by(ClaimBatch.id.desc()).limit(1)
        )
        rejected_sets = [s for s in g.sets if not s.accepted]
        mine = [s for s in rejected_sets if batch is not None and
                s.control_number.lstrip("0") == batch.transaction_control_number.lstrip("0")]
        status = ("accepted" if g.accepted and not rejected_sets else
                  "partially accepted" if g.status == "P" else "rejected")
        links: list[ClaimBatchClaim] = []
        if batch is not None:
            links = list((await session.scalars(
                select(ClaimBatchClaim).where(ClaimBatchClaim.batch_id == batch.id))).all())
            if mine or status == "rejected":
                codes = sorted({c for s in (mine or rejected_sets) for c in s.error_codes})
                for link in links:
                    await _flag(session, link, "rejected", {
                        "source": "999", "imported_file_id": imported_file_id,
                        "group_status": g.status, "error_codes": codes})
                status = "rejected"
            elif status == "accepted":
                for link in links:
                    await mark_accepted(session, link.claim_id)
            batch.status = status if batch.status in ("submitted", "built", "failed") \
                else batch.status
        session.add(Acknowledgment(
            practice_id=practice_id, imported_file_id=imported_file_id,
            batch_id=batch.id if batch else None, kind="999", status=status,
            accepted=0 if status == "rejected" else len(links),
            rejected=len(links) if status == "rejected" else 0,
            detail={"group_control_number": g.group_control_number,
                    "ak9": g.status, "sets": [s.control_number for s in g.sets]},
        ))
        attached.append({"kind": "999", "group_control_number": g.group_control_number,
                         "batch_id": batch.id if batch else None, "status": status})
    await session.flush()
    return attached


async def _apply_277ca(
    session: AsyncSession, practice_id: int, imported_file_id: int, parsed: ParsedAck
) -> list[dict[str, Any]]:
    """A 277CA claim by its patient control number (our CLM01) in the batches it went in."""
    attached: list[dict[str, Any]] = []
    by_batch: dict[int | None, dict[str, Any]] = {}
    for ack in parsed.acks:
        for c in ack.claims:
            found = await session.scalar(
                select(ClaimBatchClaim)
                .join(ClaimBatch, ClaimBatch.id == ClaimBatchClaim.batch_id)
                .where(ClaimBatch.practice_id == practice_id,
                       ClaimBatchClaim.patient_control_number == c.patient_control_number)
                .order_by(ClaimBatchClaim.id.desc()).limit(1)
            )
            key = found.batch_id if found else None
            entry = by_batch.setdefault(key, {"accepted": 0, "rejected": 0, "pending": 0,
                                              "claims": []})
            entry[c.status] += 1
            entry["claims"].append({"patient_control_number": c.patient_control_number,
                                    "status": c.status})
            if found is None or c.status == "pending":
                continue
            await _flag(session, found, c.status, {
                "source": "277CA", "imported_file_id": imported_file_id,
                "payer_claim_number": c.payer_claim_number,
                "statuses": [{"category": s.category, "code": s.code, "entity": s.entity}
                             for s in c.statuses]})
    for batch_id, entry in by_batch.items():
        status = ("rejected" if entry["rejected"] and not entry["accepted"] else
                  "partially accepted" if entry["rejected"] else
                  "accepted" if entry["accepted"] else "pending")
        if batch_id is not None:
            states = (await session.scalars(
                select(ClaimBatchClaim.status).where(ClaimBatchClaim.batch_id == batch_id))).all()
            overall = ("accepted" if all(s == "accepted" for s in states) else
                       "rejected" if all(s == "rejected" for s in states) else
                       "partially accepted" if any(s == "rejected" for s in states) else None)
            if overall:
                await session.execute(update(ClaimBatch).where(ClaimBatch.id == batch_id)
                                      .values(status=overall))
        session.add(Acknowledgment(
            practice_id=practice_id, imported_file_id=imported_file_id, batch_id=batch_id,
            kind="277CA", status=status, accepted=entry["accepted"], rejected=entry["rejected"],
            detail={"claims": entry["claims"][:500]},
        ))
        attached.append({"kind": "277CA", "batch_id": batch_id, "status": status,
                         "accepted": entry["accepted"], "rejected": entry["rejected"]})
    await session.flush()
    return attached
