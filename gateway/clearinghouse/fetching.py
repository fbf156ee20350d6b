"""Fetching a connector's ERAs or acknowledgments: each file ingested in its own
transaction, its after-download action applied after the commit; one odd file never fails
the run. Files refused before are not downloaded again while their name, size and mtime stay
the same (`gateway.core.transport.base.REFUSED_BEFORE`)."""

from __future__ import annotations

import logging
import os
from typing import Any, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.clearinghouse.service import _capable, ingest_ack_file, ingest_era_file
from gateway.core.errors import Failure, UserError, raised_at
from gateway.core.hooks import get_hooks
from gateway.core.hookspecs import FetchOutcome
from gateway.core.records import Connector, RemoteFile
from gateway.core.transport.base import REFUSED_BEFORE
from gateway.db.models import ImportedFile

log = logging.getLogger("gateway.clearinghouse")


class RunResult(msgspec.Struct, kw_only=True):
    """`gateway connectors run --json` for the fetch actions. new = imported + failed."""

    seen: int = 0
    new: int = 0
    imported: int = 0
    duplicates: int = 0
    failed: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    files: list[dict[str, Any]] = []


async def fetch_and_ingest(
    sessionmaker: async_sessionmaker[AsyncSession],
    connector: Connector,
    kind: Literal["era", "ack"],
    *,
    create_deposits: bool = True,
) -> RunResult:
    """Fetch ERAs or acknowledgments through the connector's plugin and ingest each file in
    its own transaction; after each commit, apply the after-download action."""
    hooks = get_hooks()
    _capable(connector, *(("fetch_eras", "fetch ERAs") if kind == "era" else
                          ("fetch_acknowledgments", "fetch acknowledgments")))
    async with sessionmaker() as session:
        refused = await _refused_files(session, connector.id, kind)
    token = REFUSED_BEFORE.set(refused)  # the transport skips these before downloading
    try:
        files = await (hooks.fetch_eras(connector) if kind == "era"
                       else hooks.fetch_acknowledgments(connector))
    finally:
        REFUSED_BEFORE.reset(token)
    if files is None:
        raise Failure(f"no plugin answered for connector {connector.name!r} ({connector.plugin})")
    result = RunResult(seen=len(files))
    try:
        for f in files:
            outcome = await _ingest_one(sessionmaker, connector, kind, f, result, create_deposits)
            try:
                await hooks.finish_fetch(connector, f, outcome)
            except Exception as exc:  # one odd file never fails the run
                result.warnings.append({"name": f.name, "why": f"after-download action: {exc}"})
    finally:
        for f in files:
            try:
                os.unlink(f.local_path)
            except FileNotFoundError:
                pass
    result.new = result.imported + len(result.failed)
    log.info("connector %s %s: seen %d new %d imported %d duplicates %d failed %d",
             connector.id, kind, result.seen, result.new, result.imported, result.duplicates,
             len(result.failed))
    return result


async def _refused_files(session: AsyncSession, connector_id: int,
                         kind: str) -> frozenset[tuple[str, int, int]]:
    """(name, size, mtime) of the connector's files refused before: not downloaded again
    until one of the three changes."""
    rows = await session.execute(
        select(ImportedFile.name, ImportedFile.size, ImportedFile.remote_mtime).where(
            ImportedFile.connector_id == connector_id, ImportedFile.kind == kind,
            ImportedFile.status == "rejected", ImportedFile.remote_mtime.is_not(None)))
    return frozenset((name, size, mtime) for name, size, mtime in rows)


async def _ingest_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    connector: Connector,
    kind: str,
    f: RemoteFile,
    result: RunResult,
    create_deposits: bool,
) -> FetchOutcome:
    try:
        async with sessionmaker() as session:
            async with session.begin():
                if kind == "era":
                    r = await ingest_era_file(session, connector.practice_id, f, f.name,
                                              connector.id, create_deposits=create_deposits)
                else:
                    r = await ingest_ack_file(session, connector.practice_id, f, f.name,
                                              connector.id)
    except (UserError, Failure) as exc:
        result.failed.append({"name": f.name, "why": str(exc)})
        return "failed"
    except Exception as exc:  # a database error: this file fails, the others go on
        # its type and where only: a database error's text carries the statement and values
        log.error("ingest of %s failed: %s at %s", f.name, type(exc).__name__, raised_at(exc))
        result.failed.append({"name": f.name, "why": f"{type(exc).__name__} (see the log)"})
        return "failed"
    result.files.append(
        {"name": f.name, "status": r.status, "imported_file_id": r.imported_file_id}
    )
    if r.status == "imported":
        result.imported += 1
        return "imported"
    if r.status == "duplicate":
        result.duplicates += 1
        return "duplicate"
    result.failed.append({"name": f.name, "why": r.why or "rejected"})
    return "failed"
