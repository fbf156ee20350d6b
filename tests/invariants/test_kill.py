"""kill -9 mid import and mid post leaves nothing half done (issue 16, item 4).

A generated ERA (gateway.core.x12.generate835) and a receipts workbook go through the real
`gateway` command three times each way: `era import`, `deposits post`, `receipts import`.
The clean database runs each command once, polled every 5 ms for whether it is inside its
write transaction (SQLite: the WAL write lock, byte 120 of the -shm file, in /proc/locks;
PostgreSQL: a session on the database with a transaction id), which counts how long it
writes. The killed database runs each command and sends it SIGKILL at seeded random points of
that span, then runs it to completion. After every kill the database holds either nothing of
the command or all of it, at least one kill per command lands inside the transaction, and at
the end both databases hold the same deposits, claims, errors, ledger, receipts and
applications, row for row (compared by natural keys: ids differ on PostgreSQL, where
sequences do not roll back). On PostgreSQL each command also runs twice at the same time on
a third copy, which must end exactly as the clean run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import shutil
import signal
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text

from gateway.admin.payers import get_or_add_payer
from gateway.admin.practices import create_practice
from gateway.core.x12.generate835 import write_835
from gateway.core.x12.reader835 import iter_remittances
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims
from tests.conftest import _create_database
from tests.receipts.test_importer import workbook
from tests.support.postgres import PostgresServer

CLAIMS = 200
RECEIPT_ROWS = 150
KILLS = 2  # per command, at most
TODAY = "2026-03-10"
Writing = Callable[[int], Awaitable[bool]]


async def _fill(url: str, era: Path, book: Path) -> int:
    """A practice with the ERA's payers and one claim per CLP (lines = its SVCs); a receipts
    workbook paying a little on the first claims' visits."""
    engine = make_engine(url)
    rows: list[tuple[Any, ...]] = []
    try:
        async with make_sessionmaker(engine)() as s:
            pid = await create_practice(s, "Kill Eye")
            claims = []
            for rem in iter_remittances(era):
                await get_or_add_payer(s, pid, rem.payer.name, rem.payer.id)
                for c in rem.claims:
                    dos = next((ln.service_date for ln in c.lines if ln.service_date),
                               dt.date(2024, 1, 1))
                    claims.append(ClaimIn(
                        patient=PatientIn(account=c.patient_control_number, last_name="KILL",
                                          first_name="TEST"),
                        service_date_from=dos, patient_control_number=c.patient_control_number,
                        lines=[ClaimLineIn(procedure_code=ln.procedure_code,
                                           modifiers=list(ln.modifiers), charge=abs(ln.charge))
                               for ln in c.lines]))
                    if len(rows) < RECEIPT_ROWS:
                        rows.append((c.patient_control_number, None, dos, Decimal("5.00"),
                                     "Patient Coinsurance", "Check", f"K{len(rows)}", None))
            await create_claims(s, pid, claims)
            await s.commit()
    finally:
        await engine.dispose()
    book.write_bytes(workbook(*rows))
    return pid


_SNAPSHOT = {
    "files": "SELECT kind, sha256, status FROM imported_files",
    "deposits": "SELECT dedupe_key, status, posted_status, amount, plb_total, payer_id "
                "FROM deposits",
    "deposit_claims": "SELECT d.dedupe_key, dc.sequence, c.patient_control_number, dc.state, "
                      "dc.paid, dc.result_status, dc.result_level, dc.credit "
                      "FROM deposit_claims dc JOIN deposits d ON d.id = dc.deposit_id "
                      "LEFT JOIN claims c ON c.id = dc.claim_id",
    "errors": "SELECT d.dedupe_key, dc.sequence, e.level, e.type, e.resolution "
              "FROM posting_errors e JOIN deposits d ON d.id = e.deposit_id "
              "LEFT JOIN deposit_claims dc ON dc.id = e.deposit_claim_id",
    "claims": "SELECT patient_control_number, payer_id, payer_rank, level, status, sub_status "
              "FROM claims",
    "ledger": "SELECT c.patient_control_number, l.line_number, e.kind, e.amount, "
              "e.source_type, e.reason, d.dedupe_key, dc.sequence, r.dedupe_key "
              "FROM ledger_entries e JOIN claims c ON c.id = e.claim_id "
              "JOIN claim_lines l ON l.id = e.claim_line_id "
              "LEFT JOIN deposit_claims dc ON dc.id = e.source_id "
              "  AND e.source_type LIKE 'deposit_claim%' "
              "LEFT JOIN deposits d ON d.id = dc.deposit_id "
              "LEFT JOIN receipt_applications a ON a.id = e.source_id "
              "  AND e.source_type = 'receipt_application' "
              "LEFT JOIN receipts r ON r.id = a.receipt_id",
    "receipts": "SELECT dedupe_key, status, amount, patient_account, hold_until FROM receipts",
    "applications": "SELECT r.dedupe_key, c.patient_control_number, l.line_number, a.amount, "
                    "a.credit FROM receipt_applications a JOIN receipts r ON r.id = a.receipt_id "
                    "JOIN claims c ON c.id = a.claim_id JOIN claim_lines l "
                    "ON l.id = a.claim_line_id",
}


