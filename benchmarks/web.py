"""The page under load: p50 / p99 of the dashboard, the claim-error queue, the deposit list
and a deposit's details, beside `/health` in the same run, on SQLite.

    .venv/bin/python benchmarks/web.py                       # 100k claims, 100k deposits
    .venv/bin/python benchmarks/web.py --claims 20000 --deposits 20000 --requests 200

A fresh SQLite file is migrated and filled with bulk inserts: one practice, `--claims`
claims (one line each) over claims/5 patients, `--deposits` ERA deposits of one claim each
(every tenth with an open Claim Not Found error, so the claim queue is long), and one large
deposit of 2,000 claims whose details page shows its first 50. A real `gateway serve`
(uvicorn) serves it on 127.0.0.1; a biller signs in through the page; then each URL is
requested `--requests` times (after 10 warm-up requests), in rounds that ask every URL once
so load on the shared machine falls on the baseline and the pages alike; the wall-clock time
per request is measured by the client. Then each URL is asked `--requests` times in a row and
the server process's CPU time per request is read from /proc (contention cannot inflate it).
Target: p99 < 150 ms and within 10x of `/health`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from sqlalchemy import create_engine, insert  # noqa: E402

from gateway.db.migrate import upgrade  # noqa: E402

EMAIL, PASSWORD = "bench.biller@bench.test", "bench password 1"
BIG_DEPOSIT_CLAIMS = 2000


def _totals(n_claims: int, open_error: bool) -> dict[str, Any]:
    """The stored totals of a deposit of `n_claims` claims paying 100.00 each, unposted."""
    return {"claim_count": n_claims, "posted_claim_count": 0,
            "payments_total": Decimal("100.00") * n_claims, "exclusions_total": Decimal("0.00"),
            "adjustments_total": Decimal("0.00"), "open_error_count": int(open_error)}


def _fill(path: Path, n_claims: int, n_deposits: int) -> int:
    """Bulk-insert the data set; returns the id of the large deposit."""
    from gateway.db.models import Connector, Location, Patient, Payer, Practice, User
    from gateway.ledger.models import Claim, ClaimLine
    from gateway.posting.models import Deposit, DepositClaim, DepositProcedure, PostingError
    from gateway.web.accounts import hash_password

    eng = create_engine(f"sqlite:///{path}")
    now = dt.datetime.now(dt.UTC)
    with eng.begin() as c:
        c.execute(insert(Practice), [{"id": 1, "name": "Bench Eye", "settings": {},
                                                "created_at": now}])
        c.execute(insert(Location), [{"id": 1, "practice_id": 1, "name": "Main"}])
        c.execute(insert(Payer), [{"id": 1, "practice_id": 1, "name": "Acme Health",
                                             "normalized_name": "acme health",
                                             "payer_id": "ACME1"}])
        c.execute(insert(User), [{"practice_id": 1, "email": EMAIL, "role": "biller",
                                            "password_hash": hash_password(PASSWORD)}])
        c.execute(insert(Connector), [{"practice_id": 1, "plugin": "clearinghouse_sftp",
                                                 "name": "Clearinghouse", "config": {}}])
        n_pat = max(n_claims // 5, 1)
        c.execute(insert(Patient), [{"id": i, "practice_id": 1, "account": f"P{i}"}
                                              for i in range(1, n_pat + 1)])
        dos = dt.date(2026, 1, 5)
        for start in range(1, n_claims + 1, 20000):
            ids = range(start, min(start + 20000, n_claims + 1))
            c.execute(insert(Claim), [{
                "id": i, "practice_id": 1, "location_id": 1, "patient_id": 1 + i % n_pat,
                "payer_id": 1, "patient_control_number": f"PCN{i}", "service_date_from": dos,
                "diagnosis_codes": []} for i in ids])
            c.execute(insert(ClaimLine), [{
                "id": i, "claim_id": i, "line_number": 1, "procedure_code": "92014",
                "modifiers": [], "charge": Decimal("150.00"), "diagnosis_pointers": [1]}
                for i in ids])
        total = n_deposits + 1
        for start in range(1, total + 1, 20000):
            ids = range(start, min(start + 20000, total + 1))
            c.execute(insert(Deposit), [{
                "id": i, "practice_id": 1, "type": "ERA", "status": "New",
                "deposit_date": dos + dt.timedelta(days=i % 300), "check_trace_id": f"T{i}",
                "payer_id": 1, "amount": Decimal("100.00") * (BIG_DEPOSIT_CLAIMS if i == total
                                                              else 1),
                "era_payer_name": "ACME HEALTH", "file_name": f"era{i // 1000}.835",
                # the totals gateway.posting.deposit_totals keeps (what its claims sum to)
                **_totals(BIG_DEPOSIT_CLAIMS if i == total else 1, i % 10 == 1 and i < total)}
                for i in ids])
        rows = [(d, 1, d) for d in range(1, n_deposits + 1)]
        rows += [(total, s, n_deposits + s) for s in range(1, BIG_DEPOSIT_CLAIMS + 1)]
        for start in range(0, len(rows), 20000):
            chunk = rows[start:start + 20000]
            c.execute(insert(DepositClaim), [{
                "id": dc_id, "deposit_id": dep, "practice_id": 1, "sequence": seq,
                "claim_xref": f"PCN{1 + dc_id % n_claims}", "claim_id": 1 + dc_id % n_claims,
                "remit_status": "1", "charged": Decimal("150.00"), "paid": Decimal("100.00"),
                "overrides": {}} for dep, seq, dc_id in chunk])
            c.execute(insert(DepositProcedure), [{
                "id": dc_id, "deposit_claim_id": dc_id, "sequence": 1, "procedure_code": "92014",
                "modifiers": [], "original_modifiers": [], "charged": Decimal("150.00"),
                "paid": Decimal("100.00"), "overrides": {}} for _, _, dc_id in chunk])
        c.execute(insert(PostingError), [{
            "practice_id": 1, "deposit_id": d, "deposit_claim_id": d, "level": "claim",
            "type": "Claim Not Found", "message": f"claim PCN{d}: no claim matches",
            "detail": {"candidates": []}} for d in range(1, n_deposits + 1, 10)])
    eng.dispose()
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, port: int, cwd: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--no-scheduler"], env={**os.environ, "GATEWAY_DATABASE_URL": url},
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=cwd)
    assert proc.stderr is not None
    for line in proc.stderr:
        if "Uvicorn running on" in line:
            break
    else:
        raise SystemExit("the server did not start")
    # uvicorn's access log goes to stderr: drain it so the server never blocks
    import threading

    stderr = proc.stderr
    threading.Thread(target=lambda: [None for _ in stderr], daemon=True).start()
    return proc


def _sign_in(client: httpx.Client) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    r = client.post("/login", data={"email": EMAIL, "password": PASSWORD,
                                    "csrf_token": token.group(1), "next": "/"})
    assert r.status_code == 303, r.text


def _cpu_ms(pid: int) -> float:
    """The server process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _time(client: httpx.Client, paths: list[str], n: int) -> dict[str, list[float]]:
    """Wall clock per request, in rounds: each round asks every path once, so a burst of
    load on the shared machine falls on the baseline and the pages alike."""
    for path in paths:
        for _ in range(10):
            assert client.get(path).status_code == 200, path
    out: dict[str, list[float]] = {p: [] for p in paths}
    for _ in range(n):
        for path in paths:
            t = time.perf_counter()
            r = client.get(path)
            out[path].append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (path, r.status_code)
    return out


