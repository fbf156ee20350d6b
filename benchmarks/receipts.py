"""Nightly receipt reconciliation on SQLite: receipts/s and peak RSS.

    .venv/bin/python benchmarks/receipts.py                  # 100k receipts over 200k claims
    .venv/bin/python benchmarks/receipts.py --receipts 10000 --claims 20000

A fresh migrated database is filled (in a child process, so its memory does not count) with
one practice, a patient per receipt, two claims per patient of two lines each (a charge and a
patient balance on every line, one claim per patient at statement level), and New receipts of
every behaviour: co-pays and coinsurance on the visit's date, general payments, pre-pays.
Then the nightly run (`reconcile_practice`, one transaction) and its floor are timed, each on
its own copy of the database, each in its own process (its peak RSS is that process's own
high-water mark; the interpreter with the gateway imported is about 80 MB of it):

* floor: plain sqlite3, one transaction: a bare read of the same rows the nightly reads (the
  workable receipts, the patients' claims and lines, the lines' patient-balance ledger sums)
  plus a bare `executemany` insert of the applications the nightly made and their ledger rows
  (copied from the nightly's database before the clock starts);
* nightly: `reconcile_practice` through the gateway (SQLAlchemy, aiosqlite).

Target (#18): nightly within 3x of the floor. Seconds are wall clock; CPU seconds (this
process and its threads) are printed beside them, because on a shared machine the wall clock
mostly measures the other processes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import receipt_data as data  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from gateway.db.engine import make_engine, make_sessionmaker  # noqa: E402
from gateway.receipts.models import Receipt, ReceiptApplication  # noqa: E402
from gateway.receipts.service import reconcile_practice  # noqa: E402

TODAY = dt.date(2026, 3, 10)
BASE = dt.date(2025, 6, 1)
BEHAVIOURS = [("Co-Pay", "copay", 40), ("Patient Coinsurance", "coinsurance", 10),
              ("Patient Deductible", "deductible", 10), ("General Payment", "general", 35),
              ("Pre-Pay", "prepay", 5)]


def fill(path: str, n_receipts: int, n_claims: int, seed: int = 7) -> None:
    """Write the data set with plain sqlite3 executemany (fast, and not what is measured)."""
    rnd = random.Random(seed)
    con = data.database(path)
    n_patients = n_receipts
    data.add_patients(con, n_patients)
    per_patient = max(1, n_claims // n_patients)
    claims = data.Claims(con)
    visit_of: dict[int, dt.date] = {}
    for p in range(1, n_patients + 1):
        for k in range(per_patient):
            dos = BASE + dt.timedelta(days=rnd.randrange(0, 270))
            statement = k == 0
            if k == per_patient - 1:
                visit_of[p] = dos
            claims.claim(p, dos, "Statement" if statement else "Primary",
                         "Statement" if statement else "Open", f"G{claims.claim_id + 1:08d}")
            for n in (1, 2):
                charge = rnd.randrange(5000, 30000)
                claims.line(n, "92014" if n == 1 else "92015", charge, rnd.randrange(0, 6000),
                            copay=n == 2, dos=dos)
        claims.maybe_flush()
    claims.flush()
    weights = [w for _, _, w in BEHAVIOURS]
    receipts = []
    for i in range(1, n_receipts + 1):
        name, behaviour, _ = rnd.choices(BEHAVIOURS, weights)[0]
        on = visit_of[i] if behaviour in ("copay", "coinsurance", "deductible") else (
            BASE + dt.timedelta(days=rnd.randrange(200, 280)))
        receipts.append((i, i, f"P{i:07d}", on.isoformat(), name, behaviour,
                         rnd.randrange(500, 15000)))
    con.executemany(
        "INSERT INTO receipts (id, practice_id, patient_id, patient_account, received_on,"
        " type_name, behaviour, method, source, amount, status, created_by)"
        " VALUES (?, 1, ?, ?, ?, ?, ?, 'card', 'import', ?, 'New', 'bench')", receipts)
    data.finish(con)


READS = (
    "SELECT id, patient_id, behaviour, received_on, amount, appointment_id, status,"
    " status_reason, hold_until FROM receipts WHERE practice_id = 1"
    " AND status IN ('New', 'Hold') ORDER BY id",
    "SELECT id, patient_id, service_date_from, appointment_id, level, status, invoice_date"
    " FROM claims WHERE practice_id = 1 ORDER BY id",
    "SELECT l.id, l.claim_id, l.line_number, l.procedure_code, l.copay FROM claim_lines l"
    " JOIN claims c ON c.id = l.claim_id WHERE c.practice_id = 1"
    " ORDER BY l.claim_id, l.line_number",
    "SELECT e.claim_line_id, e.kind, sum(e.amount) FROM ledger_entries e"
    " JOIN claims c ON c.id = e.claim_id WHERE c.practice_id = 1"
    " AND e.kind IN ('transfer_to_patient', 'patient_payment', 'patient_adjustment')"
    " GROUP BY e.claim_line_id, e.kind",
)
APP_COLUMNS = ("id, practice_id, receipt_id, claim_id, claim_line_id, amount, credit,"
               " applied_by, previous_claim_status, created_at")
LEDGER_COLUMNS = ("practice_id, claim_id, claim_line_id, kind, amount, source_type, source_id,"
                  " reason, created_at")


def made_rows(nightly_db: str) -> tuple[list[Any], list[Any]]:
    """The applications the nightly made and their ledger rows, as stored (not timed)."""
    with sqlite3.connect(nightly_db) as con:
        apps = con.execute(f"SELECT {APP_COLUMNS} FROM receipt_applications").fetchall()
        ledger = con.execute(f"SELECT {LEDGER_COLUMNS} FROM ledger_entries"
                             " WHERE source_type = 'receipt_application'").fetchall()
    return apps, ledger


def _floor(path: str, apps: list[Any], ledger: list[Any]) -> tuple[int, str]:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA foreign_keys=ON")
    n = 0
    with con:
        for i, sql in enumerate(READS):
            rows = con.execute(sql).fetchall()
            n = n or (len(rows) if i == 0 else 0)
        marks = ", ".join("?" * len(APP_COLUMNS.split(",")))
        con.executemany(f"INSERT INTO receipt_applications ({APP_COLUMNS}) VALUES ({marks})",
                        apps)
        marks = ", ".join("?" * len(LEDGER_COLUMNS.split(",")))
        con.executemany(f"INSERT INTO ledger_entries ({LEDGER_COLUMNS}) VALUES ({marks})",
                        ledger)
    con.close()
    return n, f"floor: read the same rows, inserted {len(apps)} applications + {len(ledger)} " \
              "ledger rows"


async def _nightly(url: str, chunk: int) -> tuple[int, str]:
    engine = make_engine(url)
    try:
        maker = make_sessionmaker(engine)
        async with maker() as s:
            res = await reconcile_practice(s, 1, TODAY, chunk_size=chunk)
            await s.commit()
        async with maker() as s:
            apps = await s.scalar(select(func.count()).select_from(ReceiptApplication))
            by_status = {str(k): n for k, n in (await s.execute(
                select(Receipt.status, func.count()).group_by(Receipt.status))).tuples().all()}
        return res.considered, (f"outcome: {by_status}; {apps} applications; "
                                f"${res.applied} applied")
    finally:
        await engine.dispose()


def _phase(name: str, path: str, chunk: int, made_from: str, out: Any) -> None:
    """One measured phase in its own process, so each peak RSS is that phase's alone."""
    apps, ledger = made_rows(made_from) if name == "floor" else ([], [])
    data.warm(path)
    start, cpu = time.perf_counter(), time.process_time()
    if name == "floor":
        n, note = _floor(path, apps, ledger)
    else:
        n, note = asyncio.run(_nightly(f"sqlite+aiosqlite:///{path}", chunk))
    out.put((n, time.perf_counter() - start, time.process_time() - cpu, data.peak_rss_mb(), note))


