"""Aging imports: a vendor's aging file becomes a snapshot of one location's insurance A/R.

In one transaction (the caller's):

- the file is claimed in the `ImportedFile` ledger by its SHA-256 (a unique constraint decides):
  the same bytes again change nothing and answer the first import's summary;
- claims of *this location* are matched by (vendor, claim/invoice id, payer rank); rows with a
  new key create a claim (patient by account, created on first sight); existing claims absent
  from the file are marked completed; a completed claim that reappears is reopened;
- payers not yet in the practice are added (matched by normalised name and payer id, never
  duplicated, never overwritten) as Active, and each one notifies every active user;
- money: every difference between the ledger and the file is a ledger row with
  `source_type="aging"` and `source_id` = the snapshot: `charge` up to the billed amount,
  `insurance_payment` up to the paid amount (when the file states them), and an
  `insurance_adjustment` for the rest, so the claim's insurance balance equals the file's
  balance afterwards. Completing a claim writes no money (why it left the A/R is unknown).

A file that cannot be read, or whose rows belong to another location, is rejected whole
(`UserError`) and nothing is written. Logs carry ids and counts only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import msgspec
import pluggy
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.admin.notifications import notify_practice_users
from gateway.admin.payers import get_or_add_payer
from gateway.aging.bulk import bulk_insert
from gateway.aging.models import AgingSnapshot, AgingSnapshotEffect, AgingSnapshotItem
from gateway.aging.schemas import ImportResult, ParseSummary
from gateway.core.errors import NotFound, UserError
from gateway.core.money import ZERO, format_money
from gateway.core.names import normalize_payer_name
from gateway.core.plugins import get_plugin_manager, plugin_infos
from gateway.core.records import AgingContext, AgingExport, AgingRow, AgingSource, RowProblem
from gateway.db.base import utcnow
from gateway.db.models import Connector, ImportedFile, Location, Patient
from gateway.db.upsert import insert_if_absent
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.ledger.states import BilledBy, BillingState, ClaimOrigin

log = logging.getLogger(__name__)

FILE_KIND = "aging"
SOURCE_TYPE = "aging"
LEVELS = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
BUCKETS = ("bucket_0_30", "bucket_31_60", "bucket_61_90", "bucket_91_120", "bucket_120_plus")


def _table(model: type) -> Table:
    """A model's Table (SQLAlchemy types `__table__` as the wider FromClause)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]  # a mapped class has it


# --- parsing (blocking: call from a worker thread) -----------------------------------------


def aging_vendors(pm: pluggy.PluginManager | None = None) -> list[str]:
    """Names of the plugins that read aging exports."""
    return sorted(n for n, i in plugin_infos(pm).items() if "aging_export" in i.capabilities)


def parse_export(
    vendor: str,
    source: AgingSource,
    context: AgingContext | None = None,
    pm: pluggy.PluginManager | None = None,
) -> AgingExport:
    """The vendor's plugin reads the file (rows may still be streaming); UserError when no
    plugin reads this vendor's exports or the file is not its report."""
    pm = pm or get_plugin_manager()
    export = pm.hook.gateway_parse_aging_export(
        vendor=vendor, source=source, context=context or AgingContext()
    )
    if export is None:
        raise UserError(
            f"no plugin reads aging exports of vendor {vendor!r}; known: "
            f"{', '.join(aging_vendors(pm)) or 'none'}",
            where="vendor",
        )
    return export


def summarize(export: AgingExport) -> ParseSummary:
    """Count and total the rows as they stream by: memory does not grow with the row count."""
    rows = 0
    total = ZERO
    payers: dict[str, str] = {}
    spellings: set[str] = set()
    for row in export.iter_rows():
        rows += 1
        total += row.balance
        if row.payer_name and row.payer_name not in spellings:
            spellings.add(row.payer_name)
            payers.setdefault(normalize_payer_name(row.payer_name), row.payer_name)
    return ParseSummary(
        rows=rows, balance_total=total, payers=list(payers.values()), problems=list(export.problems)
    )


def parse_summary(
    vendor: str, source: AgingSource, context: AgingContext | None = None,
    pm: pluggy.PluginManager | None = None,
) -> ParseSummary:
    return summarize(parse_export(vendor, source, context, pm))


