"""`gateway aging parse` and `gateway aging import`: output shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.ledger.models import Claim
from tests.aging.helpers import FIXTURES, counts
from tests.conftest import PracticeKeys

GATEWAY = [sys.executable, "-m", "gateway"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GATEWAY, *args], capture_output=True, text=True, timeout=120)


def test_parse_json_shape() -> None:
    proc = run("aging", "parse", "--vendor", "officemate",
               str(FIXTURES / "officemate_insurance_aging.csv"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "rows": 6, "balance_total": "1315.25", "payers": ["VSP", "Davis Vision", "MEDICARE"],
        "problems": []}


def test_parse_reports_row_problems(tmp_path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("Claim #,Account,Patient,DOS,Insurance,Balance\n"
                 "C1,A1,P,someday,VSP,1.00\nC2,A2,P,11/01/2026,VSP,2.00\n")
    proc = run("aging", "parse", "--vendor", "crystalpm", str(f), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["rows"] == 2 and out["balance_total"] == "3.00"
    assert {"row": 2, "column": "DOS", "why": "not a date: 'someday'"} in out["problems"]
    human = run("aging", "parse", "--vendor", "crystalpm", str(f))
    assert human.stdout.startswith("2 rows, balance total 3.00\npayers: VSP\n")
    assert "row 2, DOS: not a date: 'someday'" in human.stdout


def test_parse_bad_file_exits_2_with_one_line() -> None:
    proc = run("aging", "parse", "--vendor", "officemate",
               str(FIXTURES / "revolutionehr_aging.csv"))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("error: revolutionehr_aging.csv: no header row found")
    assert "Traceback" not in proc.stderr
    missing = run("aging", "parse", "--vendor", "officemate", "/nonexistent/file.csv")
    assert missing.returncode == 2 and "cannot read the file" in missing.stderr


async def test_import_json_then_reimport_is_a_no_op(db_url: str, session: AsyncSession,
                                                    practice: PracticeKeys) -> None:
    args = ("--database-url", db_url, "aging", "import", "--practice", str(practice.practice_id),
            "--location", str(practice.location_id), "--vendor", "compulink",
            str(FIXTURES / "compulink_ins_receivables.xls"), "--json")
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {k: out[k] for k in ("rows", "balance_total", "claims_created", "claims_updated",
                                "claims_completed", "claims_reopened", "payers_added",
                                "problems", "duplicate")} == {
        "rows": 5, "balance_total": "550.50", "claims_created": 4, "claims_updated": 0,
        "claims_completed": 0, "claims_reopened": 0,
        "payers_added": ["VSP", "EyeMed Vision Care"], "problems": [], "duplicate": False}
    before = await counts(session)
    again = run(*args)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["duplicate"] is True
    assert await counts(session) == before
    assert await session.scalar(select(func.count()).select_from(Claim)) == 4


async def test_import_bad_file_writes_nothing(db_url: str, session: AsyncSession,
                                             practice: PracticeKeys) -> None:
    before = await counts(session)
    proc = run("--database-url", db_url, "aging", "import", "--practice",
               str(practice.practice_id), "--location", str(practice.location_id),
               "--vendor", "eyefinity", str(FIXTURES / "officemate_insurance_aging.csv"))
    assert proc.returncode == 2
    assert "no header row found" in proc.stderr and proc.stderr.count("\n") == 1
    assert await counts(session) == before
    proc = run("--database-url", db_url, "aging", "import", "--practice",
               str(practice.practice_id), "--location", "999", "--vendor", "eyefinity",
               str(FIXTURES / "eyefinity_ar_detail.xls"))
    assert proc.returncode == 2 and "no location 999" in proc.stderr
    assert await counts(session) == before


async def test_remove_snapshot_from_the_cli(db_url: str, session: AsyncSession,
                                            practice: PracticeKeys) -> None:
    base = ("--database-url", db_url, "aging")
    proc = run(*base, "import", "--practice", str(practice.practice_id), "--location",
               str(practice.location_id), "--vendor", "compulink",
               str(FIXTURES / "compulink_ins_receivables.xls"), "--json")
    snapshot_id = json.loads(proc.stdout)["snapshot_id"]
    proc = run(*base, "remove", "--practice", str(practice.practice_id), str(snapshot_id),
               "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["claims_marked_removed"]) == 4
    again = run(*base, "remove", "--practice", str(practice.practice_id), str(snapshot_id))
    assert again.returncode == 2 and "already removed" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
