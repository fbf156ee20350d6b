"""Killed -9 in the middle of an import (chunks written, the engine run on them, nothing
committed) and run again: every payment, status, receipt and balance is as if the file was
imported once. On SQLite and on PostgreSQL, each import in a process of its own."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gateway.admin.practices import create_practice
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.models import ImportedFile
from gateway.ledger.balances import line_balances
from gateway.posting.models import Deposit
from gateway.receipts.models import Receipt, ReceiptApplication
from gateway.statements.models import StatementPaymentEvent, StatementPaymentRecord
from tests.statements import helpers as h

# The import, two payments a chunk; with "stop", it says so after its second chunk is written
# (receipts recorded and run through the engine) and waits to be killed.
SCRIPT = """
import asyncio, datetime as dt, json, sys
from pathlib import Path
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.statements import importer
from tests.statements.helpers import as_file

importer.FLUSH_EVERY = 2
real, done = importer._apply_chunk, []

async def apply_then_maybe_stop(*args):
    await real(*args)
    done.append(1)
    if sys.argv[4] == "stop" and len(done) == 2:
        print("two chunks written", flush=True)
        sys.stdin.readline()  # killed here

importer._apply_chunk = apply_then_maybe_stop

async def main():
    engine = make_engine(sys.argv[1])
    path = Path(sys.argv[3])
    spf = as_file(path.parent, path.name, path.read_text())
    async with make_sessionmaker(engine)() as s:
        res = await importer.import_payment_file(s, int(sys.argv[2]), spf,
                                                 today=dt.date(2026, 11, 20))
        await s.commit()
    await engine.dispose()
    print(json.dumps({"status": res.status, "posted": res.posted}))

asyncio.run(main())
"""


def _import(url: str, pid: int, path: str, stop: bool) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, url, str(pid), path,
                             "stop" if stop else "run"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def _killed_then_run_again(url: str, tmp_path) -> None:
    engine = make_engine(url)
    try:
        maker = make_sessionmaker(engine)
        async with maker() as s:
            pid = await create_practice(s, "Kill Eye")
            claims = [(await h.patient_with_claim(s, pid, f"A{n}", "30.00", "20.00"))[0]
                      for n in range(4)]
            await s.commit()
        rows = [h.row(f"P{n}", "Settled", f"{10 + n}.00", account=f"A{n % 4}",
                      statement=f"S-A{n % 4}") for n in range(9)]
        rows.append(h.row("P0", "ChargeBack", "10.00", account="A0", statement="S-A0",
                          debit=True))
        path = tmp_path / "epay.csv"
        path.write_text(h.text(*rows))
        victim = _import(url, pid, str(path), stop=True)
        assert victim.stdout.readline().strip() == "two chunks written", victim.stderr.read()
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=60)
        assert victim.returncode == -signal.SIGKILL
        again = _import(url, pid, str(path), stop=False)
        out, err = again.communicate(timeout=180)
        assert again.returncode == 0, err
        assert json.loads(out) == {"status": "imported", "posted": 9}
        async with maker() as s:
            count = {m.__name__: await s.scalar(select(func.count()).select_from(m))
                     for m in (ImportedFile, StatementPaymentRecord, StatementPaymentEvent,
                               Receipt, Deposit)}
            # nine receipts and the charge-back's negative one; one file, one deposit
            assert count == {"ImportedFile": 1, "StatementPaymentRecord": 9,
                             "StatementPaymentEvent": 10, "Receipt": 10, "Deposit": 1}
            applied = await s.scalar(select(func.sum(ReceiptApplication.amount)).where(
                ReceiptApplication.reversed_at.is_(None)))
            balances = await line_balances(s, claims)
            owed = sum((b.patient_balance for b in balances.values()), D("0.00"))
            paid = sum((D(f"{10 + n}.00") for n in range(1, 9)), D("0.00"))
            assert (applied, owed) == (paid, D("200.00") - paid)
            deposit = await s.scalar(select(Deposit.amount))
            assert deposit == paid
    finally:
        await engine.dispose()


async def test_killed_mid_import_on_sqlite_then_run_again_is_as_if_run_once(db_url, tmp_path):
    await _killed_then_run_again(db_url, tmp_path)


@pytest.mark.usefixtures("pg_server")
async def test_killed_mid_import_on_postgresql_then_run_again_is_as_if_run_once(
        pg_url, tmp_path):
    await _killed_then_run_again(pg_url, tmp_path)