def _cpu(client: httpx.Client, pid: int, path: str, n: int) -> float:
    """Server CPU ms per request of one path (n requests in a row): what contention for the
    machine's cores cannot inflate the way it inflates wall clock."""
    start = _cpu_ms(pid)
    for _ in range(n):
        client.get(path)
    return (_cpu_ms(pid) - start) / n


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if q < 100 \
        else max(values)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--deposits", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        t = time.perf_counter()
        big = _fill(path, args.claims, args.deposits)
        print(f"filled {args.claims} claims, {args.deposits} deposits (+1 of "
              f"{BIG_DEPOSIT_CLAIMS} claims) in {time.perf_counter() - t:.1f} s")
        proc = _serve(url, port := _free_port(), Path(tmp))
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                _sign_in(client)
                pages: list[tuple[str, str]] = [
                    ("/health (baseline)", "/health"), ("dashboard", "/"),
                    ("claim-error queue", "/queues/claim"), ("deposit list", "/deposits"),
                    (f"deposit details ({BIG_DEPOSIT_CLAIMS} claims, page 1)",
                     f"/deposits/{big}")]
                walls = _time(client, [p for _, p in pages], args.requests)
                results: dict[str, Any] = {name: walls[p] for name, p in pages}
                cpu = {name: _cpu(client, proc.pid, p, args.requests) for name, p in pages}
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    base = results["/health (baseline)"]
    base_cpu = cpu["/health (baseline)"]
    print(f"\n{args.requests} rounds, each asking every URL once, one request at a time; "
          "client-side wall clock (ms), then the server's CPU per request (ms, "
          f"{args.requests} in a row)\n")
    print(f"{'page':40} {'p50':>6} {'p99':>6} {'p50/h':>6} {'p99/h':>6} {'cpu':>6} {'cpu/h':>6}")
    for name, values in results.items():
        print(f"{name:40} {_p(values, 50):6.1f} {_p(values, 99):6.1f} "
              f"{_p(values, 50) / _p(base, 50):5.1f}x {_p(values, 99) / _p(base, 99):5.1f}x "
              f"{cpu[name]:6.2f} {cpu[name] / base_cpu:5.1f}x")
    print("\ntarget: p99 < 150 ms and within 10x of /health (p50 and p99)")


if __name__ == "__main__":
    main()
