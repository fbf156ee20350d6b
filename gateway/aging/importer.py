"""Aging imports: a vendor's aging file becomes a snapshot of one location's insurance A/R.

In one transaction (the caller's):

- the file is claimed in the `ImportedFile` ledger by its SHA-256 (a unique constraint decides):
  the same bytes again change nothing and answer the first import's summary;
- claims of *this location* are matched by (vendor, claim/invoice id, payer rank); rows with a
  new key create a claim (patient by account, created on first sight) that is `billed` by the
  PMS (a receivable: never batched by the gateway); existing claims absent from the file are
  marked completed; a completed claim that reappears is reopened; each of these effects is
  recorded (`AgingSnapshotEffect`) so a wrong snapshot can be removed (gateway.aging.removal);
- payers not yet in the practice are added (matched through aliases, then by normalised name
  and payer id, never duplicated, never overwritten) as Active, and each one notifies every
  active user (gateway.aging.parties);
- money: gateway.aging.reconcile. Completing a claim writes no money (why it left the A/R is
  unknown).

A file that cannot be read, whose rows belong to another location, or whose export date is in
the future or older than the last snapshot, is rejected whole (`UserError`) and nothing is
written (gateway.aging.checks). Logs carry ids and counts only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.aging.bulk import bulk_insert, table_of
from gateway.aging.checks import refuse_future, refuse_stale, rows_of_location
from gateway.aging.models import AgingSnapshot, AgingSnapshotEffect, AgingSnapshotItem
from gateway.aging.parties import patients_of, resolve_payers
from gateway.aging.reconcile import reconcile
from gateway.aging.run import ClaimKey, FileClaim, ImportRun
from gateway.aging.schemas import ImportResult
from gateway.aging.stage import (
    claim_chunks,
    close_rows,
    gone_claims,
    open_rows,
    stage_rows,
)
from gateway.aging.stage import (
    totals as staged_totals,
)
from gateway.aging.vendors import aging_vendors, get_location, parse_export, vendor_for_location
from gateway.core.errors import UserError
from gateway.core.money import format_money
from gateway.core.names import normalize_payer_name
from gateway.core.progress import OnProgress, report
from gateway.core.records import AgingContext, AgingExport, AgingRow, AgingSource, RowProblem
from gateway.db.base import utcnow
from gateway.db.models import ImportedFile, Practice
from gateway.db.upsert import dialect_insert, execute_in_chunks, insert_if_absent
from gateway.ledger.models import Claim
from gateway.ledger.states import BilledBy, BillingState, ClaimOrigin

log = logging.getLogger("gateway.aging.service")

FILE_KIND = "aging"
LEVELS = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
_CHUNK = 500


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def find_imported(
    session: AsyncSession, practice_id: int, sha256: str
) -> ImportedFile | None:
    return await session.scalar(
        select(ImportedFile).where(
            ImportedFile.practice_id == practice_id,
            ImportedFile.kind == FILE_KIND,
            ImportedFile.sha256 == sha256,
        )
    )


def _duplicate_result(file: ImportedFile, location_id: int) -> ImportResult:
    if file.location_id != location_id:
        raise UserError(
            f"this file was already imported for location {file.location_id} (file "
            f"{file.id}); the same export cannot be the snapshot of location {location_id}",
            where="file",
        )
    summary = dict(file.summary or {})
    summary.update(duplicate=True, file_id=file.id)
    return msgspec.convert(summary, ImportResult, strict=False)


async def import_upload(
    session: AsyncSession,
    practice_id: int,
    location_id: int,
    source: AgingSource,
    *,
    vendor: str | None = None,
    export_date: dt.date | None = None,
    actor: str = "cli",
    user_id: int | None = None,
) -> ImportResult:
    """Parse (in worker threads, a chunk at a time) and import an uploaded aging file for one
    location, read by the installed plugins. `export_date` overrides the report's own date.
    (`read_upload` then `import_export` with `on_progress` to hear of each chunk.)"""
    read = await read_upload(session, practice_id, location_id, source, vendor=vendor,
                             export_date=export_date)
    if isinstance(read, ImportResult):
        return read
    export, file = read
    return await import_export(session, practice_id, location_id, export, file=file,
                               actor=actor, user_id=user_id)


async def read_upload(
    session: AsyncSession, practice_id: int, location_id: int, source: AgingSource, *,
    vendor: str | None = None, export_date: dt.date | None = None,
) -> tuple[AgingExport, UploadedFile] | ImportResult:
    """The upload's vendor checked and its rows ready to stream (parsing starts in a worker
    thread), or the first import's result when these bytes were imported before."""
    loc = await get_location(session, practice_id, location_id)
    vendor = vendor or await vendor_for_location(session, practice_id, location_id)
    if vendor not in aging_vendors():
        raise UserError(
            f"no plugin reads aging exports of vendor {vendor!r}; known: "
            f"{', '.join(aging_vendors())}",
            where="vendor",
        )
    digest = sha256_of(source.content)
    existing = await find_imported(session, practice_id, digest)
    if existing is not None:
        return _duplicate_result(existing, location_id)
    context = AgingContext(
        practice_id=practice_id, location_id=location_id, location_name=loc.name,
        export_date=export_date,
    )
    export = await asyncio.to_thread(parse_export, vendor, source, context)
    return export, UploadedFile(name=source.name, sha256=digest, size=len(source.content))


