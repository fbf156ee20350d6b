"""Progress of a long aging import: a line on a terminal's stderr (rows done, rate), nothing
when stderr is piped or with --json. The terminal is a real pty."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PracticeKeys
from tests.practice.test_progress_cli import _run_on_a_terminal

ROWS = 4500  # three chunks of the staged import (gateway.aging.stage.CHUNK)
HEADER = ["Acct #", "Patient", "Claim #", "Svc Date", "Svc Loc", "Payor", "Billed",
          "Ins Balance", "Current", "31-60", "61-90", "91-120", "120+", "Last Billed"]


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "aging.csv"
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerows([["Ins. Receivables by Payor"], ["As of 11/30/2026"], [], HEADER])
        out.writerows([f"A{i}", f"PATIENT{i}, TEST", f"C{i}", "11/02/2026", "MAIN", "VSP",
                       "100.00", "40.00", "40.00", "", "", "", "", "11/05/2026"]
                      for i in range(ROWS))
    return path


def _args(practice: PracticeKeys, path: Path) -> list[str]:
    return ["aging", "import", "--practice", str(practice.practice_id), "--location",
            str(practice.location_id), "--vendor", "compulink", str(path)]


def test_a_terminal_sees_rows_and_rate(db_url: str, practice: PracticeKeys, tmp_path):
    code, out, terminal = _run_on_a_terminal(db_url, _args(practice, _file(tmp_path)),
                                             tmp_path)
    assert code == 0, terminal
    assert f"aging import: {ROWS:,} rows, " in terminal and "/s, " in terminal
    assert terminal.rstrip().endswith("so far")  # the closing line, before the result
    assert f"{ROWS} rows imported" in out


def test_json_or_a_pipe_sees_no_progress(db_url: str, practice: PracticeKeys, tmp_path):
    path = _file(tmp_path)
    code, out, terminal = _run_on_a_terminal(db_url, [*_args(practice, path), "--json"],
                                             tmp_path)
    assert code == 0, terminal
    assert "aging import:" not in terminal
    assert json.loads(out)["claims_created"] == ROWS
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_PROGRESS_DELAY": "0"}
    piped = subprocess.run([sys.executable, "-m", "gateway", *_args(practice, path)],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == "" and "already imported" in piped.stdout
