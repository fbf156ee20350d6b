"""Removing a wrong aging snapshot (a misdated export, the wrong location's file) and undoing
what it did. The safe rule, in order:

- only a location's latest snapshot that is not removed can be removed (undoing an older one
  under newer ones would rewrite history the newer ones built on): remove the later ones first;
- money is never edited or deleted: every ledger row the snapshot wrote gets a compensating row
  (same kind, opposite amount, `reverses_id` = the row, `source_type="aging_removal"`,
  `source_id` = the snapshot), so each claim's balance is what it was before the import;
- a claim the snapshot *created* that nothing else touched since (no ledger row of another
  source, no row of another table pointing at it — a deposit match, a batch, a receipt —, no
  audited edit) is reversed and marked `Completed` with sub-status "Aging snapshot N removed";
  it is never deleted, so a corrected upload of the same claim reopens it. A created claim
  something else touched is left exactly as it is (money and status) and listed under `kept`
  for a biller to review;
- claims it completed are reopened, claims it reopened are completed again, payers it changed
  are restored, each only when the claim still shows the snapshot's change;
- the snapshot stays (marked `removed_at`) for the audit trail; its file row is renamed to
  kind "aging_removed_<snapshot id>" so the same bytes can be imported again (say with the right
  export date).

Snapshots imported before effects were recorded (migration 0040) have only their money undone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.aging.bulk import bulk_insert, table_of
from gateway.aging.models import AgingSnapshot, AgingSnapshotEffect
from gateway.core.errors import NotFound, UserError
from gateway.db.base import utcnow
from gateway.db.models import AuditLog, ImportedFile
from gateway.ledger.models import Claim, LedgerEntry

SOURCE_TYPE = "aging_removal"
REMOVED_FILE_KIND = "aging_removed"
# tables whose rows pointing at a claim are the aging import's own bookkeeping
_OWN_TABLES = {"claim_lines", "ledger_entries", "aging_snapshot_items", "aging_snapshot_effects"}


class RemovalResult(msgspec.Struct, kw_only=True):
    snapshot_id: int
    location_id: int
    ledger_rows_reversed: int = 0
    claims_marked_removed: list[int] = []
    claims_reopened: list[int] = []
    claims_completed_again: list[int] = []
    payers_restored: list[int] = []
    kept: list[dict[str, Any]] = []  # claims left as they are, and why


async def _removable(session: AsyncSession, practice_id: int, snapshot_id: int) -> AgingSnapshot:
    snap = await session.get(AgingSnapshot, snapshot_id)
    if snap is None or snap.practice_id != practice_id:
        raise NotFound(f"no aging snapshot {snapshot_id}")
    if snap.removed_at is not None:
        raise UserError(f"aging snapshot {snapshot_id} was already removed", where="snapshot")
    later = await session.scalar(
        select(AgingSnapshot.id).where(
            AgingSnapshot.location_id == snap.location_id, AgingSnapshot.id > snap.id,
            AgingSnapshot.removed_at.is_(None)).order_by(AgingSnapshot.id.desc()).limit(1))
    if later is not None:
        raise UserError(f"snapshot {later} of this location is newer: remove it first",
                        where="snapshot")
    return snap


def _claim_references() -> list[tuple[Table, Any]]:
    """Every other table's column with a foreign key to claims.id (a deposit match, a batch
    link, an appointment...): found from the metadata so new domains count too."""
    from gateway.db.metadata import metadata  # all models; imported late: it imports every domain
    return [(t, c) for t in metadata.sorted_tables if t.name not in _OWN_TABLES
            for c in t.columns
            if any(fk.column.table.name == "claims" for fk in c.foreign_keys)]


async def _touched(session: AsyncSession, snapshot_id: int, claim_id: int) -> str | None:
    """Why something other than this snapshot has a hand in the claim, or None."""
    other = await session.scalar(select(LedgerEntry.source_type).where(
        LedgerEntry.claim_id == claim_id,
        (LedgerEntry.source_type != "aging") | (LedgerEntry.source_id != snapshot_id)).limit(1))
    if other is not None:
        return f"has ledger rows from {other}"
    for table, col in _claim_references():
        if await session.scalar(select(func.count()).select_from(table).where(col == claim_id)):
            return f"referenced by {table.name}"
    if await session.scalar(select(AuditLog.id).where(
            AuditLog.object_type == "claim", AuditLog.object_id == claim_id).limit(1)):
        return "edited by a biller"
    return None


async def _effects(session: AsyncSession, snapshot_id: int) -> dict[str, list[AgingSnapshotEffect]]:
    out: dict[str, list[AgingSnapshotEffect]] = {}
    for e in (await session.scalars(select(AgingSnapshotEffect).where(
            AgingSnapshotEffect.snapshot_id == snapshot_id))).all():
        out.setdefault(e.effect, []).append(e)
    return out


async def _reverse_money(session: AsyncSession, snap: AgingSnapshot,
                         kept: set[int]) -> int:
    rows = (await session.scalars(select(LedgerEntry).where(
        LedgerEntry.source_type == "aging", LedgerEntry.source_id == snap.id))).all()
    compensating = [
        {"practice_id": r.practice_id, "claim_id": r.claim_id, "claim_line_id": r.claim_line_id,
         "kind": r.kind, "amount": -r.amount, "payer_id": r.payer_id,
         "source_type": SOURCE_TYPE, "source_id": snap.id, "reverses_id": r.id,
         "reason": "aging removed"}
        for r in rows if r.claim_id not in kept
    ]
    await bulk_insert(session, table_of(LedgerEntry), compensating)
    return len(compensating)


async def _undo_claims(session: AsyncSession, snap: AgingSnapshot,
                       effects: dict[str, list[AgingSnapshotEffect]], result: RemovalResult,
                       now: dt.datetime) -> None:
    for e in effects.get("completed", []):
        claim = await session.get(Claim, e.claim_id)
        if claim is not None and claim.status == "Completed" and claim.completed_at is not None:
            claim.completed_at = None
            claim.status = e.previous.get("status") or "Open"
            result.claims_reopened.append(claim.id)
    for e in effects.get("reopened", []):
        claim = await session.get(Claim, e.claim_id)
        if claim is not None and claim.completed_at is None and claim.status == "Open":
            done = e.previous.get("completed_at")
            claim.completed_at = dt.datetime.fromisoformat(done) if done else now
            claim.status = e.previous.get("status") or "Completed"
            result.claims_completed_again.append(claim.id)
    for e in effects.get("payer_changed", []):
        await session.execute(update(Claim).where(Claim.id == e.claim_id)
                              .values(payer_id=e.previous.get("payer_id")))
        result.payers_restored.append(e.claim_id)
    for cid in result.claims_marked_removed:
        await session.execute(update(Claim).where(Claim.id == cid).values(
            status="Completed", completed_at=now, sub_status=f"Aging snapshot {snap.id} removed"))


async def remove_snapshot(
    session: AsyncSession, practice_id: int, snapshot_id: int, *, actor: str,
    user_id: int | None = None,
) -> RemovalResult:
    """Remove a location's latest aging snapshot and undo its effects (module docstring)."""
    snap = await _removable(session, practice_id, snapshot_id)
    result = RemovalResult(snapshot_id=snap.id, location_id=snap.location_id)
    effects = await _effects(session, snap.id)
    kept: set[int] = set()
    for e in effects.get("created", []):
        why = await _touched(session, snap.id, e.claim_id)
        if why is None:
            result.claims_marked_removed.append(e.claim_id)
        else:
            kept.add(e.claim_id)
            result.kept.append({"claim_id": e.claim_id, "why": why})
    now = utcnow()
    result.ledger_rows_reversed = await _reverse_money(session, snap, kept)
    await _undo_claims(session, snap, effects, result, now)
    snap.removed_at = now
    await session.execute(update(ImportedFile).where(ImportedFile.id == snap.imported_file_id)
                          .values(kind=f"{REMOVED_FILE_KIND}_{snap.id}", status="removed"))
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="aging.remove_snapshot", object_type="aging_snapshot", object_id=snap.id,
                detail={"location_id": snap.location_id,
                        "ledger_rows_reversed": result.ledger_rows_reversed,
                        "marked_removed": len(result.claims_marked_removed),
                        "reopened": len(result.claims_reopened),
                        "completed_again": len(result.claims_completed_again),
                        "kept": result.kept[:100]})
    await session.flush()
    return result