class UploadedFile(msgspec.Struct, frozen=True, kw_only=True):
    """The file an export was read from: its name (for messages), content hash and size."""

    name: str
    sha256: str
    size: int = 0


async def import_export(
    session: AsyncSession,
    practice_id: int,
    location_id: int,
    export: AgingExport,
    *,
    file: UploadedFile,
    actor: str = "cli",
    user_id: int | None = None,
    on_progress: OnProgress | None = None,
) -> ImportResult:
    """Import parsed (or still streaming) rows as the new snapshot of a location (see the
    module docstring): the rows are staged (gateway.aging.stage), then written a chunk of
    claims at a time, so memory does not grow with the file."""
    await open_rows(session)
    try:
        started = await _start(session, practice_id, location_id, export, file)
        if isinstance(started, ImportResult):
            return started
        run, tally = started, _Tally()
        completed = await _complete_gone(run)
        async for claims in claim_chunks(session):
            await _import_chunk(run, claims, tally)
            report(on_progress, sum(len(rows) for rows in claims.values()))
        result = ImportResult(
            file_id=run.file_id, snapshot_id=run.snapshot.id, location_id=location_id,
            vendor=run.vendor, export_date=run.snapshot.export_date, rows=run.snapshot.rows,
            rows_skipped=run.rows_skipped, balance_total=run.snapshot.balance_total,
            claims_created=tally.created, claims_updated=tally.updated,
            claims_unchanged=tally.unchanged, claims_completed=completed,
            claims_reopened=tally.reopened, payers_added=run.payers_added,
            problems=run.problems,
        )
        await _finish(run, result, actor, user_id)
        return result
    finally:
        await close_rows(session)


