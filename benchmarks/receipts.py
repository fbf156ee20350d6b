"""Nightly receipt reconciliation on SQLite: receipts/s and peak RSS.

    .venv/bin/python benchmarks/receipts.py                  # 100k receipts over 200k claims
    .venv/bin/python benchmarks/receipts.py --receipts 10000 --claims 20000

A fresh migrated database is filled (in a child process, so its memory does not count) with
one practice, a patient per receipt, two claims per patient of two lines each (a charge and a
patient balance on every line, one claim per patient at statement level), and New receipts of
every behaviour: co-pays and coinsurance on the visit's date, general payments, pre-pays.
Then, in this process, the baseline (a bare SQL read of the same receipts) and the nightly run
(`reconcile_practice`, one transaction) are timed. Each phase runs in its own process; its
peak RSS is that process's high-water mark (the interpreter with the gateway imported is about
80 MB of it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from gateway.db.engine import make_engine, make_sessionmaker  # noqa: E402
from gateway.db.migrate import upgrade  # noqa: E402
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
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    cur = con.cursor()
    cur.execute("INSERT INTO practices (id, name, settings) VALUES (1, 'Bench Eye', '{}')")
    n_patients = n_receipts
    cur.executemany("INSERT INTO patients (id, practice_id, account) VALUES (?, 1, ?)",
                    ((i, f"P{i:07d}") for i in range(1, n_patients + 1)))
    per_patient = max(1, n_claims // n_patients)
    claims, lines, ledger = [], [], []
    visit_of: dict[int, dt.date] = {}
    claim_id = line_id = ledger_id = 0
    for p in range(1, n_patients + 1):
        for k in range(per_patient):
            claim_id += 1
            dos = BASE + dt.timedelta(days=rnd.randrange(0, 270))
            statement = k == 0
            if k == per_patient - 1:
                visit_of[p] = dos
            claims.append((claim_id, p, dos.isoformat(),
                           "Statement" if statement else "Primary",
                           "Statement" if statement else "Open", f"G{claim_id:08d}"))
            for n in (1, 2):
                line_id += 1
                charge = rnd.randrange(5000, 30000)
                balance = rnd.randrange(0, 6000)
                lines.append((line_id, claim_id, n, "92014" if n == 1 else "92015", charge,
                              1 if n == 2 else 0, dos.isoformat()))
                ledger_id += 1
                ledger.append((ledger_id, claim_id, line_id, "charge", charge, "claim", claim_id))
                if balance:
                    ledger_id += 1
                    ledger.append((ledger_id, claim_id, line_id, "transfer_to_patient",
                                   balance, "bench", None))
        if len(ledger) > 200_000 or p == n_patients:
            cur.executemany(
                "INSERT INTO claims (id, practice_id, patient_id, payer_rank, service_date_from,"
                " billing, level, status, diagnosis_codes, patient_control_number)"
                " VALUES (?, 1, ?, 1, ?, 'electronic', ?, ?, '[]', ?)", claims)
            cur.executemany(
                "INSERT INTO claim_lines (id, claim_id, line_number, procedure_code, modifiers,"
                " units, charge, diagnosis_pointers, copay, service_date)"
                " VALUES (?, ?, ?, ?, '[]', 1000, ?, '[]', ?, ?)", lines)
            cur.executemany(
                "INSERT INTO ledger_entries (id, practice_id, claim_id, claim_line_id, kind,"
                " amount, source_type, source_id) VALUES (?, 1, ?, ?, ?, ?, ?, ?)", ledger)
            claims, lines, ledger = [], [], []
    weights = [w for _, _, w in BEHAVIOURS]
    receipts = []
    for i in range(1, n_receipts + 1):
        name, behaviour, _ = rnd.choices(BEHAVIOURS, weights)[0]
        on = visit_of[i] if behaviour in ("copay", "coinsurance", "deductible") else (
            BASE + dt.timedelta(days=rnd.randrange(200, 280)))
        receipts.append((i, i, f"P{i:07d}", on.isoformat(), name, behaviour,
                         rnd.randrange(500, 15000)))
    cur.executemany(
        "INSERT INTO receipts (id, practice_id, patient_id, patient_account, received_on,"
        " type_name, behaviour, method, source, amount, status, created_by)"
        " VALUES (?, 1, ?, ?, ?, ?, ?, 'card', 'import', ?, 'New', 'bench')", receipts)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def peak_rss_mb() -> float:
    """This process's own high-water mark (VmHWM): `ru_maxrss` would include the parent's
    peak, carried across fork and exec into a spawned child."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _baseline(url: str) -> tuple[int, str]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            result = await s.execute(
                select(Receipt.id, Receipt.patient_id, Receipt.behaviour, Receipt.received_on,
                       Receipt.amount, Receipt.appointment_id, Receipt.status)
                .where(Receipt.practice_id == 1, Receipt.status.in_(("New", "Hold"))))
            return len(result.all()), ""
    finally:
        await engine.dispose()


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


def _phase(name: str, url: str, chunk: int, out: Any) -> None:
    """One measured phase in its own process, so each peak RSS is that phase's alone."""
    with sqlite3.connect(url.split("///", 1)[1]) as con:  # warm the page cache the same way
        con.execute("SELECT count(*) FROM ledger_entries").fetchone()
    start = time.perf_counter()
    n, note = asyncio.run(_baseline(url) if name == "baseline" else _nightly(url, chunk))
    out.put((n, time.perf_counter() - start, peak_rss_mb(), note))


def measure(url: str, chunk: int) -> list[tuple[str, int, float, float]]:
    ctx = multiprocessing.get_context("spawn")
    rows = []
    for name, title in (("baseline", "baseline: bare SQL read of the receipts"),
                        ("nightly", "nightly reconcile_practice (one transaction)")):
        q = ctx.Queue()
        p = ctx.Process(target=_phase, args=(name, url, chunk, q))
        p.start()
        n, secs, rss, note = q.get()
        p.join()
        if note:
            print(note)
        rows.append((title, n, secs, rss))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--receipts", type=int, default=100_000)
    ap.add_argument("--claims", type=int, default=200_000)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--db", default=None, help="database file (default: a temporary one)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = args.db or str(Path(tmp.name) / "bench.db")
    url = f"sqlite+aiosqlite:///{path}"
    t = time.perf_counter()
    upgrade(url)
    child = multiprocessing.get_context("spawn").Process(
        target=fill, args=(path, args.receipts, args.claims))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit("filling the database failed")
    print(f"setup: {args.receipts} receipts, {args.claims} claims, {2 * args.claims} lines in "
          f"{time.perf_counter() - t:.1f} s (not measured); chunk {args.chunk}")
    rows = measure(url, args.chunk)
    print()
    print(f"| {'phase':<46} | {'receipts':>9} | {'seconds':>8} | {'receipts/s':>10} | "
          f"{'peak RSS MB':>11} |")
    print(f"|{'-' * 48}|{'-' * 11}|{'-' * 10}|{'-' * 12}|{'-' * 13}|")
    for name, n, secs, rss in rows:
        print(f"| {name:<46} | {n:>9} | {secs:>8.2f} | {n / secs:>10.0f} | {rss:>11.0f} |")
    tmp.cleanup()


if __name__ == "__main__":
    main()
