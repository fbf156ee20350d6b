"""A fetched file that fails to import is recorded by hash, size, name and remote mtime (never
stored whole) and is not downloaded again until it changes. Against the real sshd."""

from __future__ import annotations

import logging
import os

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.connectors import create_connector, load_connector
from gateway.clearinghouse.fetching import fetch_and_ingest
from gateway.clearinghouse.models import ImportedFileChunk
from gateway.db.engine import make_sessionmaker
from gateway.db.models import ImportedFile
from tests.clearinghouse.conftest import Remote


async def test_a_refused_file_is_not_downloaded_again_until_it_changes(
    engine: AsyncEngine, session: AsyncSession, practice, remote: Remote,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    junk = remote.drop("era", "junk.835", b"not an ERA at all\n" * 500)
    os.utime(junk, (1_900_000_000, 1_900_000_000))
    cid = await create_connector(session, practice.practice_id, "clearinghouse_sftp", "chjunk",
                                 remote.config_dict())
    await session.commit()
    connector = await load_connector(session, practice.practice_id, cid)
    sm = make_sessionmaker(engine)

    first = await fetch_and_ingest(sm, connector, "era", create_deposits=False)
    assert (first.seen, first.imported, len(first.failed)) == (1, 0, 1), first
    session.expire_all()
    (row,) = (await session.scalars(select(ImportedFile).where(
        ImportedFile.practice_id == practice.practice_id))).all()
    assert (row.name, row.status, row.size, row.remote_mtime) == (
        "junk.835", "rejected", junk.stat().st_size, 1_900_000_000)
    assert await session.scalar(select(func.count()).select_from(ImportedFileChunk).where(
        ImportedFileChunk.imported_file_id == row.id)) == 0  # not stored whole

    with caplog.at_level(logging.INFO, logger="gateway.transport"):
        again = await fetch_and_ingest(sm, connector, "era", create_deposits=False)
    assert (again.seen, again.failed) == (0, []), again  # listed, not downloaded
    assert any("not downloading junk.835 again" in r.getMessage() for r in caplog.records)

    os.utime(junk, (1_900_000_060, 1_900_000_060))  # it changed: fetched and judged again
    changed = await fetch_and_ingest(sm, connector, "era", create_deposits=False)
    assert (changed.seen, changed.imported, len(changed.failed)) == (1, 0, 1), changed
    assert "rejected before" in changed.failed[0]["why"]