@dataclass
class _Tally:
    """The claim counts of an import, summed over its chunks."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reopened: int = 0


async def _import_chunk(run: ImportRun, claims: dict[ClaimKey, list[AgingRow]],
                        tally: _Tally) -> None:
    """One chunk of the file's claims (each with all its rows): created, reopened, payers
    followed, money reconciled, snapshot items written."""
    run.claims = {k: FileClaim(k, rows) for k, rows in claims.items()}
    run.created_keys, run.adopted, run.elsewhere = set(), set(), set()
    run.existing = await _existing_claims(run)
    await _create_claims(run)
    reopened, payer_before = await _status_changes(run)
    await _record_effects(run, reopened, payer_before)
    in_file = {k: run.existing[k]["id"] for k in run.claims if k in run.existing}
    changed = await reconcile(run, in_file)
    updated = {
        cid for k, cid in in_file.items()
        if k not in run.created_keys and (cid in changed or cid in payer_before)
    } - set(reopened)
    await _snapshot_items(run, in_file)
    tally.created += len(run.created_keys)
    tally.updated += len(updated)
    tally.reopened += len(reopened)
    tally.unchanged += len(in_file) - len(run.created_keys) - len(updated) - len(reopened)


async def _start(
    session: AsyncSession, practice_id: int, location_id: int, export: AgingExport,
    file: UploadedFile,
) -> ImportRun | ImportResult:
    """The rows staged and checked, then the file row (the unique constraint decides) and
    the snapshot; an ImportResult when another process imported these bytes first."""
    loc = await get_location(session, practice_id, location_id)
    # one writer of a practice's claims at a time, as for practice-data pulls (PostgreSQL row
    # lock): the claims a pull brought are read below and updated, not duplicated
    await session.execute(select(Practice.id).where(Practice.id == practice_id).with_for_update())
    staged = await stage_rows(session, export)
    problems: list[RowProblem] = list(export.problems)
    skipped, kept = await rows_of_location(session, practice_id, loc, staged.locations,
                                           problems)
    export_date = export.export_date or dt.date.today()
    name, sha256 = file.name, file.sha256
    refuse_future(export_date, name)
    await refuse_stale(session, location_id, export_date)
    file_id = await insert_if_absent(
        session, table_of(ImportedFile),
        {"practice_id": practice_id, "location_id": location_id, "kind": FILE_KIND,
         "name": name[:400], "sha256": sha256, "size": file.size, "status": "imported",
         "summary": {}, "created_at": utcnow()},
        ["practice_id", "kind", "sha256"],
    )
    if file_id is None:  # another process imported these bytes first
        first = await find_imported(session, practice_id, sha256)
        assert first is not None
        return _duplicate_result(first, location_id)
    rows, balance_total = await staged_totals(session)
    snapshot = AgingSnapshot(
        practice_id=practice_id, location_id=location_id, imported_file_id=file_id,
        vendor=export.vendor, grain=export.grain, export_date=export_date, rows=rows,
        balance_total=balance_total,
    )
    session.add(snapshot)
    await session.flush()
    run = ImportRun(session=session, practice_id=practice_id, location=loc, export=export,
                    file_id=file_id, snapshot=snapshot, rows=[], problems=problems,
                    now=utcnow(), rows_skipped=skipped)
    run.unreadable = {(c[:80], r) for c, r in export.unreadable}
    await resolve_payers(run, staged.payers_of(kept))
    return run


async def _create_claims(run: ImportRun) -> None:
    """Claims for the file's new keys (a row without account or date of service is a
    problem, not a claim); billed by the PMS, from aging."""
    creatable: list[FileClaim] = []
    for key, c in run.claims.items():
        if key in run.existing:
            continue
        row = c.first
        missing = [w for w, ok in (("patient account", row.patient_account),
                                   ("date of service", row.service_date)) if not ok]
        if missing:
            run.problems.append(RowProblem(
                row.source_row, None,
                f"claim {row.claim_id} not created: no {' and no '.join(missing)}"))
            continue
        creatable.append(c)
    if not creatable:
        return
    patient_ids = await patients_of(run.session, run.practice_id, creatable)
    # the export's claim number is the PMS's claim number: a claim a PMS pull inserted
    # meanwhile under the same (number, rank) wins the unique constraint, and is adopted
    # below like any claim the pull brought first
    stmt = dialect_insert(run.session, table_of(Claim)).on_conflict_do_nothing(
        index_elements=["practice_id", "pms_claim_id", "payer_rank"])
    await execute_in_chunks(run.session, stmt.returning(table_of(Claim).c.id), [
        {
            "practice_id": run.practice_id, "location_id": run.location_id,
            "patient_id": patient_ids[c.first.patient_account[:80]],
            "payer_id": run.payer_of.get(normalize_payer_name(c.first.payer_name)),
            "payer_rank": c.key[1],
            "service_date_from": min(r.service_date for r in c.rows if r.service_date),
            "level": LEVELS.get(c.key[1], "Primary"), "status": "Open",
            "billing": "electronic", "diagnosis_codes": [], "source_vendor": run.vendor,
            "source_claim_id": c.key[0],
            "pms_claim_id": None if c.key in run.elsewhere else c.key[0],
            # a receivable in the PMS's aging: the PMS billed it, the gateway never does
            "billing_state": BillingState.BILLED.value, "billed_by": BilledBy.PMS.value,
            "billed_at": run.now, "origin": ClaimOrigin.AGING.value,
        }
        for c in creatable
    ])
    before = set(run.existing)
    run.existing = await _existing_claims(run)
    run.created_keys = {c.key for c in creatable if c.key in run.existing
                        and c.key not in before and c.key not in run.adopted}


async def _complete_gone(run: ImportRun) -> int:
    """Complete this location's claims the file no longer names (a claim whose row could
    not be read is left as it is), recording each effect; how many."""
    gone = [g for g in await gone_claims(run.session, run.practice_id, run.location_id,
                                         run.vendor)
            if (g[1], g[2]) not in run.unreadable]
    for i in range(0, len(gone), _CHUNK):
        part = gone[i:i + _CHUNK]
        await run.session.execute(
            update(Claim).where(Claim.id.in_([g[0] for g in part]))
            .values(completed_at=run.now, status="Completed"))
        await bulk_insert(run.session, table_of(AgingSnapshotEffect), [
            {"snapshot_id": run.snapshot.id, "claim_id": cid, "effect": "completed",
             "previous": {"status": status, "completed_at": done.isoformat() if done else None}}
            for cid, _key, _rank, done, status in part])
    return len(gone)


async def _status_changes(run: ImportRun) -> tuple[list[int], dict[int, int | None]]:
    """Reopen the chunk's claims back in the file, follow payer changes: (reopened ids,
    claim id -> payer before)."""
    existing, claims = run.existing, run.claims
    reopened = [existing[k]["id"] for k in claims if k in existing
                and k not in run.created_keys and existing[k]["completed_at"] is not None]
    for i in range(0, len(reopened), _CHUNK):
        await run.session.execute(
            update(Claim).where(Claim.id.in_(reopened[i:i + _CHUNK]))
            .values(completed_at=None, status="Open"))
    payer_before: dict[int, int | None] = {}
    for k, c in claims.items():
        if k in existing and k not in run.created_keys and k not in run.adopted:
            # a claim the PMS pull brought keeps the payer of its coverage
            pid = run.payer_of.get(normalize_payer_name(c.first.payer_name))
            if pid is not None and pid != existing[k]["payer_id"]:
                await run.session.execute(update(Claim).where(Claim.id == existing[k]["id"])
                                          .values(payer_id=pid))
                payer_before[existing[k]["id"]] = existing[k]["payer_id"]
    return reopened, payer_before


async def _snapshot_items(run: ImportRun, in_file: dict[ClaimKey, int]) -> None:
    """The snapshot's rows as the file had them, for audit."""
    raw_dict = run.export.raw_dict
    rows = [r for c in run.claims.values() for r in c.rows]
    await bulk_insert(run.session, table_of(AgingSnapshotItem), [
        {
            "snapshot_id": run.snapshot.id,
            "claim_id": in_file.get((r.claim_id[:80], r.payer_rank)),
            "source_row": r.source_row, "source_claim_id": r.claim_id[:80],
            "payer_rank": r.payer_rank, "billed": r.billed, "paid": r.paid,
            "balance": r.balance, "bucket_0_30": r.bucket_0_30, "bucket_31_60": r.bucket_31_60,
            "bucket_61_90": r.bucket_61_90, "bucket_91_120": r.bucket_91_120,
            "bucket_120_plus": r.bucket_120_plus, "raw": raw_dict(r),
        }
        for r in rows
    ])