def read_all(
    vendor: str, source: AgingSource, context: AgingContext | None = None,
    pm: pluggy.PluginManager | None = None,
) -> AgingExport:
    """Parse and read every row (what an import needs)."""
    return parse_export(vendor, source, context, pm).materialize()


# --- which vendor ------------------------------------------------------------------------------


async def get_location(session: AsyncSession, practice_id: int, location_id: int) -> Location:
    loc = await session.get(Location, location_id)
    if loc is None or loc.practice_id != practice_id:
        raise NotFound(f"no location {location_id}")
    return loc


async def vendor_for_location(
    session: AsyncSession, practice_id: int, location_id: int,
    pm: pluggy.PluginManager | None = None,
) -> str:
    """The vendor of the practice's aging connector for this location: the one whose config
    names the location, else the only aging connector of the practice."""
    vendors = set(aging_vendors(pm))
    rows = (
        await session.scalars(
            select(Connector).where(Connector.practice_id == practice_id,
                                    Connector.enabled.is_(True)).order_by(Connector.id)
        )
    ).all()
    aging = [c for c in rows if c.plugin in vendors]
    mine = [c for c in aging if (c.config or {}).get("location_id") == location_id]
    unbound = [c for c in aging if (c.config or {}).get("location_id") is None]
    for candidates in (mine, unbound):
        plugins = {c.plugin for c in candidates}
        if len(plugins) == 1:
            return plugins.pop()
        if len(plugins) > 1:
            raise UserError(
                f"several aging connectors could serve location {location_id} "
                f"({', '.join(sorted(plugins))}): give the vendor",
                where="vendor",
            )
    raise UserError(
        f"no vendor given and no aging connector for location {location_id}; give one of "
        f"{', '.join(sorted(vendors))}",
        where="vendor",
    )


# --- importing ---------------------------------------------------------------------------------


@dataclass
class _Claim:
    """The rows of one (claim id, payer rank) in the file, read as one claim."""

    key: tuple[str, int]
    rows: list[AgingRow] = field(default_factory=list)

    @property
    def first(self) -> AgingRow:
        return self.rows[0]


