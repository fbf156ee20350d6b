"""Balance sync benchmark: a 100k-account export synced into SQLite, first and unchanged
second run, beside a bare `csv.reader` pass over the same file and a bare bulk insert of the
same rows, all in the same run. Each step runs in its own subprocess so its peak RSS is its own.

    .venv/bin/python benchmarks/balances.py              # 100k accounts
    .venv/bin/python benchmarks/balances.py --scale 20000

Targets (issue 12): first sync within 3x of parse + bare insert; an unchanged re-sync within
2x of the bare parse (it writes nothing); memory flat in the account count.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ["Acct #", "Location", "Primary Ins", "Balance", "Pat Bal", "Ins Bal", "Ins Est",
          "Current", "31-60", "61-90", "91-120", "120+", "Last Stmt", "Last Pmt"]
PAYERS = ["VSP", "EyeMed", "Davis Vision", "Medicare", "Aetna", ""]


def write_export(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            b = [rnd.randrange(0, 20000) for _ in range(5)]
            total = sum(b)
            patient = rnd.randrange(0, total + 1)
            cells = [f"{c // 100}.{c % 100:02d}" for c in (total, patient, total - patient,
                                                          total - patient, *b)]
            w.writerow([f"ACC{i:07d}", rnd.choice(["Main", "North"]), rnd.choice(PAYERS),
                        *cells, "11/02/2026", ""])


async def _database(tmp: Path) -> tuple[str, int, int]:
    from gateway.admin.connectors import create_connector
    from gateway.admin.practices import create_practice
    from gateway.db.engine import session_scope
    from gateway.db.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    await asyncio.to_thread(upgrade, url)
    async with session_scope(url) as s:
        pid = await create_practice(s, "Bench")
        cid = await create_connector(s, pid, "compulink", "c", {"balances": {
            "remote": {"transport": "local"}, "folder": str(tmp), "schedule": "off"}})
    return url, pid, cid


def step_bare_parse(export: Path, tmp: Path) -> int:
    with export.open(newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def step_parse(export: Path, tmp: Path) -> int:
    from gateway.balances.reader import read_balances
    from gateway.plugins.compulink.format import BALANCES

    return len(read_balances(BALANCES, export.name, str(export)).rows)


def step_bare_insert(export: Path, tmp: Path) -> int:
    async def go() -> int:
        from sqlalchemy import insert

        from gateway.balances.diff import named, values_of
        from gateway.balances.models import AccountBalance, BalanceSync
        from gateway.balances.reader import read_balances
        from gateway.db.engine import session_scope
        from gateway.plugins.compulink.format import BALANCES

        rows = read_balances(BALANCES, export.name, str(export)).rows  # not timed
        url, pid, cid = await _database(tmp)
        async with session_scope(url) as s:
            s.add(BalanceSync(practice_id=pid, connector_id=cid, seq=1, source_name="x",
                              sha256="x", problems=[], totals={}))
            await s.flush()
            started = time.perf_counter()
            data = [{"practice_id": pid, "connector_id": cid, "account": r.account,
                     "status": "open", "last_sync_id": 1, **named(values_of(r))} for r in rows]
            for i in range(0, len(data), 5000):
                await s.execute(insert(AccountBalance.__table__), data[i:i + 5000])
        print(json.dumps({"timed": time.perf_counter() - started}), file=sys.stderr)
        return len(data)

    return asyncio.run(go())


def step_sync(export: Path, tmp: Path, runs: int) -> int:
    async def go() -> int:
        from gateway.balances.service import sync_connector
        from gateway.db.engine import session_scope

        url, pid, cid = await _database(tmp)
        result: Any = None
        for run in range(runs):
            started = time.perf_counter()
            async with session_scope(url) as s:
                result = await sync_connector(s, pid, cid)
            if run == runs - 1:
                print(json.dumps({"timed": time.perf_counter() - started}), file=sys.stderr)
        return int(result.accounts)

    return asyncio.run(go())


STEPS = {
    "bare parse (csv.reader)": lambda e, t: step_bare_parse(e, t),
    "parse (plugin layout)": lambda e, t: step_parse(e, t),
    "bare bulk insert": lambda e, t: step_bare_insert(e, t),
    "first sync": lambda e, t: step_sync(e, t, 1),
    "unchanged re-sync": lambda e, t: step_sync(e, t, 2),
}


def run_step(name: str, scale: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "balances.csv"
        write_export(export, scale)
        p = subprocess.run([sys.executable, __file__, "--step", name, "--file", str(export)],
                           capture_output=True, text=True, check=True)
        out = json.loads(p.stdout.strip().splitlines()[-1])
        timed = [json.loads(line) for line in p.stderr.splitlines() if line.startswith("{")]
        if timed:
            out["seconds"] = timed[-1]["timed"]
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=100_000, help="accounts in the export")
    ap.add_argument("--step")
    ap.add_argument("--file")
    args = ap.parse_args()
    if args.step:
        export = Path(args.file)
        started = time.perf_counter()
        n = STEPS[args.step](export, export.parent)
        seconds = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(json.dumps({"rows": n, "seconds": seconds, "rss_mb": rss}))
        return
    results = {name: run_step(name, args.scale) for name in STEPS}
    bare = results["bare parse (csv.reader)"]["seconds"]
    floor_first = results["parse (plugin layout)"]["seconds"] + results["bare bulk insert"][
        "seconds"]
    print(f"{args.scale} accounts, SQLite")
    print(f"{'step':<26}{'seconds':>9}{'accounts/s':>12}{'peak RSS MB':>13}{'x bare parse':>14}")
    for name, r in results.items():
        print(f"{name:<26}{r['seconds']:>9.2f}{r['rows'] / r['seconds']:>12.0f}"
              f"{r['rss_mb']:>13}{r['seconds'] / bare:>14.1f}")
    print(f"first sync / (parse + bare insert) = "
          f"{results['first sync']['seconds'] / floor_first:.2f} (target <= 3)")
    print(f"unchanged re-sync / bare parse = "
          f"{results['unchanged re-sync']['seconds'] / bare:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
