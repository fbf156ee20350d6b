"""Statement ePayments on SQLite: a Data Media file imported and auto-posted, payments/s and
peak RSS, beside posting the same receipts directly through the receipt engine in the same run.

    .venv/bin/python benchmarks/statement_payments.py               # 50k payments, 100k claims
    .venv/bin/python benchmarks/statement_payments.py --scale 0.2   # 10k payments, 20k claims
    .venv/bin/python benchmarks/statement_payments.py --scale 2     # 100k payments, 200k claims
    .venv/bin/python benchmarks/statement_payments.py --per-receipt # also create_receipt x N

A migrated database is filled (in a child process, plain sqlite3: not measured; the setup
`receipt_data` shares with `receipts.py`) with one practice, a patient per payment with a
statement, two statement-level claims per patient of two lines each, every line owing a
patient balance. It is copied, and each phase runs in its
own process on its own copy (its peak RSS is that process's own high-water mark, VmHWM; the
interpreter with the gateway imported is about 80 MB of it):

* baseline: the same receipts posted directly through the receipt service's bulk path,
  `record_many` then `reconcile` on them, 1000 at a time as the import does, one
  transaction: the floor the import's own work (file, payments, history, deposit) adds to;
* per receipt (`--per-receipt`): `create_receipt(reconcile_now=False)` once per payment, then
  `reconcile`: what one receipt costs through the single-receipt path (slow: a query per
  reference, a flush per receipt);
* import: the file checked with the Data Media layout (the plugin's first pass, no payment
  kept) and `import_payment_file` reading it again 1000 payments at a time (payments, status
  history, the receipts, the engine, the Statement deposit), one transaction.

Target: the import within 1.5x of the baseline's time, and memory flat (the file is streamed
a chunk at a time, and every 1000 payments the rows are written, the chunk's receipts run
through the engine and let go: nothing is kept per payment, so the peak RSS is the same at
10k, 50k and 100k payments).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import os
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import receipt_data as data  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from gateway.core.records import RemoteFile  # noqa: E402
from gateway.db.engine import make_engine, make_sessionmaker  # noqa: E402
from gateway.receipts import service as receipts  # noqa: E402
from gateway.receipts.enums import Behaviour, Source  # noqa: E402
from gateway.receipts.models import Receipt, ReceiptApplication  # noqa: E402
from gateway.receipts.schemas import ReceiptIn, ReceiptTypeIn  # noqa: E402

DAY = dt.date(2026, 11, 20)
BASE = dt.date(2026, 1, 5)


def fill(path: str, n_payments: int, n_claims: int, seed: int = 11) -> None:
    """The practice, patients, statements, claims, lines and patient balances."""
    rnd = random.Random(seed)
    con = data.database(path)
    data.add_patients(con, n_payments)
    con.executemany("INSERT INTO patient_statements (practice_id, statement_id, patient_id)"
                    " VALUES (1, ?, ?)", ((f"S{i:07d}", i) for i in range(1, n_payments + 1)))
    per_patient = max(1, n_claims // n_payments)
    claims = data.Claims(con)
    for p in range(1, n_payments + 1):
        for _ in range(per_patient):
            dos = BASE + dt.timedelta(days=rnd.randrange(0, 270))
            claims.claim(p, dos, "Statement", "Statement")
            for n in (1, 2):
                charge = rnd.randrange(5000, 30000)
                claims.line(n, "92014", charge, rnd.randrange(1000, 6000), copay=False, dos=dos)
        claims.maybe_flush()
    claims.flush()
    data.finish(con)


def payments(n: int, seed: int = 5) -> list[tuple[str, str, Decimal]]:
    """(transaction id, patient account, amount) of the file, the same for both phases."""
    rnd = random.Random(seed)
    return [(f"T{i:08d}", f"P{i:07d}", Decimal(rnd.randrange(500, 9000)).scaleb(-2))
            for i in range(1, n + 1)]


def write_payment_file(path: Path, n: int) -> None:
    from gateway.plugins.datamedia_statements.format import write_file

    rows = ({"payment_id": tx, "status_code": "2", "status": "Settled",
             "payment_date": DAY.isoformat(), "estimated_settle_date": "", "is_debit": "0",
             "amount": f"{amount:.2f}", "payment_type": "CC", "customer_id": "",
             "customer_first_name": "", "customer_last_name": "",
             "authorization_trace": f"A{tx}", "invoice_number": "",
             "statement_id": "S" + account[1:], "patient_account": account, "narration": ""}
            for tx, account, amount in payments(n))
    path.write_text(write_file("BENCH", DAY, rows))


async def _bulk(url: str, n: int) -> str:
    from gateway.statements.importer import ensure_receipt_type

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            await ensure_receipt_type(s, 1, "bench")
            patient_of = dict((await s.execute(select_patients())).tuples().all())
            every = payments(n)
            for start in range(0, n, 1000):
                made = await receipts.record_many(s, 1, "Statement Payment",
                                                  Source.STATEMENT_EPAYMENT, [
                    receipts.NewReceipt(key=f"epayment|{tx}", patient_id=patient_of[account],
                                        patient_account=account, received_on=DAY,
                                        amount=amount, method="card", check_number=f"A{tx}",
                                        statement_id="S" + account[1:])
                    for tx, account, amount in every[start:start + 1000]], actor="bench",
                    today=DAY)
                await receipts.reconcile(s, 1, made.values(), today=DAY, keep_results=False)
                s.expunge_all()
            await s.commit()
        return await _outcome(engine)
    finally:
        await engine.dispose()


async def _direct(url: str, n: int) -> str:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            await receipts.create_type(s, 1, ReceiptTypeIn(name="Statement Payment",
                                                           behaviour=Behaviour.GENERAL), "bench")
            ids = []
            patient_of = dict((await s.execute(select_patients())).tuples().all())
            for tx, account, amount in payments(n):
                ids.append(await receipts.create_receipt(s, 1, ReceiptIn(
                    received_on=DAY, amount=amount, type="Statement Payment", method="card",
                    source=Source.STATEMENT_EPAYMENT, patient_id=patient_of[account],
                    check_number=f"A{tx}", statement_id="S" + account[1:]),
                    actor="bench", today=DAY, reconcile_now=False, dedupe=False))
                if len(ids) % 1000 == 0:
                    await s.flush()
                    s.expunge_all()
            await receipts.reconcile(s, 1, ids, today=DAY, keep_results=False)
            await s.commit()
        return await _outcome(engine)
    finally:
        await engine.dispose()


def select_patients() -> Any:
    from gateway.db.models import Patient

    return select(Patient.account, Patient.id).where(Patient.practice_id == 1)


async def _import(url: str, file_path: str) -> str:
    from gateway.plugins.datamedia_statements import read
    from gateway.plugins.datamedia_statements.config import DataMediaConfig
    from gateway.statements.importer import import_payment_file

    data = Path(file_path).read_bytes()
    remote = RemoteFile(name="bench.csv", kind="statement_payments", local_path=file_path,
                        size=len(data), sha256=hashlib.sha256(data).hexdigest())
    del data
    engine = make_engine(url)
    try:
        spf = await asyncio.to_thread(read, DataMediaConfig(transport="local"), remote)
        assert spf.error is None, spf.error
        async with make_sessionmaker(engine)() as s:
            res = await import_payment_file(s, 1, spf, actor="bench", today=DAY)
            await s.commit()
        return f"deposit {res.deposit_id}, posted {res.posted}; " + await _outcome(engine)
    finally:
        await engine.dispose()


async def _outcome(engine: Any) -> str:
    async with make_sessionmaker(engine)() as s:
        apps = await s.scalar(select(func.count()).select_from(ReceiptApplication))
        by_status = dict((await s.execute(
            select(Receipt.status, func.count()).group_by(Receipt.status))).tuples().all())
    return f"receipts {by_status}, {apps} applications"


def _phase(name: str, url: str, n: int, file_path: str, out: Any) -> None:
    data.warm(url.split("///", 1)[1])
    start, cpu = time.perf_counter(), time.process_time()
    work = {"bulk": lambda: _bulk(url, n), "direct": lambda: _direct(url, n),
            "import": lambda: _import(url, file_path)}[name]
    note = asyncio.run(work())
    out.put((time.perf_counter() - start, time.process_time() - cpu, data.peak_rss_mb(), note))


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0,
                    help="fraction of 50k payments / 100k claims")
    ap.add_argument("--per-receipt", action="store_true",
                    help="also time create_receipt once per payment (slow)")
    args = ap.parse_args()
    n_payments = max(10, int(50_000 * args.scale))
    n_claims = max(20, int(100_000 * args.scale))
    tmp = tempfile.TemporaryDirectory()
    base = Path(tmp.name)
    seed_db = base / "seed.db"
    t = time.perf_counter()
    data.seed(str(seed_db), fill, n_payments, n_claims)
    file_path = base / "bench.csv"
    write_payment_file(file_path, n_payments)
    print(f"setup: {n_payments} payments ({file_path.stat().st_size / 1e6:.1f} MB file), "
          f"{n_claims} claims, {2 * n_claims} lines in {time.perf_counter() - t:.1f} s "
          "(not measured)")
    rows = []
    phases = [("bulk", "baseline: the same receipts posted directly")]
    if args.per_receipt:
        phases.append(("direct", "the same, create_receipt once per receipt"))
    phases.append(("import", "Data Media file imported and auto-posted"))
    for name, title in phases:
        db = base / f"{name}.db"
        shutil.copy(seed_db, db)
        secs, cpu, rss, note = data.in_process(_phase, name, f"sqlite+aiosqlite:///{db}",
                                               n_payments, str(file_path))
        print(f"{name}: {note}")
        rows.append((title, secs, cpu, rss))
    print()
    print(f"| {'phase':<44} | {'payments':>8} | {'seconds':>8} | {'CPU s':>7} | "
          f"{'payments/s':>10} | {'peak RSS MB':>11} |")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|{'-' * 9}|{'-' * 12}|{'-' * 13}|")
    for title, secs, cpu, rss in rows:
        print(f"| {title:<44} | {n_payments:>8} | {secs:>8.2f} | {cpu:>7.2f} "
              f"| {n_payments / secs:>10.0f} | {rss:>11.0f} |")
    wall, cpu_ratio = rows[-1][1] / rows[0][1], rows[-1][2] / rows[0][2]
    per = ", ".join(f"{title.split(':')[0].split(',')[-1].strip()} "
                    f"{secs / n_payments * 1e3:.2f} ms" for title, secs, _, _ in rows)
    print(f"\nimport / baseline: {wall:.2f}x wall, {cpu_ratio:.2f}x CPU (target <= 1.5x); "
          f"per receipt: {per}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
