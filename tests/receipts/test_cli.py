"""`gateway receipts ...` in a subprocess: JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.receipts import helpers as h

DOS = dt.date(2026, 3, 9)


@pytest.fixture
def gw(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GATEWAY_DATABASE_URL": db_url}
        return subprocess.run([sys.executable, "-m", "gateway", *args], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=120)

    return run


def xlsx(path: Path, *rows) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["Patient ID", "Statement ID", "Date", "Amount", "Type", "Method",
               "Check/Trace Number", "Comment"])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return path


async def test_import_list_reconcile_export(gw, session, practice, tmp_path):
    pid = str(practice.practice_id)
    await h.claim(session, practice.practice_id, "A1", DOS, "20.00")
    await h.patient(session, practice.practice_id, "B2")
    await session.commit()
    f = xlsx(tmp_path / "in.xlsx",
             ("A1", None, DOS, D("25.00"), "Co-Pay", "cash", None, None),
             ("B2", None, DOS, D("10.00"), "Co-Pay", "cash", None, None),
             ("A1", None, "nope", D("1.00"), None, None, None, None))
    r = gw("receipts", "import", "--practice", pid, str(f), "--today", "2026-03-10", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["rows"], len(out["created"]), out["duplicates"]) == (3, 2, [])
    assert out["problems"] == [{"row": 4, "field": "Date", "message": "not a date: 'nope'"}]
    # A1: 20 on the visit's line, the 5 left waits as more than owed; B2: no claim yet
    assert (out["reconcile"]["hold"], out["reconcile"]["applied"]) == (2, "20.00")
    a1, b2 = out["created"]

    r = gw("receipts", "list", "--practice", pid, "--status", "Hold", "--json")
    assert r.returncode == 0, r.stderr
    rows = {x["id"]: x for x in json.loads(r.stdout)}
    assert rows[a1]["unapplied"] == "5.00" and rows[b2]["unapplied"] == "10.00"
    r = gw("receipts", "list", "--practice", pid, "--json")  # the Error queue: empty so far
    assert json.loads(r.stdout) == []

    r = gw("receipts", "reconcile", "--practice", pid, "--all", "--today", "2026-03-11",
           "--json")
    assert json.loads(r.stdout)["considered"] == 2
    r = gw("receipts", "reconcile", "--practice", pid, str(b2), "--today", "2026-03-13",
           "--json")
    res = json.loads(r.stdout)
    assert res["results"][0]["status"] == "Error" and res["error"] == 1
    r = gw("receipts", "reconcile", "--practice", pid, str(b2), "--json")
    assert json.loads(r.stdout)["skipped"] == [{"id": b2, "status": "Error"}]
    r = gw("receipts", "list", "--practice", pid, "--json")
    assert [x["id"] for x in json.loads(r.stdout)] == [b2]

    r = gw("receipts", "export", "--practice", pid, "--status", "all", str(tmp_path / "o.xlsx"),
           "--json")
    assert r.returncode == 0, r.stderr
    sheet = load_workbook(tmp_path / "o.xlsx").active
    assert sheet.max_row == 3

    r = gw("receipts", "list", "--practice", pid)
    assert r.returncode == 0 and str(b2) in r.stdout


async def test_errors_are_one_line_with_exit_codes(gw, tmp_path, practice):
    p = str(practice.practice_id)
    r = gw("receipts", "reconcile", "--practice", p, "--json")
    assert r.returncode == 2 and r.stderr.strip() == "error: reconcile: give receipt ids or --all"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    r = gw("receipts", "import", "--practice", p, str(bad), "--json")
    assert r.returncode == 2 and "bad.xlsx: not a readable .xlsx workbook" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = gw("receipts", "import", "--practice", p, str(tmp_path / "missing.xlsx"))
    assert r.returncode == 2 and "cannot read the file" in r.stderr
    r = gw("receipts", "list", "--practice", p, "--status", "Lost")
    assert r.returncode == 2 and "Lost" in r.stderr
    r = gw("receipts", "reconcile", "--practice", p, "999", "--json")
    assert r.returncode == 2 and r.stderr == "error: no receipt 999\n"
    r = gw("receipts", "reconcile", "--practice", "999", "--all", "--json")
    assert r.returncode == 2 and r.stderr == "error: no practice 999\n"
    r = gw("receipts", "import", "--practice", "999", str(xlsx(tmp_path / "ok.xlsx", (
        "A1", None, DOS, D("1.00"), None, None, None, None))), "--json")
    assert r.returncode == 2 and r.stderr == "error: no practice 999\n"


async def test_import_lists_a_sub_cent_amount_as_a_row_problem(gw, tmp_path, practice):
    f = xlsx(tmp_path / "cents.xlsx", ("A1", None, DOS, 12.345, None, None, None, None),
             ("A1", None, DOS, D("4.00"), None, None, None, None))
    r = gw("receipts", "import", "--practice", str(practice.practice_id), str(f), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [(p["row"], p["field"]) for p in out["problems"]] == [(2, "Amount")]
    assert "part of a cent" in out["problems"][0]["message"] and len(out["created"]) == 1
    r = gw("receipts", "import", "--practice", str(practice.practice_id), str(f))
    assert "row 2: Amount: more than two decimals: 12.345 has a part of a cent" in r.stdout
