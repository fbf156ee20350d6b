"""API list pages beside /health, and /health while a large receipts import runs (SQLite).

    .venv/bin/python benchmarks/api.py                       # 100k claims/receipts, 10k deposits
    .venv/bin/python benchmarks/api.py --claims 10000 --receipts 10000 --deposits 1000 \
        --import-rows 20000 --requests 40

A fresh migrated database is filled with plain sqlite3 (benchmarks/receipts.py's data set plus
deposits); a real server (uvicorn, its own process) serves it. For each list endpoint the
first page and a deep page (100 rows each) are requested at concurrency 1 and 16, with
/health measured the same way in the same run as the baseline; then /health is timed while a
workbook of `--import-rows` receipts is uploaded and imported, and while 100k receipts are
exported (both run in the worker process, gateway.core.offload). The server's peak RSS (VmHWM)
is printed after each phase, so a run at two sizes shows whether memory stays flat.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from benchmarks.receipts import fill  # noqa: E402
from gateway.admin.practices import create_key  # noqa: E402
from gateway.db.engine import make_engine, make_sessionmaker  # noqa: E402
from gateway.db.migrate import upgrade  # noqa: E402
from tests.hardening.workbooks import many_rows_workbook  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTS = {"claims": "/api/claims", "deposits": "/api/deposits",
         "errors": "/api/posting-errors?include_resolved=true",
         "receipts": "/api/receipts?status=all", "accounts": "/api/accounts",
         "statement payments": "/api/statement-payments?date_from=2000-01-01"}


def add_deposits(path: str, n: int) -> None:
    """`n` deposits of practice 1; other NOT NULL columns get a plain value."""
    con = sqlite3.connect(path)
    cols = {row[1]: row for row in con.execute("PRAGMA table_info(deposits)")}
    values = {"practice_id": 1, "type": "ERA", "status": "New",
              "posted_status": "Not Disbursed", "credit_debit": "C", "amount": 10000,
              "plb_total": 0, "created_at": "2026-01-01 00:00:00",
              "updated_at": "2026-01-01 00:00:00"}
    names = ["id", "deposit_date", "check_trace_id", *[c for c in values if c in cols]]
    rows = [(i, f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", f"T{i:08d}",
             *[values[c] for c in names[3:]]) for i in range(1, n + 1)]
    con.executemany(f"INSERT INTO deposits ({', '.join(names)}) VALUES "
                    f"({', '.join('?' * len(names))})", rows)
    con.commit()
    con.close()


async def make_key(url: str) -> str:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            key = await create_key(s, 1, "bench@bench.test", "biller")
            await s.commit()
            return key
    finally:
        await engine.dispose()


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str, socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "gateway.api.app:create_app",
         "--fd", str(sock.fileno()), "--log-level", "warning", "--no-access-log"],
        pass_fds=[sock.fileno()], env={**os.environ, "GATEWAY_DATABASE_URL": url})
    return proc, f"http://127.0.0.1:{sock.getsockname()[1]}", sock


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


async def timed(client: httpx.AsyncClient, url: str, n: int, concurrency: int) -> list[float]:
    out: list[float] = []

    async def worker(count: int) -> None:
        for _ in range(count):
            start = time.perf_counter()
            r = await client.get(url)
            out.append(time.perf_counter() - start)
            assert r.status_code == 200, (url, r.status_code, r.text[:200])

    await asyncio.gather(*(worker(n // concurrency) for _ in range(concurrency)))
    return out


async def pages(base: str, key: str, requests: int) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits,
                                 timeout=120) as c:
        totals = {name: (await c.get(url)).json()["total"] for name, url in LISTS.items()}
        print(f"{'endpoint':34} {'conc':>4} {'p50 ms':>8} {'p99 ms':>8} {'x health p99':>12}")
        for conc in (1, 16):
            health = await timed(c, "/health", requests, conc)
            h99 = pct(health, 0.99)
            print(f"{'/health':34} {conc:4} {pct(health, 0.5):8.1f} {h99:8.1f} {1.0:12.1f}")
            for name, url in LISTS.items():
                deep = max(0, totals[name] - 100)
                for label, offset in (("first", 0), ("deep", deep)):
                    sep = "&" if "?" in url else "?"
                    got = await timed(c, f"{url}{sep}limit=100&offset={offset}", requests, conc)
                    print(f"{name + ' ' + label + ' (offset ' + str(offset) + ')':34} {conc:4} "
                          f"{pct(got, 0.5):8.1f} {pct(got, 0.99):8.1f} "
                          f"{pct(got, 0.99) / h99:12.1f}")


def health_during(base: str, label: str, call: Callable[[], httpx.Response]) -> None:
    """/health timed in a loop while `call` (an upload or an export) runs in a thread."""
    status: dict[str, object] = {}

    def run() -> None:
        r = call()
        status["code"] = r.status_code
        status["body"] = r.text[:200] if r.status_code != 200 else ""

    latencies: list[float] = []
    thread = threading.Thread(target=run)
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=60) as c:
        c.get("/health")
        idle = []
        for _ in range(100):
            t = time.perf_counter()
            c.get("/health")
            idle.append(time.perf_counter() - t)
        thread.start()
        while thread.is_alive():
            t = time.perf_counter()
            c.get("/health")
            latencies.append(time.perf_counter() - t)
    took = time.perf_counter() - started
    print(f"{label}: HTTP {status.get('code')} in {took:.1f} s; /health idle p99="
          f"{pct(idle, 0.99):.1f} ms; during it: n={len(latencies)} p50="
          f"{pct(latencies, 0.5):.1f} ms p99={pct(latencies, 0.99):.1f} ms "
          f"max={max(latencies) * 1000:.1f} ms")
    if status.get("code") != 200:
        print("  answer:", status.get("body"))


def health_during_import(base: str, key: str, workbook: Path, rows: int) -> None:
    def upload() -> httpx.Response:
        with open(workbook, "rb") as fh:
            return httpx.post(f"{base}/api/receipts/import", timeout=3600,
                              headers={"Authorization": f"Bearer {key}"},
                              files={"file": ("big.xlsx", fh, XLSX)})

    def export() -> httpx.Response:
        return httpx.get(f"{base}/api/receipts/export.xlsx?status=all&limit=100000",
                         timeout=3600, headers={"Authorization": f"Bearer {key}"})

    health_during(base, f"import of {rows} rows", upload)
    health_during(base, "export of 100000 rows", export)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--receipts", type=int, default=100_000)
    ap.add_argument("--deposits", type=int, default=10_000)
    ap.add_argument("--import-rows", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=160, help="per endpoint and concurrency")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        path = f"{tmp}/api.db"
        url = f"sqlite+aiosqlite:///{path}"
        t = time.perf_counter()
        upgrade(url)
        fill(path, args.receipts, args.claims)
        add_deposits(path, args.deposits)
        key = asyncio.run(make_key(url))
        workbook = Path(tmp) / "big.xlsx"
        workbook.write_bytes(many_rows_workbook(args.import_rows))
        print(f"filled {args.claims} claims, {args.receipts} receipts, {args.deposits} "
              f"deposits in {time.perf_counter() - t:.1f} s; load average "
              f"{os.getloadavg()[0]:.2f}")
        proc, base, sock = start_server(url)
        try:
            asyncio.run(pages(base, key, args.requests))
            print(f"server peak RSS after the pages: {peak_rss_mb(proc.pid):.0f} MB")
            health_during_import(base, key, workbook, args.import_rows)
            print(f"server peak RSS after the import: {peak_rss_mb(proc.pid):.0f} MB; "
                  f"load average {os.getloadavg()[0]:.2f}")
        finally:
            proc.terminate()
            proc.wait(timeout=60)
            sock.close()


if __name__ == "__main__":
    main()
