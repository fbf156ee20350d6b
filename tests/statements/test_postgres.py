"""On PostgreSQL, with several gateway nodes: two processes importing the same file (or two
files reporting the same payments) at once leave each payment, status and receipt once."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from sqlalchemy import func, select

from gateway.admin.practices import create_practice
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.receipts.models import Receipt
from gateway.statements.models import StatementPaymentEvent, StatementPaymentRecord
from tests.statements import helpers as h

SCRIPT = """
import asyncio, datetime as dt, json, sys
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.statements.importer import import_payment_file
from tests.statements.helpers import as_file
from pathlib import Path
async def main():
    engine = make_engine(sys.argv[1])
    path = Path(sys.argv[3])
    spf = as_file(path.parent, path.name, path.read_text())
    async with make_sessionmaker(engine)() as s:
        res = await import_payment_file(s, int(sys.argv[2]), spf, today=dt.date(2026, 11, 20))
        await s.commit()
    await engine.dispose()
    print(json.dumps({"status": res.status, "posted": res.posted}))
asyncio.run(main())
"""


def _race(pg_url: str, pid: int, paths: list[str]) -> list[dict]:
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, pg_url, str(pid), p],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in paths]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=180)
        assert p.returncode == 0, stderr
        out.append(json.loads(stdout))
    return out


async def test_two_processes_import_the_same_payments_once(pg_url, tmp_path):
    engine = make_engine(pg_url)
    try:
        maker = make_sessionmaker(engine)
        async with maker() as s:
            pid = await create_practice(s, "PG Eye")
            for n in range(30):
                await h.patient_with_claim(s, pid, f"A{n}", "40.00")
            await s.commit()
        rows = [h.row(f"P{n}", "Settled" if n % 3 else "Pending", "25.00", account=f"A{n}",
                      statement=f"S-A{n}") for n in range(30)]
        same = tmp_path / "same.csv"
        same.write_text(h.text(*rows))
        results = _race(pg_url, pid, [str(same), str(same)])
        assert sorted(r["status"] for r in results) == ["duplicate", "imported"]
        # two different files (another file date) reporting the same payments at once
        for name, day in (("a.csv", dt.date(2026, 11, 21)), ("b.csv", dt.date(2026, 11, 22))):
            rows2 = [{**r, "status_code": "2", "status": "Settled"} for r in rows]
            (tmp_path / name).write_text(h.text(*rows2, file_date=day))
        results = _race(pg_url, pid, [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")])
        assert [r["status"] for r in results] == ["imported", "imported"]
        assert sum(r["posted"] for r in results) == 10  # the ten Pending ones, once
        async with maker() as s:
            assert await s.scalar(select(func.count()).select_from(StatementPaymentRecord)) == 30
            assert await s.scalar(select(func.count()).select_from(StatementPaymentEvent)) == 40
            assert await s.scalar(select(func.count()).select_from(Receipt)) == 30
            states = set((await s.scalars(select(StatementPaymentRecord.state))).all())
            assert states == {"posted"}
    finally:
        await engine.dispose()
