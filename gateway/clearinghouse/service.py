"""Clearinghouse services: ingest fetched files, and run a connector action end to end.

`ingest_era_file` / `ingest_ack_file` take a session and never commit (the caller's
transaction decides). The ImportedFile row is inserted with `INSERT ... ON CONFLICT DO
NOTHING` on (practice, kind, sha256): the unique constraint, not a check, decides that the
same content is imported once, also when two gateway processes fetch it at the same moment.

`run_connector_action` is the orchestrator the CLI and the scheduled jobs call: it fetches
through the plugin in a worker thread (paramiko never blocks the event loop), ingests each
file in its own transaction, and only after that transaction committed asks the plugin to
apply the after-download action (`gateway_finish_fetch`). A fetch that loses its connection
raises before anything is ingested: nothing of that run is imported, the next poll retries.

Posting hook: for a newly imported ERA, `ingest_era_file` calls
`gateway.posting.era_import.create_deposits_from_era(session, practice_id, imported_file_id,
path, file_name=name)` in the same transaction, so the file row and its deposits commit (or
roll back) together.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.admin.connectors import load_connector
from gateway.core.errors import UserError
from gateway.core.hooks import get_hooks
from gateway.core.money import format_money
from gateway.core.plugins import plugin_info
from gateway.core.records import Connector, RemoteFile
from gateway.db.models import ImportedFile
from gateway.db.upsert import insert_if_absent

from .models import ImportedFileChunk

log = logging.getLogger("gateway.clearinghouse")

CHUNK = 1024 * 1024
MAX_LISTED = 200  # transaction sets / problems listed in a summary (counts are always whole)
ACTIONS = ("fetch-eras", "fetch-acks", "submit-claims")


class IngestResult(msgspec.Struct, kw_only=True):
    """What became of one file. `status`: imported (new content, stored), duplicate (this
    content was imported before, `imported_file_id` is that row), rejected (not a readable
    file of its kind: `why` says where and why; recorded so it shows in the file list)."""

    imported_file_id: int | None
    name: str
    sha256: str
    size: int
    status: Literal["imported", "duplicate", "rejected"]
    why: str | None = None
    summary: dict[str, Any] = {}
    posting: Any = None


# -- reading files ------------------------------------------------------------------------------


def _hash_file(path: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


async def _describe(kind: str, source: RemoteFile | str | os.PathLike, name: str | None,
                    connector_id: int | None) -> FileRef:
    """What to ingest: its local path, name, sha256, size (and remote mtime when fetched)."""
    if isinstance(source, RemoteFile):
        mtime = int(source.modified_at.timestamp()) if source.modified_at else None
        return FileRef(kind, source.local_path, name or source.name, source.sha256,
                       source.size, connector_id, mtime)
    path = os.fspath(source)
    if not os.path.isfile(path):
        raise UserError(f"no such file: {path}")
    digest, size = await asyncio.to_thread(_hash_file, path)
    return FileRef(kind, path, name or os.path.basename(path), digest, size, connector_id)


def era_summary(path: str, name: str) -> dict[str, Any]:
    """Parse summary of an 835 file, streaming: payers, trace numbers, totals, problems.
    Raises X12Error (a UserError, located) when the file is not a readable 835."""
    from gateway.core.x12.reader835 import iter_remittances

    transactions: list[dict[str, Any]] = []
    problems: list[str] = []
    count = claims = lines = unbalanced = 0
    payment_total = paid_total = charge_total = plb_total = Decimal("0.00")
    payers: dict[str, str] = {}
    for rem in iter_remittances(path, name=name):
        count += 1
        signed = rem.amount if rem.credit_debit != "D" else -rem.amount
        payment_total += signed
        plb_total += rem.provider_adjustment_total()
        claims += len(rem.claims)
        for c in rem.claims:
            paid_total += c.paid
            charge_total += c.charge
            lines += len(c.lines)
        payers.setdefault(rem.payer.id or rem.payer.name, rem.payer.name)
        if not rem.balanced:
            unbalanced += 1
            for p in rem.problems:
                if len(problems) < MAX_LISTED:
                    problems.append(f"transaction {rem.control_number}: {p}")
        if len(transactions) < MAX_LISTED:
            transactions.append({
                "control_number": rem.control_number,
                "payer_name": rem.payer.name,
                "payer_id": rem.payer.id,
                "trace_number": rem.trace_number,
                "amount": format_money(signed),
                "method": rem.method,
                "payment_date": rem.payment_date.isoformat() if rem.payment_date else None,
                "claims": len(rem.claims),
                "balanced": rem.balanced,
            })
    if count == 0:
        from gateway.core.x12.errors import X12Error

        raise X12Error("no 835 transaction set (ST*835) in the file", file=name)
    return {
        "type": "835",
        "transactions": count,
        "claims": claims,
        "service_lines": lines,
        "payment_total": format_money(payment_total),
        "claim_paid_total": format_money(paid_total),
        "charge_total": format_money(charge_total),
        "provider_adjustment_total": format_money(plb_total),
        "payers": [{"id": k if k != v else "", "name": v} for k, v in payers.items()][:MAX_LISTED],
        "trace_numbers": [t["trace_number"] for t in transactions if t["trace_number"]],
        "payments": transactions,
        "unbalanced_transactions": unbalanced,
        "problems": problems,
        "listed_up_to": MAX_LISTED,
    }


# -- storing files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileRef:
    """A file being ingested, and the connector that fetched it (None: given by hand)."""

    kind: str
    path: str
    name: str
    digest: str
    size: int
    connector_id: int | None = None
    mtime: int | None = None  # the remote file's, whole seconds: a refused one is not fetched
    # again while its name, size and mtime stay the same (`refused_before`)


async def _record(session: AsyncSession, practice_id: int, ref: FileRef, status: str,
                  summary: dict[str, Any]) -> tuple[int | None, ImportedFile | None]:
    """Insert the file row (the unique constraint decides) and, when new and imported, its
    content. A rejected file is recorded by hash and size only: its bytes (a 1 GiB junk file,
    say) are never stored, and the hash still recognises it when it comes again."""
    new_id = await insert_if_absent(
        session,
        ImportedFile.__table__,  # type: ignore[arg-type]
        {
            "practice_id": practice_id,
            "connector_id": ref.connector_id,
            "kind": ref.kind,
            "name": ref.name[:400],
            "sha256": ref.digest,
            "size": ref.size,
            "remote_mtime": ref.mtime,
            "status": status,
            "summary": summary,
        },
        ["practice_id", "kind", "sha256"],
    )
    if new_id is None:
        existing = (
            await session.execute(
                select(ImportedFile).where(
                    ImportedFile.practice_id == practice_id,
                    ImportedFile.kind == ref.kind,
                    ImportedFile.sha256 == ref.digest,
                )
            )
        ).scalar_one()
        return None, existing
    if status == "imported":
        await store_content(session, new_id, ref.path)
    return new_id, None


async def store_content(session: AsyncSession, imported_file_id: int, path: str) -> None:
    """Keep the file's bytes in the database, 1 MiB at a time (never the whole file)."""
    with open(path, "rb") as fh:
        seq = 0
        while chunk := fh.read(CHUNK):
            await session.execute(
                insert(ImportedFileChunk).values(
                    imported_file_id=imported_file_id, seq=seq, data=chunk
                )
            )
            seq += 1


