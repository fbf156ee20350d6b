"""ERA and acknowledgment ingest end to end: a real sshd, the plugin, the core service, the
database. Idempotency by content, after-download only after commit, faults."""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.connectors import create_connector, load_connector
from gateway.clearinghouse.fetching import fetch_and_ingest
from gateway.clearinghouse.models import ImportedFileChunk
from gateway.clearinghouse.service import (
    ingest_era_file,
    iter_content,
    run_connector_action,
)
from gateway.core.errors import Failure
from gateway.core.transport.base import AuthFailed, ConnectionLost
from gateway.core.transport.sftp import SftpTransport
from gateway.core.x12.generate835 import generate_835, write_835
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.models import ImportedFile
from tests.clearinghouse.conftest import Remote, make_remote
from tests.support.sshd import SshServer


def era(seed: int, claims: int = 3) -> bytes:
    return generate_835(claims=claims, seed=seed)[0].encode()


async def _connector(session: AsyncSession, practice_id: int, remote: Remote, **cfg) -> int:
    cid = await create_connector(session, practice_id, "clearinghouse_sftp",
                                 f"ch{os.urandom(3).hex()}", remote.config_dict(**cfg))
    await session.commit()
    return cid


async def _files(session: AsyncSession, practice_id: int) -> list[ImportedFile]:
    session.expire_all()
    return list((await session.scalars(
        select(ImportedFile).where(ImportedFile.practice_id == practice_id)
        .order_by(ImportedFile.id))).all())


async def test_fetch_new_then_nothing_then_renamed_copy(
    engine: AsyncEngine, session: AsyncSession, practice, remote: Remote, spool: Path
):
    one, two = era(1), era(2)
    remote.drop("era", "first.835", one)
    remote.drop("era", "second.835", two)
    cid = await _connector(session, practice.practice_id, remote)
    sm = make_sessionmaker(engine)

    r1 = await run_connector_action(sm, practice.practice_id, cid, "fetch-eras")
    assert (r1["seen"], r1["new"], r1["imported"], r1["duplicates"], r1["failed"]) == (
        2, 2, 2, 0, [])
    rows = await _files(session, practice.practice_id)
    assert [(f.name, f.kind, f.status, f.size) for f in rows] == [
        ("first.835", "era", "imported", len(one)), ("second.835", "era", "imported", len(two))]
    expected = generate_835(claims=3, seed=1)[1]
    summary = rows[0].summary
    assert summary["type"] == "835"
    assert summary["payment_total"] == expected["totals"]["payment_total"]
    assert summary["claims"] == 3
    assert summary["trace_numbers"] == [t["trn02"] for t in expected["transactions"]]
    assert summary["payers"][0]["name"] == expected["transactions"][0]["payer_name"]
    assert "problems" in summary and summary["unbalanced_transactions"] == 0
    stored = b"".join([c async for c in iter_content(session, rows[0].id)])
    assert stored == one
    assert list(spool.iterdir()) == []  # temporary files removed

    r2 = await run_connector_action(sm, practice.practice_id, cid, "fetch-eras")
    assert (r2["seen"], r2["new"], r2["imported"], r2["duplicates"]) == (2, 0, 0, 2)

    remote.drop("era", "renamed-copy.835", one)
    r3 = await run_connector_action(sm, practice.practice_id, cid, "fetch-eras")
    assert (r3["seen"], r3["new"], r3["imported"], r3["duplicates"]) == (3, 0, 0, 3)
    assert len(await _files(session, practice.practice_id)) == 2


async def test_after_download_applied_only_after_commit(
    engine: AsyncEngine, session: AsyncSession, practice, remote: Remote,
    monkeypatch: pytest.MonkeyPatch,
):
    remote.drop("era", "a.835", era(3))
    remote.drop("era", "b.835", era(4))
    cid = await _connector(session, practice.practice_id, remote, after_download="move")
    sm = make_sessionmaker(engine)
    seen_at_finish: list[tuple[str, int]] = []
    from gateway.clearinghouse import fetching
    from gateway.core.hooks import GatewayHooks
    from gateway.core.plugins import get_plugin_manager

    real = get_plugin_manager

    class Spy:
        def __init__(self, pm):
            self.pm = pm

        @property
        def hook(self):
            pm = self.pm

            class H:
                def __getattr__(self, name):
                    hook = getattr(pm.hook, name)
                    if name != "gateway_finish_fetch":
                        return hook

                    def finish(**kw):
                        # a separate connection sees the row committed at this point
                        async def count():
                            eng = make_engine(str(engine.url))
                            async with make_sessionmaker(eng)() as s:
                                n = await s.scalar(select(func.count()).select_from(ImportedFile)
                                                   .where(ImportedFile.name == kw["file"].name))
                            await eng.dispose()
                            return n

                        seen_at_finish.append((kw["file"].name, asyncio.run(count())))
                        return hook(**kw)
                    return finish
            return H()

    monkeypatch.setattr(fetching, "get_hooks", lambda: GatewayHooks(Spy(real())))
    result = await run_connector_action(sm, practice.practice_id, cid, "fetch-eras")
    assert result["imported"] == 2
    assert seen_at_finish == [("a.835", 1), ("b.835", 1)]
    assert list(remote.era.iterdir()) == []
    assert sorted(p.name for p in remote.archive.iterdir()) == ["a.835", "b.835"]


