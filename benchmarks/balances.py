"""Balance sync benchmark: a 100k-account export synced into SQLite and PostgreSQL, first and
unchanged second run, beside a bare `csv.reader` pass over the same file and a bare bulk insert
of the same rows into the same backend, all in the same run.

Each measured step runs in a process of its own, so its peak RSS (VmHWM, its own high-water
mark) is that step's alone; the re-sync's first sync runs in a separate set-up process. The
sync steps run again at a fifth of the size, to show memory flat in the account count.

    .venv/bin/python benchmarks/balances.py                 # 100k accounts, SQLite + PostgreSQL
    .venv/bin/python benchmarks/balances.py --scale 20000 --backends sqlite

PostgreSQL is a throwaway server started here (tests/support/postgres.py; PG_BIN, default
/usr/local/bin). Seconds are CPU seconds of the measured process (user + system, its threads
included: what other work on a shared machine distorts least) and wall seconds; PostgreSQL's
server CPU is not in the CPU column, so its ratios are also given on wall time.

The unchanged re-sync runs twice: the same file again (answered from the last sync by the
file's SHA-256), and a re-export of the same accounts with the rows in another order (the path
a new day's unchanged export takes: its line fingerprints summed into a digest and set beside
the one the last sync kept, gateway.balances.unchanged).

Targets (issue 12): first sync within 3x of parse + bare insert; an unchanged re-sync within
2x of the bare parse (it writes nothing); memory flat in the account count.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ["Acct #", "Location", "Primary Ins", "Balance", "Pat Bal", "Ins Bal", "Ins Est",
          "Current", "31-60", "61-90", "91-120", "120+", "Last Stmt", "Last Pmt"]
PAYERS = ["VSP", "EyeMed", "Davis Vision", "Medicare", "Aetna", ""]


def write_export(path: Path, n: int, seed: int = 7, *, reordered: bool = False) -> None:
    """`n` accounts; `reordered`: the same accounts and amounts, rows in another order (a
    re-export whose bytes differ from the first file)."""
    rnd = random.Random(seed)
    order = list(range(n))
    if reordered:
        random.Random(seed + 1).shuffle(order)
    rows: dict[int, list[str]] = {}
    for i in range(n):
        b = [rnd.randrange(0, 20000) for _ in range(5)]
        total = sum(b)
        patient = rnd.randrange(0, total + 1)
        cells = [f"{c // 100}.{c % 100:02d}" for c in (total, patient, total - patient,
                                                      total - patient, *b)]
        rows[i] = [f"ACC{i:07d}", rnd.choice(["Main", "North"]), rnd.choice(PAYERS),
                   *cells, "11/02/2026", ""]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows[i] for i in order)
    stamp = time.time() + (60 if reordered else 0)
    os.utime(path, (stamp, stamp))


def _peak_mib() -> float:
    """This process's own high-water mark (VmHWM; ru_maxrss would carry a parent's peak)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    """CPU (this process, all threads) and wall seconds of the timed part only."""

    cpu = wall = 0.0

    def __enter__(self) -> Clock:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = time.process_time() - self.cpu
        self.wall = time.perf_counter() - self.wall


async def _database(url: str, folder: Path) -> tuple[int, int]:
    from gateway.admin.connectors import create_connector
    from gateway.admin.practices import create_practice
    from gateway.db.engine import session_scope
    from gateway.db.migrate import upgrade

    await asyncio.to_thread(upgrade, url)
    async with session_scope(url) as s:
        pid = await create_practice(s, "Bench")
        cid = await create_connector(s, pid, "compulink", "c", {"balances": {
            "remote": {"transport": "local"}, "folder": str(folder), "schedule": "off"}})
    return pid, cid


def step_bare_parse(export: Path, url: str) -> tuple[int, Clock]:
    with Clock() as clock, export.open(newline="") as fh:
        n = sum(1 for _ in csv.reader(fh)) - 1
    return n, clock


def step_parse(export: Path, url: str) -> tuple[int, Clock]:
    from gateway.balances.reader import read_balances
    from gateway.plugins.compulink.format import BALANCES

    with Clock() as clock:
        n = len(read_balances(BALANCES, export.name, str(export)).rows)
    return n, clock


def step_bare_insert(export: Path, url: str) -> tuple[int, Clock]:
    async def go() -> tuple[int, Clock]:
        from sqlalchemy import Table, insert

        from gateway.balances.diff import named, values_of
        from gateway.balances.models import AccountBalance, BalanceSync
        from gateway.balances.reader import read_balances
        from gateway.db.engine import session_scope
        from gateway.plugins.compulink.format import BALANCES

        rows = read_balances(BALANCES, export.name, str(export)).rows  # not timed
        pid, cid = await _database(url, export.parent)
        with Clock() as clock:
            async with session_scope(url) as s:
                sync = BalanceSync(practice_id=pid, connector_id=cid, seq=1, source_name="x",
                                   sha256="x", problems=[], totals={})
                s.add(sync)
                await s.flush()
                data = [{"practice_id": pid, "connector_id": cid, "account": r.account,
                         "status": "open", "last_sync_id": sync.id, **named(values_of(r))}
                        for r in rows]
                for i in range(0, len(data), 5000):
                    await s.execute(insert(cast(Table, AccountBalance.__table__)),
                                    data[i:i + 5000])
        return len(data), clock

    return asyncio.run(go())


def step_setup(export: Path, url: str) -> tuple[int, Clock]:
    """Not measured: the database and its first sync, for the re-sync step."""
    async def go() -> int:
        from gateway.balances.service import sync_connector
        from gateway.db.engine import session_scope

        pid, cid = await _database(url, export.parent)
        async with session_scope(url) as s:
            return (await sync_connector(s, pid, cid)).accounts

    return asyncio.run(go()), Clock()


