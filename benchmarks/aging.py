"""Aging import benchmark: a 100k-row CSV and a 100k-row XLSX, parse-only and import into
SQLite, beside a bare `csv.reader` / calamine read of the same file in the same run.

Each measurement runs in its own subprocess (so peak RSS is that step's alone):

    .venv/bin/python benchmarks/aging.py            # 100k rows
    .venv/bin/python benchmarks/aging.py --rows 20000
    .venv/bin/python benchmarks/aging.py --rows 100000 300000   # also: CSV import at 300k

Prints a table: CPU seconds (best of 3 for reads and parses: the machine is shared, and CPU
time is what other work distorts least), wall seconds, rows/s, peak RSS, and the ratio to the
bare read of the same file. "parse" is the plugin turning the file into canonical rows with the
compiled hot path (`gateway.aging.fastrows`); "parse, pure Python" is the same with
GATEWAY_PURE_PYTHON=1.
Also parses the CSV at several sizes to show that parse memory does not grow with the rows,
and, for each further size given, reads and imports a CSV of that many rows (import memory
must be the same at every size: the import streams, gateway.aging.stage).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ["Acct #", "Patient", "Claim #", "Svc Date", "Svc Loc", "Payor", "Billed",
          "Ins Balance", "Current", "31-60", "61-90", "91-120", "120+", "Last Billed"]
PAYERS = ["VSP", "EyeMed Vision Care", "Davis Vision", "Medicare Part B", "Blue Cross Inc",
          "Aetna", "UnitedHealthcare", "Cigna", "Humana", "Spectera"]
EXPORT_DATE = dt.date(2026, 11, 30)


def rows(n: int, seed: int = 7):  # type: ignore[no-untyped-def]
    rnd = random.Random(seed)
    for i in range(n):
        age = rnd.randrange(0, 400)
        dos = EXPORT_DATE - dt.timedelta(days=age)
        cents = rnd.randrange(1000, 90000)
        balance = f"{cents // 100}.{cents % 100:02d}"
        buckets = ["", "", "", "", ""]
        idx = 0 if age <= 30 else 1 if age <= 60 else 2 if age <= 90 else 3 if age <= 120 else 4
        buckets[idx] = balance
        billed = f"{(cents + rnd.randrange(0, 5000)) / 100:.2f}"
        yield [str(100000 + i // 2), f"PATIENT{i // 2}, TEST", str(500000 + i),
               dos.strftime("%m/%d/%Y"), "MAIN", PAYERS[i % len(PAYERS)], billed, balance,
               *buckets, (dos + dt.timedelta(days=3)).strftime("%m/%d/%Y")]


def make_csv(path: Path, n: int) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Ins. Receivables by Payor"])
        w.writerow([f"As of {EXPORT_DATE:%m/%d/%Y}"])
        w.writerow([])
        w.writerow(HEADER)
        w.writerows(rows(n))


def make_xlsx(path: Path, n: int) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Aging")
    ws.append(["Ins. Receivables by Payor"])
    ws.append([f"As of {EXPORT_DATE:%m/%d/%Y}"])
    ws.append([])
    ws.append(HEADER)
    for r in rows(n):
        # numbers as numbers, dates as dates: what Excel itself would hold
        ws.append([int(r[0]), r[1], int(r[2]), dt.datetime.strptime(r[3], "%m/%d/%Y"), r[4],
                   r[5], float(r[6]), float(r[7]), *[float(b) if b else None for b in r[8:13]],
                   dt.datetime.strptime(r[13], "%m/%d/%Y")])
    wb.save(path)


# --- measured steps (run in a child process) ---------------------------------------------------


def step_bare_csv(path: Path) -> int:
    with path.open("r", newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.reader(fh))


def step_bare_calamine(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return sum(1 for _ in wb.get_sheet_by_index(0).iter_rows())


def step_parse(path: Path) -> int:
    """The plugin reads the file into canonical rows (what every consumer iterates)."""
    from gateway.aging.service import parse_export
    from gateway.core.records import AgingContext, AgingSource

    export = parse_export("compulink", AgingSource(name=path.name, content=path.read_bytes()),
                          AgingContext())
    n = sum(1 for _ in export.iter_rows())
    assert not export.problems, export.problems[:3]
    return n


def step_import(path: Path) -> int:
    from gateway.admin.practices import create_location, create_practice
    from gateway.aging.service import import_upload
    from gateway.core.records import AgingSource
    from gateway.db.engine import session_scope

    url = os.environ["BENCH_DB"]
    content = path.read_bytes()

    async def go() -> int:
        async with session_scope(url) as s:
            pid = await create_practice(s, "Bench Eye")
            lid = await create_location(s, pid, "Main")
        async with session_scope(url) as s:
            result = await import_upload(s, pid, lid, AgingSource(name=path.name, content=content),
                                         vendor="compulink")
        assert result.claims_created == result.rows, result
        return result.rows

    return asyncio.run(go())


STEPS = {"bare_csv": step_bare_csv, "bare_calamine": step_bare_calamine, "parse": step_parse,
         "import": step_import}


REPEATS = {"bare_csv": 3, "bare_calamine": 3, "parse": 3, "import": 1}


def _peak_kb() -> int:
    """This process's own high-water mark (VmHWM): `ru_maxrss` would carry the parent's peak
    across fork and exec, which made parse memory look flat when it was not."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(step: str, path: Path) -> None:
    # imports happen before the clock starts so a step measures its work, not module loading
    import python_calamine  # noqa: F401

    import gateway.aging.fastrows
    import gateway.aging.service
    import gateway.db.engine
    import gateway.plugins.compulink  # noqa: F401

    base = _peak_kb()
    cpu = wall = float("inf")
    for _ in range(REPEATS[step]):
        start, start_cpu = time.perf_counter(), time.process_time()
        n = STEPS[step](path)
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start)
    peak = _peak_kb()
    compiled = gateway.aging.fastrows.COMPILED and os.environ.get("GATEWAY_PURE_PYTHON") != "1"
    print(json.dumps({"rows": n, "seconds": cpu, "wall": wall, "peak_kb": peak, "base_kb": base,
                      "compiled": compiled}))