def measure(path: str, chunk: int) -> list[tuple[str, int, float, float, float]]:
    """The nightly on one copy, then its floor on another (with the nightly's rows)."""
    copies = {name: f"{path}.{name}" for name in ("nightly", "floor")}
    for copy in copies.values():
        shutil.copy(path, copy)
    rows = []
    for name, title in (("nightly", "nightly reconcile_practice (one transaction)"),
                        ("floor", "floor: bare read + bare insert of applications")):
        n, secs, cpu, rss, note = data.in_process(_phase, name, copies[name], chunk,
                                                  copies["nightly"])
        if note:
            print(note)
        rows.append((title, n, secs, cpu, rss))
    return rows[::-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--receipts", type=int, default=100_000)
    ap.add_argument("--claims", type=int, default=200_000)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--db", default=None, help="database file (default: a temporary one)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = args.db or str(Path(tmp.name) / "bench.db")
    t = time.perf_counter()
    data.seed(path, fill, args.receipts, args.claims)
    print(f"setup: {args.receipts} receipts, {args.claims} claims, {2 * args.claims} lines in "
          f"{time.perf_counter() - t:.1f} s (not measured); chunk {args.chunk}")
    rows = measure(path, args.chunk)
    print()
    print(f"| {'phase':<46} | {'receipts':>9} | {'seconds':>8} | {'CPU s':>7} | "
          f"{'receipts/s':>10} | {'peak RSS MB':>11} |")
    print(f"|{'-' * 48}|{'-' * 11}|{'-' * 10}|{'-' * 9}|{'-' * 12}|{'-' * 13}|")
    for name, n, secs, cpu, rss in rows:
        print(f"| {name:<46} | {n:>9} | {secs:>8.2f} | {cpu:>7.2f} | {n / secs:>10.0f} "
              f"| {rss:>11.0f} |")
    (_, _, floor_s, floor_cpu, _), (_, _, ours_s, ours_cpu, _) = rows
    print(f"\nnightly / floor: {ours_s / floor_s:.2f}x wall, {ours_cpu / floor_cpu:.2f}x CPU "
          f"(target <= 3x)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
