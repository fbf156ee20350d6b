"""Running practice data in: a connector's pull, or a file a person hands over.

Both are read a chunk at a time in worker threads (never on the event loop) and written
through `service.apply_practice_data` in the caller's one transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.connectors import load_connector
from gateway.core.errors import Failure, UserError
from gateway.core.hooks import get_hooks
from gateway.core.plugins import plugin_info
from gateway.core.progress import OnProgress
from gateway.core.records import PracticeFile, PracticeKind
from gateway.db.models import ImportedFile
from gateway.ledger.states import ClaimOrigin
from gateway.practice.layout import CANONICAL
from gateway.practice.service import PracticeSummary, apply_practice_data
from gateway.practice.stream import FileSource, StreamedPracticeData


async def pull_connector(session: AsyncSession, practice_id: int | None,
                         connector_ref: int | str,
                         on_progress: OnProgress | None = None) -> PracticeSummary:
    """Pull the PMS's newest complete export files through the connector's plugin and write
    them (files older than the last ones imported from this connector are not read again)."""
    connector = await load_connector(session, practice_id, connector_ref)
    if "practice_data" not in plugin_info(connector.plugin).capabilities:
        raise UserError(f"connector {connector.name!r} ({connector.plugin}) cannot pull "
                        "practice data")
    since = await last_modified(session, connector.id)
    data = await get_hooks().pull_practice_data(connector, since)
    if data is None:
        raise Failure(f"plugin {connector.plugin!r} did not answer the practice-data pull")
    try:
        return await apply_practice_data(session, connector.practice_id, data,
                                         origin=ClaimOrigin.PMS, connector_id=connector.id,
                                         on_progress=on_progress)
    finally:
        if isinstance(data, StreamedPracticeData):
            await asyncio.to_thread(data.discard)


async def last_modified(session: AsyncSession, connector_id: int) -> dt.datetime | None:
    """The newest modification time among the files this connector's pulls imported."""
    summaries = (await session.scalars(
        select(ImportedFile.summary).where(ImportedFile.connector_id == connector_id,
                                           ImportedFile.kind.like("practice_%"))
    )).all()
    stamps = [dt.datetime.fromisoformat(s["modified_at"]) for s in summaries
              if s and s.get("modified_at")]
    return max(stamps, default=None)


async def import_file(session: AsyncSession, practice_id: int, kind: PracticeKind, name: str,
                      content: bytes,
                      on_progress: OnProgress | None = None) -> PracticeSummary:
    """Import one file of `kind` by hand (CSV, XLSX, JSON in the canonical columns): all of
    it or, with any problem, nothing. It is read a chunk at a time in worker threads."""
    data = StreamedPracticeData(
        vendor="canonical",
        sources=[FileSource(kind=kind, name=name, layout=CANONICAL.files[kind],
                            content=content)],
        files=[PracticeFile(kind=kind, name=name, size=len(content),
                            sha256=hashlib.sha256(content).hexdigest())],
    )
    return await apply_practice_data(session, practice_id, data, origin=ClaimOrigin.IMPORT,
                                     on_progress=on_progress)