def measure(step: str, path: Path, env: dict[str, str] | None = None) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", step, str(path)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})})
    if proc.returncode:
        raise SystemExit(f"{step} on {path.name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fresh_db(tmp: Path, name: str) -> str:
    from gateway.db.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp / name}"
    upgrade(url)
    return url


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000],
                    help="row counts: the first gets every step, the others the CSV import")
    ap.add_argument("--child", nargs=2, metavar=("STEP", "FILE"))
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    n, more = args.rows[0], args.rows[1:]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        csv_path, xlsx_path = tmp / "aging.csv", tmp / "aging.xlsx"
        make_csv(csv_path, n)
        make_xlsx(xlsx_path, n)
        print(f"{n} rows: CSV {csv_path.stat().st_size / 1e6:.1f} MB, "
              f"XLSX {xlsx_path.stat().st_size / 1e6:.1f} MB; python {sys.version.split()[0]}")
        results = []
        pure = {"GATEWAY_PURE_PYTHON": "1"}
        files = (("CSV", csv_path, "bare_csv"), ("XLSX", xlsx_path, "bare_calamine"))
        for fmt, path, bare in files:
            base = measure(bare, path)
            results.append((fmt, "bare read (csv.reader)" if fmt == "CSV" else
                            "bare read (calamine)", base, base))
            results.append((fmt, "parse (plugin -> rows)", measure("parse", path), base))
            results.append((fmt, "parse, pure Python", measure("parse", path, pure), base))
            db = fresh_db(tmp, f"{fmt}.db")
            results.append((fmt, "import into SQLite", measure("import", path, {"BENCH_DB": db}),
                            base))
        for size in more:
            path = tmp / f"aging{size}.csv"
            make_csv(path, size)
            base = measure("bare_csv", path)
            results.append(("CSV", "bare read (csv.reader)", base, base))
            db = fresh_db(tmp, f"CSV{size}.db")
            results.append(("CSV", "import into SQLite",
                            measure("import", path, {"BENCH_DB": db}), base))
        print()
        print("| file | step | rows | CPU s | wall s | rows/s (CPU) | peak RSS MB | CPU vs bare |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for fmt, step, r, base in results:
            print(f"| {fmt} | {step} | {r['rows']:,} | {r['seconds']:.3f} | {r['wall']:.3f} | "
                  f"{r['rows'] / r['seconds']:,.0f} | {r['peak_kb'] / 1024:.0f} | "
                  f"{r['seconds'] / base['seconds']:.1f}x |")
        print()
        print("CPU seconds: best of 3 for the reads and parses, one run for imports; every step "
              "in its own process. 'parse' uses the compiled fastrows "
              f"({'yes' if results[1][2]['compiled'] else 'NOT BUILT'}); 'parse, pure Python' "
              "sets GATEWAY_PURE_PYTHON=1.")
        print()
        print("CSV parse memory by row count (peak RSS above the process's RSS before parsing):")
        print()
        print("| rows | peak RSS MB | growth MB |")
        print("|---:|---:|---:|")
        for size in (n // 4, n // 2, n):
            path = tmp / f"mem{size}.csv"
            make_csv(path, size)
            r = measure("parse", path)
            growth = (r["peak_kb"] - r["base_kb"]) / 1024
            print(f"| {size:,} | {r['peak_kb'] / 1024:.0f} | {growth:.0f} |")


if __name__ == "__main__":
    main()