async def snapshot(url: str) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every table that a command writes, as multisets of rows without ids."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return {name: Counter(tuple(r) for r in (await conn.execute(text(q))).all())
                    for name, q in _SNAPSHOT.items()}
    finally:
        await engine.dispose()


async def _gateway(url: str, cwd: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *args, cwd=cwd,
        env={**os.environ, "GATEWAY_DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def watch(url: str, cwd: Path, writing: Writing, args: list[str],
                kill_after: int | None = None) -> tuple[int, bool]:
    """Run the command, polling (bounded, every 5 ms of waiting for it to end) whether it is
    inside a write transaction. With `kill_after`, SIGKILL it at the poll after it has been
    seen writing that many times. Returns (polls seen writing, killed)."""
    proc = await _gateway(url, cwd, *args)
    seen = 0
    for _ in range(24_000):  # two minutes of polls at most
        try:
            await asyncio.wait_for(proc.wait(), 0.005)
            break
        except TimeoutError:
            pass
        if await writing(proc.pid):
            if kill_after is not None and seen >= kill_after:
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
                assert proc.returncode == -signal.SIGKILL
                return seen, True
            seen += 1
    else:
        proc.kill()
        raise AssertionError(f"{args} did not end within two minutes")
    out, err = await proc.communicate()
    assert proc.returncode == 0, (args, out.decode(), err.decode())
    return seen, False


async def _args(url: str, raw: list[str]) -> list[str]:
    """The command's arguments; `@deposit` is the id the import gave the deposit in this
    database (ids differ between databases on PostgreSQL)."""
    if "@deposit" not in raw:
        return raw
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            dep = (await conn.execute(text("SELECT min(id) FROM deposits"))).scalar()
    finally:
        await engine.dispose()
    return [str(dep) if a == "@deposit" else a for a in raw]


COMMANDS = [
    ["era", "import", "--practice", "{pid}", "era.835", "--no-auto-post"],
    ["deposits", "post", "@deposit"],
    ["receipts", "import", "--practice", "{pid}", "receipts.xlsx", "--today", TODAY],
]


async def compare_clean_and_killed(clean: str, killed: str, cwd: Path, pid: int,
                                   writing_of: Callable[[str], Writing]) -> None:
    """Run every command on `clean` once and on `killed` with kills, then to the end; after
    each kill the killed database holds nothing of the command or all of it, and at the end
    exactly what the clean one holds."""
    rng = random.Random(16)
    for raw in COMMANDS:
        raw = [a.replace("{pid}", str(pid)) for a in raw]
        before = await snapshot(killed)
        polls, _ = await watch(clean, cwd, writing_of(clean), await _args(clean, raw))
        done = await snapshot(clean)
        assert done != before, f"{raw} changed nothing"
        assert polls > 0, f"{raw} was never seen writing"
        landed = 0
        for n in range(KILLS):
            # the first early in the span (a loaded machine may run the killed copy faster)
            at = rng.randint(0, polls // 3 if n == 0 else polls - 1)
            _, hit = await watch(killed, cwd, writing_of(killed), await _args(killed, raw), at)
            await _idle(writing_of(killed))
            now = await snapshot(killed)
            assert now in (before, done), f"{raw} killed at poll {at}: half written"
            if now == done:
                break  # the kill came after the commit: nothing left to interrupt
            landed += hit
        assert landed, f"{raw}: no kill landed inside its transaction"
        await watch(killed, cwd, writing_of(killed), await _args(killed, raw))
        assert await snapshot(killed) == done, f"{raw}: killed and rerun differs from a clean run"


async def _idle(writing: Writing) -> None:
    """Wait (bounded polling) until nothing writes any more: a killed client's PostgreSQL
    backend may still be finishing its statement."""
    for _ in range(100_000):
        if not await writing(0):
            return
    raise AssertionError("the killed command's transaction never ended")


def _inputs(tmp: Path) -> tuple[Path, Path]:
    era, book = tmp / "era.835", tmp / "receipts.xlsx"
    write_835(str(era), claims=CLAIMS, seed=16, claims_per_st=CLAIMS)
    return era, book


def _sqlite_writing(url: str) -> Writing:
    """Whether process `pid` (0: any) holds SQLite's WAL write lock on this database: a POSIX
    lock on byte 120 of its -shm file, as /proc/locks lists it."""
    shm = Path(url.split("///", 1)[1] + "-shm")

    async def writing(pid: int) -> bool:
        try:
            inode = shm.stat().st_ino
        except FileNotFoundError:
            return False
        with open("/proc/locks") as locks:
            for line in locks:
                f = line.split()
                if (len(f) >= 8 and f[3] == "WRITE" and f[5].endswith(f":{inode}")
                        and f[6] == "120" and (pid == 0 or f[4] == str(pid))):
                    return True
        return False

    return writing


async def test_kill_mid_import_and_post_sqlite(migrated_sqlite_template: Path,
                                              tmp_path: Path) -> None:
    era, book = _inputs(tmp_path)
    base = tmp_path / "base.db"
    shutil.copy(migrated_sqlite_template, base)
    pid = await _fill(f"sqlite+aiosqlite:///{base}", era, book)
    urls = []
    for name in ("clean.db", "killed.db"):
        shutil.copy(base, tmp_path / name)
        urls.append(f"sqlite+aiosqlite:///{tmp_path / name}")
    await compare_clean_and_killed(urls[0], urls[1], tmp_path, pid, _sqlite_writing)


async def test_kill_mid_import_and_post_postgres(pg_server: PostgresServer,
                                                tmp_path: Path) -> None:
    era, book = _inputs(tmp_path)
    await _create_database(pg_server, "kill_base", template="gateway_template")
    pid = await _fill(pg_server.url("kill_base"), era, book)
    for name in ("kill_clean", "kill_killed"):
        await _create_database(pg_server, name, template="kill_base")
    conn = await asyncpg.connect(pg_server.psql_url())
    try:

        def writing_of(url: str) -> Writing:
            """Whether a session on this database is in a transaction that has written (it
            has a transaction id); the client's pid is not the backend's, so any session."""
            name = url.rsplit("/", 1)[1]

            async def writing(_pid: int) -> bool:
                return bool(await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                    "AND backend_xid IS NOT NULL", name))

            return writing

        await compare_clean_and_killed(pg_server.url("kill_clean"),
                                       pg_server.url("kill_killed"), tmp_path, pid, writing_of)
    finally:
        await conn.close()
    # concurrency: each command twice at the same time ends as one clean run
    await _create_database(pg_server, "kill_twice", template="kill_base")
    twice = pg_server.url("kill_twice")
    for raw in COMMANDS:
        args = await _args(twice, [a.replace("{pid}", str(pid)) for a in raw])
        procs = [await _gateway(twice, tmp_path, *args) for _ in range(2)]
        outs = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
        codes = [p.returncode for p in procs]
        assert 0 in codes, (args, outs)
        for code, (_, err) in zip(codes, outs, strict=True):
            assert code == 0 or b"another process" in err, (args, code, err.decode())
    assert await snapshot(twice) == await snapshot(pg_server.url("kill_clean"))