async def _finish(run: ImportRun, result: ImportResult, actor: str, user_id: int | None) -> None:
    """Counts on the snapshot, the summary on the file row, the audit row, one log line."""
    snap = run.snapshot
    snap.claims_created = result.claims_created
    snap.claims_updated = result.claims_updated
    snap.claims_completed = result.claims_completed
    snap.claims_reopened = result.claims_reopened
    snap.payers_added = result.payers_added
    snap.problems = [{"row": p.row, "column": p.column, "why": p.why} for p in run.problems]
    summary = msgspec.to_builtins(result, enc_hook=_enc)
    await run.session.execute(
        update(ImportedFile).where(ImportedFile.id == run.file_id).values(summary=summary))
    await audit(
        run.session, practice_id=run.practice_id, actor=actor, user_id=user_id,
        action="aging.import", object_type="aging_snapshot", object_id=snap.id,
        detail={"location_id": run.location_id, "vendor": run.vendor, "file_id": run.file_id,
                "rows": result.rows, "created": result.claims_created,
                "completed": result.claims_completed},
    )
    await run.session.flush()
    log.info(
        "aging import practice=%s location=%s vendor=%s file=%s snapshot=%s rows=%s created=%s "
        "updated=%s completed=%s reopened=%s payers_added=%s problems=%s",
        run.practice_id, run.location_id, run.vendor, run.file_id, snap.id, result.rows,
        result.claims_created, result.claims_updated, result.claims_completed,
        result.claims_reopened, len(result.payers_added), len(run.problems),
    )