async def iter_content(session: AsyncSession, imported_file_id: int) -> AsyncIterator[bytes]:
    """The stored bytes of an imported file, chunk by chunk."""
    seqs = (
        await session.scalars(
            select(ImportedFileChunk.seq)
            .where(ImportedFileChunk.imported_file_id == imported_file_id)
            .order_by(ImportedFileChunk.seq)
        )
    ).all()
    for seq in seqs:
        chunk = await session.execute(
            select(ImportedFileChunk.data).where(
                ImportedFileChunk.imported_file_id == imported_file_id, ImportedFileChunk.seq == seq
            )
        )
        yield chunk.scalar_one()


async def spool_content(session: AsyncSession, practice_id: int, imported_file_id: int) -> str:
    """Write a stored file back to a temporary file (the caller removes it); its path."""
    row = await session.get(ImportedFile, imported_file_id)
    if row is None or row.practice_id != practice_id:
        from gateway.core.errors import NotFound

        raise NotFound(f"no imported file {imported_file_id}")
    fd, tmp = tempfile.mkstemp(prefix=f"gateway-{row.kind}-", suffix=".stored")
    with os.fdopen(fd, "wb") as out:
        async for chunk in iter_content(session, imported_file_id):
            out.write(chunk)
    return tmp


def _posting_entry() -> Any:
    """`create_deposits_from_era` of the posting domain, or None when it is not installed."""
    try:
        module = importlib.import_module("gateway.posting.era_import")
    except ModuleNotFoundError as exc:
        if exc.name in ("gateway.posting", "gateway.posting.era_import"):
            return None
        raise
    return getattr(module, "create_deposits_from_era", None)


async def _parse_and_record(
    session: AsyncSession, practice_id: int, ref: FileRef, parse: Any, summarize: Any,
) -> tuple[IngestResult, Any]:
    """Parse a file in a worker thread and record it by content hash: a file that does not
    read is recorded as rejected (with its located error), one seen before is reported as
    such. Returns the result and what `parse` returned (None unless newly imported)."""
    parsed: Any = None
    why: str | None = None
    status: Literal["imported", "rejected"]
    try:
        parsed = await asyncio.to_thread(parse)
        summary, status = summarize(parsed), "imported"
    except UserError as exc:
        why, summary, status = str(exc), {"error": str(exc)}, "rejected"
    new_id, existing = await _record(session, practice_id, ref, status, summary)
    if existing is not None:
        return _known(existing, ref.name, ref.digest, ref.size), None
    result = IngestResult(imported_file_id=new_id, name=ref.name, sha256=ref.digest,
                          size=ref.size, status=status, why=why, summary=summary)
    if status != "imported":
        log.info("%s file %s (%s): %s", ref.kind, new_id, ref.name, status)
    return result, parsed if status == "imported" else None


