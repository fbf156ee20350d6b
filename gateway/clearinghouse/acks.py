"""999 / 277CA acknowledgments in: read them, attach them to the batches they speak about, and
move each claim's billing state (accepted, or rejected with the reason a biller reads).

A 999 attaches by its AK102 (our GS06) and AK202 (our ST02), a 277CA claim by its patient
control number (our CLM01) within the batches it was sent in. A refused claim becomes
`rejected` with the codes in `Claim.rejection_reason` (and `sub_status = "Rejected by
clearinghouse"`, the codes also on its `ClaimBatchClaim.detail`); it is not batched again until
a biller releases it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.ledger.billing import mark_accepted, mark_rejected

from .models import Acknowledgment, ClaimBatch, ClaimBatchClaim

__all__ = ["ParsedAck", "apply_acknowledgment", "read_acknowledgment"]


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