def _enc(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return format_money(obj)
    raise NotImplementedError(type(obj).__name__)


_COLUMNS = (Claim.id, Claim.source_claim_id, Claim.payer_rank, Claim.completed_at,
            Claim.payer_id, Claim.status)


async def _existing_claims(run: ImportRun) -> dict[ClaimKey, dict[str, Any]]:
    """The chunk's claims already known: this location's aging claims, and the claims of
    the practice that a PMS pull brought under a claim number and rank the chunk names
    (`run.adopted`: the file updates them)."""
    numbers = sorted({k[0] for k in run.claims})
    rows: list[tuple[Any, ...]] = []
    for i in range(0, len(numbers), _CHUNK):
        rows += [tuple(r) for r in await run.session.execute(
            select(*_COLUMNS)
            .where(Claim.practice_id == run.practice_id, Claim.location_id == run.location_id,
                   Claim.source_vendor == run.vendor,
                   Claim.source_claim_id.in_(numbers[i:i + _CHUNK])))]
    own = {(r[1], r[2]) for r in rows}
    numbers = sorted({k[0] for k in run.claims if k not in own})
    for i in range(0, len(numbers), _CHUNK):
        found = await run.session.execute(
            select(*_COLUMNS, Claim.pms_claim_id, Claim.location_id)
            .where(Claim.practice_id == run.practice_id,
                   Claim.pms_claim_id.in_(numbers[i:i + _CHUNK]))
        )
        for cid, _source, rank, done, payer, status, number, location in found:
            key = (number, rank)
            if key not in run.claims or key in own:
                continue
            if location not in (None, run.location_id):
                # another office's claim: this file's row stays a claim of its own location
                # (created below without the PMS number, as before), never moving that money
                run.elsewhere.add(key)
                continue
            run.adopted.add(key)
            rows.append((cid, number, rank, done, payer, status))
    return {
        (source_id, rank): {"id": cid, "completed_at": done, "payer_id": payer, "status": status}
        for cid, source_id, rank, done, payer, status in rows if (source_id, rank) in run.claims
    }


async def _record_effects(run: ImportRun, reopened: list[int],
                          payer_before: dict[int, int | None]) -> None:
    """What this snapshot did to each claim of the chunk, and what was there before, so that
    removing the snapshot (gateway.aging.removal) can undo exactly that (completed claims:
    `_complete_gone`)."""
    sid, existing = run.snapshot.id, run.existing
    by_id = {v["id"]: v for v in existing.values()}
    rows: list[dict[str, Any]] = [
        {"snapshot_id": sid, "claim_id": existing[k]["id"], "effect": "created",
         "previous": {}} for k in run.created_keys]
    for cid in reopened:
        done = by_id[cid]["completed_at"]
        rows.append({"snapshot_id": sid, "claim_id": cid, "effect": "reopened",
                     "previous": {"status": by_id[cid]["status"],
                                  "completed_at": done.isoformat() if done else None}})
    rows.extend({"snapshot_id": sid, "claim_id": cid, "effect": "payer_changed",
                 "previous": {"payer_id": before}} for cid, before in payer_before.items())
    await bulk_insert(run.session, table_of(AgingSnapshotEffect), rows)