async def ingest_era_file(
    session: AsyncSession,
    practice_id: int,
    remote_file_or_path: RemoteFile | str | os.PathLike,
    name: str | None = None,
    connector_id: int | None = None,
    *,
    create_deposits: bool = True,
) -> IngestResult:
    """Record one ERA file by content hash with its parse summary, store its bytes, and (when
    new and readable) create its deposits in the same transaction. Never commits."""
    ref = await _describe("era", remote_file_or_path, name, connector_id)
    path, name = ref.path, ref.name
    result, _ = await _parse_and_record(
        session, practice_id, ref, lambda: era_summary(path, name), lambda summary: summary)
    if result.status != "imported" or result.imported_file_id is None:
        return result
    new_id = result.imported_file_id
    if create_deposits:
        create = _posting_entry()
        if create is not None:
            posted = await create(session, practice_id, new_id, path, file_name=name)
            result.posting = posted
            summary = {**result.summary, "posting": _posting_summary(posted)}
            await session.execute(
                update(ImportedFile).where(ImportedFile.id == new_id).values(summary=summary)
            )
            result.summary = summary
    log.info("era file %s (%s): imported", new_id, name)
    return result


def _posting_summary(posted: Any) -> dict[str, Any]:
    deposits = getattr(posted, "deposits", None) or []
    return {
        "deposits": [getattr(d, "id", None) for d in deposits],
        "claims": getattr(posted, "claims", 0),
        "auto_posted": list(getattr(posted, "auto_posted", []) or []),
    }


def _known(existing: ImportedFile, name: str, digest: str, size: int) -> IngestResult:
    if existing.status == "rejected":
        why = (existing.summary or {}).get("error") or "rejected"
        return IngestResult(imported_file_id=existing.id, name=name, sha256=digest, size=size,
                            status="rejected", why=f"rejected before (file {existing.id}): {why}",
                            summary=existing.summary or {})
    return IngestResult(imported_file_id=existing.id, name=name, sha256=digest, size=size,
                        status="duplicate", summary=existing.summary or {})


async def ingest_ack_file(
    session: AsyncSession,
    practice_id: int,
    remote_file_or_path: RemoteFile | str | os.PathLike,
    name: str | None = None,
    connector_id: int | None = None,
) -> IngestResult:
    """Record one acknowledgment file (999 or 277CA) and attach it to its claim batches by
    control numbers; rejected claims are flagged on the claim. Never commits."""
    from gateway.clearinghouse.acks import apply_acknowledgment, read_acknowledgment

    ref = await _describe("ack", remote_file_or_path, name, connector_id)
    path, name = ref.path, ref.name
    result, parsed = await _parse_and_record(
        session, practice_id, ref, lambda: read_acknowledgment(path, name),
        lambda parsed: parsed.summary())
    new_id = result.imported_file_id
    if result.status != "imported" or new_id is None:
        return result
    if parsed is not None:
        attached = await apply_acknowledgment(session, practice_id, new_id, parsed)
        summary = {**result.summary, "attached": attached}
        await session.execute(
            update(ImportedFile).where(ImportedFile.id == new_id).values(summary=summary)
        )
        result.summary = summary
    log.info("ack file %s (%s): imported", new_id, name)
    return result


# -- running a connector ------------------------------------------------------------------------


async def _load(
    sessionmaker: async_sessionmaker[AsyncSession], practice_id: int | None, ref: int | str
) -> Connector:
    async with sessionmaker() as session:
        return await load_connector(session, practice_id, ref)


def _capable(connector: Connector, capability: str, what: str) -> None:
    info = plugin_info(connector.plugin)
    if capability not in info.capabilities:
        raise UserError(f"connector {connector.name!r} ({connector.plugin}) cannot {what}")


async def run_connector_action(
    sessionmaker: async_sessionmaker[AsyncSession],
    practice_id: int | None,
    connector_ref: int | str,
    action: str,
) -> dict[str, Any]:
    """Run `fetch-eras`, `fetch-acks` or `submit-claims` for a connector (by id or name)."""
    if action not in ACTIONS:
        raise UserError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    connector = await _load(sessionmaker, practice_id, connector_ref)
    if action == "submit-claims":
        from gateway.clearinghouse.sending import submit_claims

        return msgspec.to_builtins(await submit_claims(sessionmaker, connector))
    from gateway.clearinghouse.fetching import fetch_and_ingest

    kind: Literal["era", "ack"] = "era" if action == "fetch-eras" else "ack"
    return msgspec.to_builtins(await fetch_and_ingest(sessionmaker, connector, kind))


async def check_connector(
    sessionmaker: async_sessionmaker[AsyncSession], practice_id: int | None, ref: int | str
) -> dict[str, Any]:
    connector = await _load(sessionmaker, practice_id, ref)
    check = await get_hooks().check_connector(connector)
    if check is None:
        raise UserError(f"connector {connector.name!r} ({connector.plugin}) has no check")
    return {"connector": connector.name, "plugin": connector.plugin, **msgspec.to_builtins(check)}