def step_sync(export: Path, url: str, fresh: bool) -> tuple[int, Clock]:
    async def go() -> tuple[int, Clock]:
        from gateway.balances.service import sync_connector
        from gateway.core.hooks import get_hooks
        from gateway.db.engine import session_scope

        pid, cid = (await _database(url, export.parent)) if fresh else (1, 1)
        get_hooks()  # a serving process has its plugins loaded before any job runs
        with Clock() as clock:
            async with session_scope(url) as s:
                result = await sync_connector(s, pid, cid)
        if not fresh:
            assert result.sync_id is None, "the unchanged re-sync wrote a sync"
        return int(result.accounts), clock

    return asyncio.run(go())


STEPS = {
    "bare parse (csv.reader)": step_bare_parse,
    "parse (plugin layout)": step_parse,
    "bare bulk insert": step_bare_insert,
    "setup": step_setup,
    "first sync": lambda e, u: step_sync(e, u, True),
    "unchanged re-sync": lambda e, u: step_sync(e, u, False),
}


def child(step: str, export: Path, url: str) -> None:
    n, clock = STEPS[step](export, url)
    print(json.dumps({"rows": n, "cpu": clock.cpu, "wall": clock.wall,
                      "rss_mib": _peak_mib()}))


class Backends:
    """A fresh database per measured step: a SQLite file, or a PostgreSQL database."""

    def __init__(self, tmp: Path, names: list[str]) -> None:
        self.tmp, self.names, self.count = tmp, names, 0
        self.pg: Any = None
        if "postgresql" in names:
            sys.path.insert(0, str(ROOT / "tests"))
            from support.postgres import PostgresServer

            self.pg = PostgresServer().start()

    def fresh(self, backend: str) -> str:
        self.count += 1
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.tmp / f'bench{self.count}.db'}"
        import asyncpg

        async def create() -> None:
            conn = await asyncpg.connect(self.pg.psql_url())
            try:
                await conn.execute(f'CREATE DATABASE "bench{self.count}"')
            finally:
                await conn.close()

        asyncio.run(create())
        return str(self.pg.url(f"bench{self.count}"))

    def stop(self) -> None:
        if self.pg is not None:
            self.pg.stop()


def measure(step: str, export: Path, url: str) -> dict[str, Any]:
    p = subprocess.run([sys.executable, __file__, "--step", step, "--file", str(export),
                        "--url", url], capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise SystemExit(f"{step} failed:\n{p.stderr[-3000:]}")
    return dict(json.loads(p.stdout.strip().splitlines()[-1]))


def run_size(scale: int, backends: Backends, tmp: Path, full: bool) -> dict[str, Any]:
    folder = tmp / f"export{scale}"
    folder.mkdir()
    export = folder / "balances.csv"
    write_export(export, scale)
    out: dict[str, Any] = {}
    if full:
        out["bare parse (csv.reader)"] = measure("bare parse (csv.reader)", export, "")
        out["parse (plugin layout)"] = measure("parse (plugin layout)", export, "")
    for backend in backends.names:
        if full:
            out[f"{backend}: bare bulk insert"] = measure("bare bulk insert", export,
                                                          backends.fresh(backend))
        out[f"{backend}: first sync"] = measure("first sync", export, backends.fresh(backend))
        url = backends.fresh(backend)
        measure("setup", export, url)
        out[f"{backend}: unchanged re-sync"] = measure("unchanged re-sync", export, url)
        write_export(export, scale, reordered=True)
        out[f"{backend}: unchanged re-export"] = measure("unchanged re-sync", export, url)
        write_export(export, scale)
    return out


def report(scale: int, small: int, results: dict[str, Any], memory: dict[str, Any],
           backends: list[str]) -> None:
    print(f"{scale} accounts; load average {os.getloadavg()[0]:.2f} "
          f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(f"| step | CPU s | wall s | accounts/s (CPU) | peak RSS MiB at {scale} "
          f"| peak RSS MiB at {small} |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        small_rss = memory.get(name, {}).get("rss_mib")
        print(f"| {name} | {r['cpu']:.2f} | {r['wall']:.2f} | {r['rows'] / r['cpu']:.0f} "
              f"| {r['rss_mib']:.0f} | {'' if small_rss is None else f'{small_rss:.0f}'} |")
    bare, parse = results["bare parse (csv.reader)"], results["parse (plugin layout)"]
    for backend in backends:
        first = results[f"{backend}: first sync"]
        insert = results[f"{backend}: bare bulk insert"]
        again = results[f"{backend}: unchanged re-sync"]
        export = results[f"{backend}: unchanged re-export"]
        for clock in ("cpu", "wall"):
            print(f"{backend} ({clock}): first sync / (parse + bare insert) = "
                  f"{first[clock] / (parse[clock] + insert[clock]):.2f} (target <= 3); "
                  f"unchanged re-sync / bare parse = {again[clock] / bare[clock]:.2f}, "
                  f"re-export {export[clock] / bare[clock]:.2f} (target <= 2)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=100_000, help="accounts in the export")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--step")
    ap.add_argument("--file")
    ap.add_argument("--url")
    args = ap.parse_args()
    if args.step:
        child(args.step, Path(args.file), args.url)
        return
    names = args.backends.split(",")
    small = max(args.scale // 5, 1)
    with tempfile.TemporaryDirectory() as tmp:
        backends = Backends(Path(tmp), names)
        try:
            results = run_size(args.scale, backends, Path(tmp), full=True)
            memory = run_size(small, backends, Path(tmp), full=False)
        finally:
            backends.stop()
    report(args.scale, small, results, memory, names)


if __name__ == "__main__":
    main()