async def test_bad_file_is_rejected_and_left_in_place(
    engine: AsyncEngine, session: AsyncSession, practice, remote: Remote
):
    remote.drop("era", "good.835", era(5))
    remote.drop("era", "junk.835", b"this is not an 835 at all")
    cid = await _connector(session, practice.practice_id, remote, after_download="delete")
    sm = make_sessionmaker(engine)
    r = await run_connector_action(sm, practice.practice_id, cid, "fetch-eras")
    assert (r["seen"], r["new"], r["imported"]) == (2, 2, 1)
    (failed,) = r["failed"]
    assert failed["name"] == "junk.835" and "junk.835" in failed["why"]
    assert [p.name for p in remote.era.iterdir()] == ["junk.835"]  # left for a human
    rows = {f.name: f for f in await _files(session, practice.practice_id)}
    assert rows["junk.835"].status == "rejected" and rows["junk.835"].summary["error"]
    assert rows["junk.835"].size == len(b"this is not an 835 at all")
    # recorded by hash and size only: its bytes are not kept (the good file's are)
    assert [c async for c in iter_content(session, rows["junk.835"].id)] == []
    assert b"".join([c async for c in iter_content(session, rows["good.835"].id)])
    again = await run_connector_action(sm, practice.practice_id, cid, "fetch-eras")
    # unchanged (name, size, mtime): not downloaded again (tests/clearinghouse/
    # test_refused_files.py: fetched again once it changes)
    assert (again["seen"], again["imported"], again["failed"]) == (0, 0, [])


async def test_server_killed_mid_transfer_imports_nothing_next_run_succeeds(
    engine: AsyncEngine, session: AsyncSession, practice, fresh_sshd: SshServer,
    monkeypatch: pytest.MonkeyPatch, spool: Path,
):
    remote = make_remote(fresh_sshd)
    remote.drop("era", "a.835", era(6))
    write_835(str(remote.era / "z-big.835"), claims=20_000, seed=9)
    os.utime(remote.era / "z-big.835", (2_000_000_000, 2_000_000_000))  # listed last
    cid = await _connector(session, practice.practice_id, remote, after_download="delete")
    sm = make_sessionmaker(engine)
    killed = []

    def kill_midway(name: str, done: int, total: int) -> None:
        if name == "z-big.835" and done >= total // 4 and not killed:
            killed.append(done)
            fresh_sshd.kill()

    monkeypatch.setattr(SftpTransport, "progress", staticmethod(kill_midway))
    connector = await load_connector(session, practice.practice_id, cid)
    with pytest.raises(ConnectionLost, match="z-big.835"):
        await fetch_and_ingest(sm, connector, "era", create_deposits=False)
    assert killed
    assert await _files(session, practice.practice_id) == []
    assert list(spool.iterdir()) == []
    assert sorted(p.name for p in remote.era.iterdir()) == ["a.835", "z-big.835"]

    monkeypatch.setattr(SftpTransport, "progress", None)
    fresh_sshd.start()
    r = await fetch_and_ingest(sm, connector, "era", create_deposits=False)
    assert (r.seen, r.imported, r.failed) == (2, 2, [])
    assert list(remote.era.iterdir()) == []
    assert [f.name for f in await _files(session, practice.practice_id)] == ["a.835", "z-big.835"]


async def test_wrong_password_and_missing_folder_are_clear(
    engine: AsyncEngine, session: AsyncSession, practice, remote: Remote, sshd: SshServer
):
    sm = make_sessionmaker(engine)
    cid = await _connector(session, practice.practice_id, remote, private_key=None,
                           password="wrong")
    with pytest.raises(AuthFailed, match=f"gwsftp@127.0.0.1:{sshd.port}"):
        await run_connector_action(sm, practice.practice_id, cid, "fetch-eras")
    cid2 = await _connector(session, practice.practice_id, remote, ack_dir="gone")
    with pytest.raises(Failure, match="folder 'gone' not found"):
        await run_connector_action(sm, practice.practice_id, cid2, "fetch-acks")


