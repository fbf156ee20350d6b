"""Practice-data pull benchmark: a PMS export set (Compulink layout) of 100k patients, 150k
coverages, 200k appointments and 100k claims (150k claim lines) pulled from a drop folder into
SQLite (and PostgreSQL with --postgres), beside a bare bulk insert of the same rows into the
same tables in the same run.

    .venv/bin/python benchmarks/practice_data.py --scale 0.1          # 10%: 10k patients...
    .venv/bin/python benchmarks/practice_data.py --scale 1 --postgres # the full size
    .venv/bin/python benchmarks/practice_data.py --scale 0.5 1 --postgres  # two sizes

Each step runs in its own subprocess on a freshly migrated database (so its peak RSS is its
own; the machine is shared, so CPU seconds are printed beside wall seconds). "pull" is
`gateway.practice.pull.pull_connector` (listing, spooling, parsing with the vendor layout,
checks, upserts, charge rows, appointment links, one transaction); "re-pull"
pulls the same records again in new bytes (everything read and compared, nothing written);
"bare insert" reads the same CSVs with csv.reader and INSERTs their rows with executemany
(ids assigned up front, no checks, no upserts, no ledger). Rows = patients + coverages +
appointments + claims + claim lines.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE = {"patients": 100_000, "coverages": 150_000, "appointments": 200_000, "claims": 100_000}
PAYERS = ["VSP Vision Care", "EyeMed", "Davis Vision", "Medicare Part B", "Blue Cross Inc"]
DAY0 = dt.date(2026, 1, 5)


def sizes(scale: float) -> dict[str, int]:
    return {k: max(1, int(v * scale)) for k, v in BASE.items()}


def write_exports(folder: Path, n: dict[str, int], pad: str = "") -> None:
    """The export set in Compulink's layout; `pad` appends blank lines (same records, new
    bytes)."""
    def w(name: str, header: list[str], rows) -> None:
        with (folder / name).open("w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(header)
            out.writerows(rows)
            fh.write(pad)

    np_ = n["patients"]
    w("patients_1.csv", ["Patient #", "Acct #", "Last Name", "First Name", "Birth Date", "Sex",
                         "City", "State", "Zip"],
      ([f"P{i}", f"A{i}", f"LAST{i}", "TEST", (dt.date(1950, 1, 1)
        + dt.timedelta(days=i % 20000)).isoformat(), "MF"[i % 2], "Springfield", "IL", "62701"]
       for i in range(np_)))
    w("insurance_1.csv", ["Patient #", "Ins Order", "Insurance Co", "Payor ID", "Insured ID",
                          "Group #"],
      ([f"P{i % np_}", str(1 + i // np_), PAYERS[i % len(PAYERS)], f"PY{i % len(PAYERS)}",
        f"M{i}", "G1"] for i in range(min(n["coverages"], 3 * np_))))
    w("appointments_1.csv", ["Appt ID", "Patient #", "Appt Date", "Appt Time", "Appt Status",
                             "Office", "Doctor", "Ticket #"],
      ([f"AP{i}", f"P{i % np_}", (DAY0 + dt.timedelta(days=i % 300)).isoformat(), "09:30",
        "Checked Out", "Main", "Dr. Patel", f"T{i}" if i < n["claims"] else ""]
       for i in range(n["appointments"])))

    def lines():
        for i in range(n["claims"]):
            dos = (DAY0 + dt.timedelta(days=i % 300)).isoformat()
            billed = "Y" if i % 3 else "N"
            yield [f"T{i}", f"P{i % np_}", "1", dos, "H52.13", billed, "1", "92014", "165.00", "1"]
            if i % 2:
                yield [f"T{i}", f"P{i % np_}", "1", dos, "H52.13", billed, "2", "92015", "45.00",
                       "1"]

    w("charges_1.csv", ["Ticket #", "Patient #", "Ins Order", "Svc Date", "Diag Codes", "Billed",
                        "Line #", "CPT", "Charge", "Diag Ptr"], lines())


# --- steps (each in a child process) ------------------------------------------------------


async def _setup(url: str, drop: Path) -> tuple[int, int]:
    from gateway.admin.connectors import create_connector
    from gateway.admin.practices import create_practice
    from gateway.db.engine import session_scope

    async with session_scope(url) as s:
        pid = await create_practice(s, "Bench Eye")
        cid = await create_connector(s, pid, "compulink", "pms",
                                     {"practice_data_dir": str(drop), "stable_seconds": 0})
    return pid, cid


async def step_pull(url: str, drop: Path, repull: bool) -> None:
    from gateway.db.engine import session_scope
    from gateway.practice.pull import pull_connector

    pid, cid = await _setup(url, drop)
    if repull:  # the first pull is not timed
        async with session_scope(url) as s:
            await pull_connector(s, pid, cid)
        second = drop.parent / "second"
        second.mkdir()
        write_exports(second, json.loads(os.environ["BENCH_SIZES"]), pad="\n")
        for f in second.iterdir():
            os.replace(f, drop / f.name)
            os.utime(drop / f.name, (time.time() + 60, time.time() + 60))
    started, cpu = time.perf_counter(), time.process_time()
    async with session_scope(url) as s:
        summary = await pull_connector(s, pid, cid)
    os.environ["BENCH_SECONDS"] = str(time.perf_counter() - started)
    os.environ["BENCH_CPU"] = str(time.process_time() - cpu)
    if repull:
        assert set(summary.written.values()) == {0}, summary.written


def _read(path: Path):
    with path.open(newline="") as fh:
        rows = csv.reader(fh)
        next(rows)
        yield from rows


async def step_bare(url: str, drop: Path) -> int:
    """Plain INSERTs of the same rows, ids assigned up front: the floor of any import."""
    from sqlalchemy import insert

    from gateway.db.engine import session_scope
    from gateway.db.models import Appointment, Coverage, Patient, Payer
    from gateway.ledger.models import Claim, ClaimLine, LedgerEntry

    pid, _ = await _setup(url, drop)
    started, cpu = time.perf_counter(), time.process_time()
    count = 0
    async with session_scope(url) as s:
        async def bulk(model, rows) -> None:
            nonlocal count
            batch = []
            for r in rows:
                batch.append(r)
                if len(batch) == 5000:
                    await s.execute(insert(model.__table__), batch)
                    count += len(batch)
                    batch = []
            if batch:
                await s.execute(insert(model.__table__), batch)
                count += len(batch)

        await bulk(Payer, ({"id": 1000 + i, "practice_id": pid, "name": p,
                            "normalized_name": p.lower(), "status": "Active",
                            "accepts_electronic_claims": True, "source": "pms"}
                           for i, p in enumerate(PAYERS)))
        count -= len(PAYERS)
        pk = {}
        def patients():
            for i, r in enumerate(_read(drop / "patients_1.csv"), start=1):
                pk[r[0]] = i
                yield {"id": i, "practice_id": pid, "pms_patient_id": r[0], "account": r[1],
                       "last_name": r[2], "first_name": r[3],
                       "dob": dt.date.fromisoformat(r[4]), "sex": r[5], "city": r[6],
                       "state": r[7], "zip": r[8]}
        await bulk(Patient, patients())
        await bulk(Coverage, ({"patient_id": pk[r[0]], "rank": int(r[1]),
                               "payer_id": 1000 + PAYERS.index(r[2]), "member_id": r[4],
                               "group_number": r[5]}
                              for r in _read(drop / "insurance_1.csv")))
        await bulk(Appointment, ({"practice_id": pid, "pms_appointment_id": r[0],
                                  "patient_id": pk[r[1]],
                                  "starts_at": dt.datetime.fromisoformat(f"{r[2]}T{r[3]}"),
                                  "status": r[4], "provider": r[6], "pms_claim_id": r[7] or None}
                                 for r in _read(drop / "appointments_1.csv")))
        claims: dict[str, int] = {}
        line_rows = []
        def claim_rows():
            for r in _read(drop / "charges_1.csv"):
                if r[0] not in claims:
                    claims[r[0]] = len(claims) + 1
                    yield {"id": claims[r[0]], "practice_id": pid, "pms_claim_id": r[0],
                           "source_claim_id": r[0], "patient_id": pk[r[1]], "payer_rank": 1,
                           "service_date_from": dt.date.fromisoformat(r[3]),
                           "diagnosis_codes": [r[4]], "origin": "pms",
                           "billing_state": "billed" if r[5] == "Y" else "unbilled"}
                line_rows.append((claims[r[0]], int(r[6]), r[7], Decimal(r[8])))
        await bulk(Claim, claim_rows())
        await bulk(ClaimLine, ({"id": n, "claim_id": c, "line_number": ln,
                                "procedure_code": code, "charge": amount,
                                "modifiers": [], "diagnosis_pointers": [1]}
                               for n, (c, ln, code, amount) in enumerate(line_rows, start=1)))
        await bulk(LedgerEntry, ({"practice_id": pid, "claim_id": c, "claim_line_id": n,
                                  "kind": "charge", "amount": amount, "source_type": "bench"}
                                 for n, (c, _, _, amount) in enumerate(line_rows, start=1)))
        count -= len(line_rows)  # ledger rows are not counted as rows of the export
    os.environ["BENCH_SECONDS"] = str(time.perf_counter() - started)
    os.environ["BENCH_CPU"] = str(time.process_time() - cpu)
    return count


def child(step: str, url: str, drop: Path) -> None:
    rows = int(os.environ["BENCH_ROWS"])
    if step == "bare":
        inserted = asyncio.run(step_bare(url, drop))
        assert inserted == rows, (inserted, rows)
    else:
        asyncio.run(step_pull(url, drop, repull=step == "re-pull"))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "seconds": float(os.environ["BENCH_SECONDS"]),
                      "cpu": float(os.environ["BENCH_CPU"]), "peak_mb": peak_kb / 1024}))


# --- the parent -------------------------------------------------------------------------


def fresh_sqlite(tmp: Path, name: str) -> str:
    from gateway.db.migrate import upgrade

    template = tmp / "template.db"
    if not template.exists():
        upgrade(f"sqlite+aiosqlite:///{template}")
    path = tmp / f"{name}.db"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


def measure(step: str, url: str, drop: Path, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", step, url, str(drop)],
                          capture_output=True, text=True, env={**os.environ, **env})
    if proc.returncode != 0:
        raise SystemExit(f"{step} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


STEPS = ("bare", "pull", "re-pull")


def run_backend(label: str, urls: Callable[[str], str], tmp: Path,
                n: dict[str, int], steps: tuple[str, ...] = STEPS) -> list[tuple]:
    """bare, pull and re-pull (or `steps` of them) on fresh databases of one backend."""
    lines = n["claims"] + n["claims"] // 2
    total = (n["patients"] + min(n["coverages"], 3 * n["patients"]) + n["appointments"]
             + n["claims"] + lines)
    env = {"BENCH_ROWS": str(total), "BENCH_SIZES": json.dumps(n)}
    results = []
    for step in steps:
        drop = tmp / f"{label}-{step}" / "drop"
        drop.mkdir(parents=True)
        write_exports(drop, n)
        results.append((label, step, measure(step, urls(step), drop, env)))
        print(label, step, json.dumps(results[-1][2]), flush=True)  # as it goes: runs are long
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0],
                        help="fraction(s) of 100k patients / 150k coverages / 200k "
                        "appointments / 100k claims; two sizes show whether memory is flat")
    parser.add_argument("--postgres", action="store_true",
                        help="also into a real PostgreSQL (tests/support/postgres.py; PG_BIN)")
    parser.add_argument("--no-sqlite", action="store_true",
                        help="PostgreSQL only (with --postgres)")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS),
                        help="the steps to run (bare first: the ratios need it)")
    parser.add_argument("--child", nargs=3, metavar=("STEP", "URL", "DROP"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]))
        return
    results = []
    for scale in args.scale:
        n = sizes(scale)
        print(f"scale {scale}: {n} (claim lines: {n['claims'] + n['claims'] // 2})")
        with tempfile.TemporaryDirectory(prefix="bench-practice-") as t:
            tmp = Path(t)
            steps = tuple(args.steps)
            if not args.no_sqlite:
                results += run_backend(f"sqlite {scale:g}",
                                       lambda step, tmp=tmp: fresh_sqlite(tmp, step), tmp, n,
                                       steps)
            if args.postgres:
                results += run_postgres(tmp, n, scale, steps)
    print(f"{'backend':<14} {'step':<10} {'rows':>8} {'wall s':>8} {'cpu s':>7} "
          f"{'rows/s':>8} {'rows/cpu s':>10} {'peak MB':>8} {'x bare (wall/cpu)':>18}")
    bare: dict[str, dict] = {}
    for label, step, r in results:
        if step == "bare":
            bare[label] = r
        b = bare[label]
        ratios = f"{r['seconds'] / b['seconds']:.2f} / {r['cpu'] / b['cpu']:.2f}"
        print(f"{label:<14} {step:<10} {r['rows']:>8} {r['seconds']:>8.2f} {r['cpu']:>7.2f} "
              f"{r['rows'] / r['seconds']:>8.0f} {r['rows'] / r['cpu']:>10.0f} "
              f"{r['peak_mb']:>8.0f} {ratios:>18}")
    print("cpu s: this process's CPU time (the database server's, for PostgreSQL, is not in "
          "it); peak MB: each step's own process (ru_maxrss of a fresh child)")


def run_postgres(tmp: Path, n: dict[str, int], scale: float,
                 steps: tuple[str, ...] = STEPS) -> list[tuple]:
    import asyncpg

    from gateway.db.migrate import upgrade
    from tests.support.postgres import PostgresServer

    server = PostgresServer().start()
    try:
        async def create(name: str) -> None:
            conn = await asyncpg.connect(server.psql_url())
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        def url(step: str) -> str:
            name = "bench_" + step.replace("-", "_")
            asyncio.run(create(name))
            upgrade(server.url(name))
            return server.url(name)

        return run_backend(f"postgres {scale:g}", url, tmp, n, steps)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