def _norm(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    """(first, last) from "Last, First M" or "First Last"."""
    if not name:
        return None, None
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip()[:100] or None, last.strip()[:100] or None
    parts = name.split()
    if len(parts) == 1:
        return None, parts[0][:100]
    return " ".join(parts[:-1])[:100], parts[-1][:100]


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
    pm: pluggy.PluginManager | None = None,
) -> ImportResult:
    """Parse (in a worker thread) and import an uploaded aging file for one location."""
    loc = await get_location(session, practice_id, location_id)
    vendor = vendor or await vendor_for_location(session, practice_id, location_id, pm)
    if vendor not in aging_vendors(pm):
        raise UserError(
            f"no plugin reads aging exports of vendor {vendor!r}; known: "
            f"{', '.join(aging_vendors(pm))}",
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
    export = await asyncio.to_thread(read_all, vendor, source, context, pm)
    return await import_export(
        session, practice_id, location_id, export, name=source.name, sha256=digest,
        size=len(source.content), actor=actor, user_id=user_id,
    )


async def import_export(
    session: AsyncSession,
    practice_id: int,
    location_id: int,
    export: AgingExport,
    *,
    name: str,
    sha256: str,
    size: int = 0,
    actor: str = "cli",
    user_id: int | None = None,
) -> ImportResult:
    """Import parsed rows as the new snapshot of a location (see the module docstring)."""
    loc = await get_location(session, practice_id, location_id)
    export.materialize()
    vendor = export.vendor
    problems: list[RowProblem] = list(export.problems)
    rows, skipped = await _rows_of_location(session, practice_id, loc, export.rows, problems)
    export_date = export.export_date or dt.date.today()
    _refuse_future(export_date, name)
    await _refuse_stale(session, location_id, export_date)

    file_id = await insert_if_absent(
        session,
        _table(ImportedFile),
        {
            "practice_id": practice_id,
            "location_id": location_id,
            "kind": FILE_KIND,
            "name": name[:400],
            "sha256": sha256,
            "size": size,
            "status": "imported",
            "summary": {},
            "created_at": utcnow(),
        },
        ["practice_id", "kind", "sha256"],
    )
    if file_id is None:  # another process imported these bytes first
        first = await find_imported(session, practice_id, sha256)
        assert first is not None
        return _duplicate_result(first, location_id)

    claims: dict[tuple[str, int], _Claim] = {}
    for row in rows:
        key = (row.claim_id[:80], row.payer_rank)
        claims.setdefault(key, _Claim(key)).rows.append(row)
    unreadable = {(c[:80], r) for c, r in export.unreadable} - set(claims)

    snapshot = AgingSnapshot(
        practice_id=practice_id, location_id=location_id, imported_file_id=file_id,
        vendor=vendor, grain=export.grain, export_date=export_date, rows=len(rows),
        balance_total=sum((r.balance for r in rows), ZERO),
    )
    session.add(snapshot)
    await session.flush()

    payer_of, added = await _payers(session, practice_id, loc, vendor, file_id, claims, problems)
    existing = await _existing_claims(session, practice_id, location_id, vendor)
    now = utcnow()

    # new claims
    new = [c for k, c in claims.items() if k not in existing]
    creatable: list[_Claim] = []
    for c in new:
        row = c.first
        missing = [w for w, ok in (("patient account", row.patient_account),
                                   ("date of service", row.service_date)) if not ok]
        if missing:
            problems.append(RowProblem(
                row.source_row, None,
                f"claim {row.claim_id} not created: no {' and no '.join(missing)}",
            ))
            continue
        creatable.append(c)
    patient_ids = await _patients(session, practice_id, creatable)
    if creatable:
        await bulk_insert(session, _table(Claim), [
            {
                "practice_id": practice_id,
                "location_id": location_id,
                "patient_id": patient_ids[c.first.patient_account[:80]],
                "payer_id": payer_of.get(normalize_payer_name(c.first.payer_name)),
                "payer_rank": c.key[1],
                "service_date_from": min(r.service_date for r in c.rows if r.service_date),
                "level": LEVELS.get(c.key[1], "Primary"),
                "status": "Open",
                "billing": "electronic",
                "diagnosis_codes": [],
                "source_vendor": vendor,
                "source_claim_id": c.key[0],
                # a receivable in the PMS's aging: the PMS billed it, the gateway never does
                "billing_state": BillingState.BILLED.value,
                "billed_by": BilledBy.PMS.value,
                "billed_at": now,
                "origin": ClaimOrigin.AGING.value,
            }
            for c in creatable
        ])
        existing = await _existing_claims(session, practice_id, location_id, vendor)
    created_keys = {c.key for c in creatable}

    # reopen / complete / payer changes
    reopened = [existing[k]["id"] for k in claims if k in existing and k not in created_keys
                and existing[k]["completed_at"] is not None]
    completed = [v["id"] for k, v in existing.items()
                 if k not in claims and k not in unreadable and v["completed_at"] is None]
    for ids, values in ((reopened, {"completed_at": None, "status": "Open"}),
                        (completed, {"completed_at": now, "status": "Completed"})):
        for i in range(0, len(ids), 500):
            await session.execute(
                update(Claim).where(Claim.id.in_(ids[i:i + 500])).values(**values))
    payer_before: dict[int, int | None] = {}
    for k, c in claims.items():
        if k in existing and k not in created_keys:
            pid = payer_of.get(normalize_payer_name(c.first.payer_name))
            if pid is not None and pid != existing[k]["payer_id"]:
                await session.execute(update(Claim).where(Claim.id == existing[k]["id"])
                                      .values(payer_id=pid))
                payer_before[existing[k]["id"]] = existing[k]["payer_id"]
    payer_changed = set(payer_before)
    await _record_effects(session, snapshot.id, existing, created_keys, reopened, completed,
                          payer_before)

    # lines and money
    in_file = {k: existing[k]["id"] for k in claims if k in existing}
    changed = await _reconcile(
        session, practice_id, location_id, vendor, snapshot.id, export, claims, in_file, payer_of,
    )
    updated = {
        cid for k, cid in in_file.items()
        if k not in created_keys and (cid in changed or cid in payer_changed)
    } - set(reopened)

    # the snapshot's rows, for audit
    raw_dict = export.raw_dict
    await bulk_insert(session, _table(AgingSnapshotItem), [
        {
            "snapshot_id": snapshot.id,
            "claim_id": in_file.get((r.claim_id[:80], r.payer_rank)),
            "source_row": r.source_row,
            "source_claim_id": r.claim_id[:80],
            "payer_rank": r.payer_rank,
            "billed": r.billed,
            "paid": r.paid,
            "balance": r.balance,
            "bucket_0_30": r.bucket_0_30,
            "bucket_31_60": r.bucket_31_60,
            "bucket_61_90": r.bucket_61_90,
            "bucket_91_120": r.bucket_91_120,
            "bucket_120_plus": r.bucket_120_plus,
            "raw": raw_dict(r),
        }
        for r in rows
    ])

    n_created = len(created_keys)
    result = ImportResult(
        file_id=file_id,
        snapshot_id=snapshot.id,
        location_id=location_id,
        vendor=vendor,
        export_date=export_date,
        rows=len(rows),
        rows_skipped=skipped,
        balance_total=snapshot.balance_total,
        claims_created=n_created,
        claims_updated=len(updated),
        claims_unchanged=len(in_file) - n_created - len(updated) - len(reopened),
        claims_completed=len(completed),
        claims_reopened=len(reopened),
        payers_added=added,
        problems=problems,
    )
    snapshot.claims_created = n_created
    snapshot.claims_updated = len(updated)
    snapshot.claims_completed = len(completed)
    snapshot.claims_reopened = len(reopened)
    snapshot.payers_added = added
    snapshot.problems = [{"row": p.row, "column": p.column, "why": p.why} for p in problems]
    summary = msgspec.to_builtins(result, enc_hook=_enc)
    await session.execute(
        update(ImportedFile).where(ImportedFile.id == file_id).values(summary=summary)
    )
    await audit(
        session, practice_id=practice_id, actor=actor, user_id=user_id, action="aging.import",
        object_type="aging_snapshot", object_id=snapshot.id,
        detail={"location_id": location_id, "vendor": vendor, "file_id": file_id,
                "rows": len(rows), "created": n_created, "completed": len(completed)},
    )
    await session.flush()
    log.info(
        "aging import practice=%s location=%s vendor=%s file=%s snapshot=%s rows=%s created=%s "
        "updated=%s completed=%s reopened=%s payers_added=%s problems=%s",
        practice_id, location_id, vendor, file_id, snapshot.id, len(rows), n_created,
        len(updated), len(completed), len(reopened), len(added), len(problems),
    )
    return result


def _enc(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return format_money(obj)
    raise NotImplementedError(type(obj).__name__)


async def _rows_of_location(
    session: AsyncSession, practice_id: int, loc: Location, rows: list[AgingRow],
    problems: list[RowProblem],
) -> tuple[list[AgingRow], int]:
    """The rows of this location. A file with one location value is this location's export
    unless that value names another location of the practice; a file with several keeps the
    rows whose value is this location's name or code."""
    values = {r.location for r in rows if r.location}
    if not values:
        return rows, 0
    mine = {_norm(loc.name), _norm(loc.code)} - {""}
    others = (
        await session.execute(
            select(Location.id, Location.name, Location.code).where(
                Location.practice_id == practice_id, Location.id != loc.id)
        )
    ).all()
    if len(values) == 1:
        (value,) = values
        if _norm(value) not in mine:
            for other_id, other_name, other_code in others:
                if _norm(value) in {_norm(other_name), _norm(other_code)} - {""}:
                    raise UserError(
                        f"the file's rows are for location {value!r} (location {other_id}), not "
                        f"{loc.name!r}: upload it to that location",
                        where="Location",
                    )
        return rows, 0
    kept = [r for r in rows if not r.location or _norm(r.location) in mine]
    if not kept:
        shown = ", ".join(repr(v) for v in sorted(values)[:6])
        raise UserError(
            f"the file has rows for several locations ({shown}) and none is this location "
            f"{loc.name!r}" + (f" (code {loc.code!r})" if loc.code else "")
            + ": give the location the name or code the export uses",
            where="Location",
        )
    skipped = len(rows) - len(kept)
    other_values = sorted({r.location for r in rows
                           if r.location and _norm(r.location) not in mine})
    problems.append(RowProblem(
        None, "Location",
        f"{skipped} rows of other locations ({', '.join(other_values[:6])}) skipped",
    ))
    return kept, skipped


FUTURE_TOLERANCE = dt.timedelta(days=1)  # an export made "tomorrow" in another time zone


def _refuse_future(export_date: dt.date, name: str) -> None:
    """An export dated beyond tomorrow is a misread title ("As of 12/31/9999") or a typo:
    importing it would make every real export after it look stale, locking the location."""
    latest_allowed = dt.date.today() + FUTURE_TOLERANCE
    if export_date > latest_allowed:
        raise UserError(
            f"{name}: the export is dated {export_date.isoformat()}, later than tomorrow "
            f"({latest_allowed.isoformat()}): check the report's 'As of' title, or give the "
            "real date (--export-date / export_date)",
            where="export_date",
        )


async def _refuse_stale(session: AsyncSession, location_id: int, export_date: dt.date) -> None:
    latest = (
        await session.execute(
            select(AgingSnapshot.id, AgingSnapshot.export_date)
            .where(AgingSnapshot.location_id == location_id, AgingSnapshot.removed_at.is_(None))
            .order_by(AgingSnapshot.export_date.desc(), AgingSnapshot.id.desc()).limit(1)
        )
    ).first()
    if latest is not None and export_date < latest[1]:
        raise UserError(
            f"this export is dated {export_date.isoformat()}, older than the last import for this "
            f"location ({latest[1].isoformat()}, snapshot {latest[0]}): importing it would undo "
            "newer changes",
            where="export_date",
        )


async def _payers(
    session: AsyncSession, practice_id: int, loc: Location, vendor: str, file_id: int,
    claims: dict[tuple[str, int], _Claim], problems: list[RowProblem],
) -> tuple[dict[str, int], list[str]]:
    """normalised payer name -> payer id; the names of payers added (each notified)."""
    wanted: dict[str, AgingRow] = {}
    for c in claims.values():
        for row in c.rows:
            if row.payer_name:
                norm = normalize_payer_name(row.payer_name)
                if not norm:
                    problems.append(RowProblem(
                        row.source_row, None, f"payer {row.payer_name!r} has no letters or digits"))
                    continue
                wanted.setdefault(norm, row)
    payer_of: dict[str, int] = {}
    added: list[str] = []
    for norm, row in wanted.items():
        payer, created = await get_or_add_payer(
            session, practice_id, row.payer_name, row.payer_id, source="aging"
        )
        payer_of[norm] = payer.id
        if created:
            added.append(payer.name)
            await notify_practice_users(
                session, practice_id, "payer_added",
                f"Payer {payer.name!r} was added (Active) from the {vendor} aging import of "
                f"location {loc.name!r} (file {file_id}). Review its details.",
                object_type="payer", object_id=payer.id,
            )
    return payer_of, added


async def _existing_claims(
    session: AsyncSession, practice_id: int, location_id: int, vendor: str
) -> dict[tuple[str, int], dict[str, Any]]:
    rows = await session.execute(
        select(Claim.id, Claim.source_claim_id, Claim.payer_rank, Claim.completed_at,
               Claim.payer_id, Claim.status)
        .where(Claim.practice_id == practice_id, Claim.location_id == location_id,
               Claim.source_vendor == vendor)
    )
    return {
        (source_id, rank): {"id": cid, "completed_at": done, "payer_id": payer, "status": status}
        for cid, source_id, rank, done, payer, status in rows
    }


async def _record_effects(
    session: AsyncSession, snapshot_id: int, existing: dict[tuple[str, int], dict[str, Any]],
    created_keys: set[tuple[str, int]], reopened: list[int], completed: list[int],
    payer_before: dict[int, int | None],
) -> None:
    """What this snapshot did to each claim, and what was there before, so that removing the
    snapshot (gateway.aging.removal) can undo exactly that."""
    by_id = {v["id"]: v for v in existing.values()}
    rows: list[dict[str, Any]] = [
        {"snapshot_id": snapshot_id, "claim_id": existing[k]["id"], "effect": "created",
         "previous": {}} for k in created_keys]
    for effect, ids in (("reopened", reopened), ("completed", completed)):
        for cid in ids:
            done = by_id[cid]["completed_at"]
            rows.append({"snapshot_id": snapshot_id, "claim_id": cid, "effect": effect,
                         "previous": {"status": by_id[cid]["status"],
                                      "completed_at": done.isoformat() if done else None}})
    rows.extend({"snapshot_id": snapshot_id, "claim_id": cid, "effect": "payer_changed",
                 "previous": {"payer_id": before}} for cid, before in payer_before.items())
    await bulk_insert(session, _table(AgingSnapshotEffect), rows)


async def _patients(
    session: AsyncSession, practice_id: int, claims: list[_Claim]
) -> dict[str, int]:
    """account -> patient id, creating the patients not seen before."""
    wanted: dict[str, AgingRow] = {}
    for c in claims:
        wanted.setdefault(c.first.patient_account[:80], c.first)
    if not wanted:
        return {}
    found = await _patient_ids(session, practice_id, list(wanted))
    missing = [a for a in wanted if a not in found]
    if missing:
        values = []
        for account in missing:
            row = wanted[account]
            first, last = _split_name(row.patient_name)
            values.append({"practice_id": practice_id, "account": account, "first_name": first,
                           "last_name": last, "dob": row.patient_dob})
        await bulk_insert(session, _table(Patient), values,
                          on_conflict_do_nothing=["practice_id", "account"])
        found.update(await _patient_ids(session, practice_id, missing))
    return found


async def _patient_ids(
    session: AsyncSession, practice_id: int, accounts: list[str]
) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(accounts), 500):
        chunk = accounts[i:i + 500]
        rows = await session.execute(
            select(Patient.account, Patient.id).where(
                Patient.practice_id == practice_id, Patient.account.in_(chunk))
        )
        out.update({account: pid for account, pid in rows.all()})
    return out


async def _reconcile(
    session: AsyncSession,
    practice_id: int,
    location_id: int,
    vendor: str,
    snapshot_id: int,
    export: AgingExport,
    claims: dict[tuple[str, int], _Claim],
    claim_ids: dict[tuple[str, int], int],
    payer_of: dict[str, int],
) -> set[int]:
    """Bring each claim's ledger to the file's figures; the ids of claims given new rows."""
    if not claim_ids:
        return set()
    per_line = export.grain == "claim_line"
    states = [(claims[k], cid) for k, cid in claim_ids.items()]
    ids = [cid for _, cid in states]

    of_location = (
        select(Claim.id).where(Claim.practice_id == practice_id,
                               Claim.location_id == location_id, Claim.source_vendor == vendor)
    )
    wanted = set(ids)

    async def load_lines() -> dict[int, dict[int, int]]:
        out: dict[int, dict[int, int]] = defaultdict(dict)  # claim -> line number -> line id
        result = await session.execute(
            select(ClaimLine.claim_id, ClaimLine.line_number, ClaimLine.id)
            .where(ClaimLine.claim_id.in_(of_location))
        )
        for cid, number, lid in result:
            if cid in wanted:
                out[cid][number] = lid
        return out

    lines = await load_lines()

    # targets per (claim, line number): one line per row for claim-line reports, else one
    targets: list[tuple[int, int, AgingRow, list[AgingRow]]] = []
    new_lines: list[dict[str, Any]] = []
    has_billed = "billed" in export.fields
    for c, cid in states:
        groups = [[r] for r in c.rows] if per_line else [c.rows]
        for number, group in enumerate(groups, start=1):
            targets.append((cid, number, group[0], group))
            if number not in lines[cid]:
                row = group[0]
                new_lines.append({
                    "claim_id": cid, "line_number": number,
                    "procedure_code": (row.procedure_code or "AGING").strip().upper()[:20],
                    "modifiers": [], "units": Decimal("1"),
                    "charge": _line_charge(group, has_billed),
                    "diagnosis_pointers": [], "copay": False,
                    "service_date": row.service_date,
                })
    if new_lines:
        await bulk_insert(session, _table(ClaimLine), new_lines)
        lines = await load_lines()
    fresh = {lines[row["claim_id"]][row["line_number"]] for row in new_lines}

    # the ledger as it is, per line
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    result = await session.execute(
        select(LedgerEntry.claim_line_id, LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.claim_id.in_(of_location))
        .group_by(LedgerEntry.claim_line_id, LedgerEntry.kind)
    )
    for lid, kind, total in result:
        sums[lid][kind] = total or ZERO

    has_paid = "paid" in export.fields
    entries: list[dict[str, Any]] = []
    recharged: dict[int, Decimal] = {}  # existing line -> its charge after this snapshot
    changed: set[int] = set()
    covered: set[int] = set()
    for cid, number, row, group in targets:
        lid = lines[cid][number]
        covered.add(lid)
        payer = payer_of.get(normalize_payer_name(row.payer_name))
        balance = sum((r.balance for r in group), ZERO)
        billed = sum((r.billed for r in group), ZERO)
        paid = sum((r.paid for r in group), ZERO)
        for kind, amount in _moves(sums.get(lid, {}), balance, billed if has_billed else None,
                                   paid if has_paid else None):
            if kind == "charge" and lid not in fresh:
                recharged[lid] = sums.get(lid, {}).get("charge", ZERO) + amount
            entries.append({
                "practice_id": practice_id, "claim_id": cid, "claim_line_id": lid, "kind": kind,
                "amount": amount, "payer_id": payer, "source_type": SOURCE_TYPE,
                "source_id": snapshot_id, "reason": "aging", "reverses_id": None,
            })
            changed.add(cid)
    # lines of a claim that the file no longer shows: nothing left to collect on them
    for _c, cid in states:
        for lid in lines[cid].values():
            if lid in covered:
                continue
            for kind, amount in _moves(sums.get(lid, {}), ZERO, None, None):
                entries.append({
                    "practice_id": practice_id, "claim_id": cid, "claim_line_id": lid,
                    "kind": kind, "amount": amount, "payer_id": None, "source_type": SOURCE_TYPE,
                    "source_id": snapshot_id, "reason": "aging", "reverses_id": None,
                })
                changed.add(cid)
    await bulk_insert(session, _table(LedgerEntry), entries)
    for lid, charge in recharged.items():  # the line's charge is what the ledger charged
        await session.execute(update(ClaimLine).where(ClaimLine.id == lid).values(charge=charge))
    return changed


def _line_charge(group: list[AgingRow], has_billed: bool) -> Decimal:
    """What a synthetic line charges, as `_moves` will charge it in the ledger: the export's
    billed amount when it has one, else the balance (so an ERA's billed total can match)."""
    billed = sum((r.billed for r in group), ZERO)
    if has_billed and billed > 0:
        return billed
    return max(sum((r.balance for r in group), ZERO), ZERO)


def _moves(
    current: dict[str, Decimal], balance: Decimal, billed: Decimal | None, paid: Decimal | None,
) -> list[tuple[str, Decimal]]:
    """Ledger rows that bring a line from `current` (sums per kind) to the file's figures:
    charges = billed and insurance paid = paid when the file states them, insurance balance =
    balance always (the rest is an insurance adjustment)."""
    charges = current.get("charge", ZERO)
    ins_paid = current.get("insurance_payment", ZERO)
    adjusted = current.get("insurance_adjustment", ZERO)
    transferred = current.get("transfer_to_patient", ZERO)
    d_charge = ZERO
    d_paid = ZERO
    if billed is not None and billed > 0:
        d_charge = billed - charges
    elif not charges and balance > 0:
        d_charge = balance  # no billed figure: the balance is what was charged
    if paid is not None and (paid or ins_paid):
        d_paid = paid - ins_paid
    ins_balance_after = (charges + d_charge) - (ins_paid + d_paid) - adjusted - transferred
    d_adjust = ins_balance_after - balance
    if not billed and not paid and not charges and not ins_paid and balance < 0:
        # a credit with nothing else known: an overpayment
        d_paid, d_adjust = d_paid + d_adjust, ZERO
    out = []
    if d_charge:
        out.append(("charge", d_charge))
    if d_paid:
        out.append(("insurance_payment", d_paid))
    if d_adjust:
        out.append(("insurance_adjustment", d_adjust))
    return out


# --- reading back ------------------------------------------------------------------------------


async def list_snapshots(
    session: AsyncSession, practice_id: int, location_id: int, limit: int = 50
) -> list[AgingSnapshot]:
    await get_location(session, practice_id, location_id)
    return list(
        (
            await session.scalars(
                select(AgingSnapshot)
                .where(AgingSnapshot.practice_id == practice_id,
                       AgingSnapshot.location_id == location_id)
                .order_by(AgingSnapshot.id.desc()).limit(limit)
            )
        ).all()
    )