async def test_event_loop_not_blocked_during_download(
    engine: AsyncEngine, session: AsyncSession, practice, remote: Remote
):
    """paramiko runs in a worker thread: the loop keeps ticking while a big file downloads."""
    with (remote.era / "big.835").open("wb") as fh:
        fh.write(os.urandom(20 * 1024 * 1024))
    cid = await _connector(session, practice.practice_id, remote)
    connector = await load_connector(session, practice.practice_id, cid)
    sm = make_sessionmaker(engine)
    ticks = 0
    done = asyncio.Event()

    async def ticker():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    result = await fetch_and_ingest(sm, connector, "era")
    done.set()
    await task
    assert result.seen == 1 and result.failed  # random bytes: rejected, but fetched
    assert ticks > 100


def _rss() -> tuple[int, int]:
    """(current RSS, peak RSS since the last reset) of this process, in bytes."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    kib = lambda k: int(fields[k].split()[0]) * 1024  # noqa: E731
    return kib("VmRSS"), kib("VmHWM")


async def test_50mb_era_is_ingested_in_bounded_memory(
    engine: AsyncEngine, session: AsyncSession, practice, remote: Remote
):
    """Fetch over SFTP, hash, parse summary and store a 50 MB ERA: the process's peak RSS
    (reset through /proc/self/clear_refs) grows by less than the file's size."""
    part, expected = generate_835(claims=12_500, seed=11)
    path = remote.era / "big.835"
    with path.open("wb") as fh:  # ten interchanges in one file
        for _ in range(10):
            fh.write(part.encode())
    size = path.stat().st_size
    assert size > 50 * 1000 * 1000, size
    cid = await _connector(session, practice.practice_id, remote)
    connector = await load_connector(session, practice.practice_id, cid)
    sm = make_sessionmaker(engine)
    del part
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS (VmHWM)
    before, _ = _rss()
    result = await fetch_and_ingest(sm, connector, "era", create_deposits=False)
    _, peak = _rss()
    assert result.imported == 1, result.failed
    (row,) = await _files(session, practice.practice_id)
    assert row.size == size
    assert row.summary["claims"] == 125_000 and row.summary["transactions"] == 130
    paid = sum((Decimal(t["claim_paid_total"]) for t in expected["transactions"]), Decimal(0))
    assert Decimal(row.summary["claim_paid_total"]) == paid * 10
    chunks = await session.scalar(select(func.count()).select_from(ImportedFileChunk)
                                  .where(ImportedFileChunk.imported_file_id == row.id))
    assert chunks == -(-size // (1024 * 1024))
    # The 835 reader holds one parsed transaction set (1000 claims, ~25 MB of Structs) at a
    # time; the bytes are never held whole: the peak stays below ONE copy of the file.
    assert peak - before < size, f"peak RSS grew {peak - before} bytes for a {size}-byte ERA"


async def test_two_gateways_on_postgres_import_each_file_once(
    pg_url: str, remote: Remote
):
    from tests.conftest import make_practice

    names = [f"n{i}.835" for i in range(6)]
    for i, n in enumerate(names):
        remote.drop("era", n, era(100 + i))
    remote.drop("era", "n0-again.835", era(100))
    setup = make_engine(pg_url)
    async with make_sessionmaker(setup)() as s:
        p = await make_practice(s, "Twin Node Eye")
        cid = await _connector(s, p.practice_id, remote)
        connector = await load_connector(s, p.practice_id, cid)
    engines = [make_engine(pg_url), make_engine(pg_url)]
    try:
        results = await asyncio.gather(*(
            fetch_and_ingest(make_sessionmaker(e), connector, "era") for e in engines))
        assert [r.seen for r in results] == [7, 7]
        assert sum(r.imported for r in results) == 6
        assert sum(r.duplicates for r in results) == 8
        assert all(r.failed == [] for r in results)
        async with make_sessionmaker(setup)() as s:
            rows = (await s.scalars(select(ImportedFile.name).where(
                ImportedFile.practice_id == p.practice_id))).all()
        assert len(rows) == 6
    finally:
        for e in [*engines, setup]:
            await e.dispose()


async def test_ingest_from_a_local_path(session: AsyncSession, practice, tmp_path: Path):
    path = tmp_path / "manual.835"
    path.write_bytes(era(42))
    first = await ingest_era_file(session, practice.practice_id, path)
    await session.commit()
    again = await ingest_era_file(session, practice.practice_id, str(path), name="other.835")
    assert first.status == "imported" and first.imported_file_id
    assert again.status == "duplicate" and again.imported_file_id == first.imported_file_id
