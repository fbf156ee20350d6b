"""What the receipt benchmarks share (`receipts.py`, `statement_payments.py`): a migrated SQLite
database filled with plain sqlite3 in a child process (fast, and not what is measured), the
patients' claims, lines and patient balances written in batches, each measured phase run in
a process of its own, and that process's own peak RSS.

    seed(path, fill, *args)       migrate `path`, then `fill(path, *args)` in a spawned child
    database(path)                a sqlite3 connection for filling: WAL, no fsync, practice 1
    Claims(cur)                   claims / lines / ledger rows, flushed every 200k ledger rows
    in_process(target, *args)     run `target(*args, queue)` in a spawned child, its answer
    warm(path)                    read the ledger once, so each phase starts from the same cache
    peak_rss_mb()                 this process's own high-water mark (VmHWM)
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import resource
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited peak RSS


def seed(path: str, fill: Callable[..., None], *args: Any) -> None:
    """A migrated database at `path`, filled by `fill(path, *args)` in a child process."""
    from gateway.db.migrate import upgrade

    upgrade(f"sqlite+aiosqlite:///{path}")
    child = SPAWN.Process(target=fill, args=(path, *args))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit("filling the database failed")


def database(path: str) -> sqlite3.Connection:
    """A connection for filling (WAL, no fsync) with the one practice, id 1."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("INSERT INTO practices (id, name, settings) VALUES (1, 'Bench Eye', '{}')")
    return con


def add_patients(con: sqlite3.Connection, n: int) -> None:
    """Patients 1..n with accounts P0000001..."""
    con.executemany("INSERT INTO patients (id, practice_id, account) VALUES (?, 1, ?)",
                    ((i, f"P{i:07d}") for i in range(1, n + 1)))


def finish(con: sqlite3.Connection) -> None:
    con.commit()
    con.execute("ANALYZE")
    con.close()


class Claims:
    """Claims with two-or-more lines and their ledger rows (a charge, and a transfer to the
    patient when the line owes one), ids counted here, written in batches."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.claim_id = self.line_id = 0
        self._claims: list[tuple[Any, ...]] = []
        self._lines: list[tuple[Any, ...]] = []
        self._ledger: list[tuple[Any, ...]] = []

    def claim(self, patient_id: int, dos: dt.date, level: str, status: str,
              control_number: str | None = None) -> int:
        self.claim_id += 1
        self._claims.append((self.claim_id, patient_id, dos.isoformat(), level, status,
                             control_number))
        return self.claim_id

    def line(self, number: int, code: str, charge: int, owed: int, copay: bool,
             dos: dt.date) -> None:
        """A line of the last claim: `charge` and `owed` (the patient's part) in cents."""
        self.line_id += 1
        self._lines.append((self.line_id, self.claim_id, number, code, charge, int(copay),
                            dos.isoformat()))
        self._ledger.append((self.claim_id, self.line_id, "charge", charge, "claim",
                             self.claim_id))
        if owed:
            self._ledger.append((self.claim_id, self.line_id, "transfer_to_patient", owed,
                                 "bench", None))

    def maybe_flush(self) -> None:
        if len(self._ledger) > 200_000:
            self.flush()

    def flush(self) -> None:
        cur = self.con.cursor()
        cur.executemany(
            "INSERT INTO claims (id, practice_id, patient_id, payer_rank, service_date_from,"
            " billing, level, status, diagnosis_codes, patient_control_number)"
            " VALUES (?, 1, ?, 1, ?, 'electronic', ?, ?, '[]', ?)", self._claims)
        cur.executemany(
            "INSERT INTO claim_lines (id, claim_id, line_number, procedure_code, modifiers,"
            " units, charge, diagnosis_pointers, copay, service_date)"
            " VALUES (?, ?, ?, ?, '[]', 1000, ?, '[]', ?, ?)", self._lines)
        cur.executemany(
            "INSERT INTO ledger_entries (practice_id, claim_id, claim_line_id, kind, amount,"
            " source_type, source_id) VALUES (1, ?, ?, ?, ?, ?, ?)", self._ledger)
        self._claims, self._lines, self._ledger = [], [], []


def peak_rss_mb() -> float:
    """This process's own high-water mark (VmHWM): `ru_maxrss` would include the parent's
    peak, carried across fork and exec into a spawned child."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm(path: str) -> None:
    """Read the ledger once, so every phase starts from the same page cache."""
    with sqlite3.connect(path) as con:
        con.execute("SELECT count(*) FROM ledger_entries").fetchone()


def in_process(target: Callable[..., None], *args: Any) -> Any:
    """`target(*args, queue)` in a spawned process of its own (so its peak RSS is its own);
    what it put on the queue."""
    queue = SPAWN.Queue()
    child = SPAWN.Process(target=target, args=(*args, queue))
    child.start()
    answer = queue.get()
    child.join()
    return answer
