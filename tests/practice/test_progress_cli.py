"""Progress of a long practice-data import: a line on a terminal's stderr (rows done, rate),
nothing when stderr is piped or with --json. The terminal is a real pty."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

ROWS = 4500  # three chunks of the streamed reader


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "patients.csv"
    path.write_text("pms_patient_id,last_name\n"
                    + "".join(f"P{i},Last{i}\n" for i in range(ROWS)))
    return path


def _practice(gateway) -> str:
    r = gateway("practices", "add", "Progress Eye", "--json")
    assert r.code == 0, r.err
    return str(r.json()["id"])


def _run_on_a_terminal(db_url: str, args: list[str], cwd: Path) -> tuple[int, str, str]:
    """The command with stderr on a pty (stdout piped): (exit code, stdout, terminal text)."""
    master, slave = pty.openpty()
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_PROGRESS_DELAY": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "gateway", *args], stdout=subprocess.PIPE,
                            stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    out = proc.stdout.read() if proc.stdout else b""
    return proc.wait(timeout=120), out.decode(), seen.decode()


def test_a_terminal_sees_rows_and_rate(gateway, db_url, tmp_path):
    pid = _practice(gateway)
    code, out, terminal = _run_on_a_terminal(
        db_url, ["patients", "import", "--practice", pid, str(_file(tmp_path))], tmp_path)
    assert code == 0, terminal
    assert f"patients import: {ROWS:,} rows, " in terminal and "/s, " in terminal
    assert terminal.rstrip().endswith("so far")  # the closing line, before the result
    assert "written 4500 patients" in out


def test_json_or_a_pipe_sees_no_progress(gateway, db_url, tmp_path):
    pid = _practice(gateway)
    file = str(_file(tmp_path))
    code, out, terminal = _run_on_a_terminal(
        db_url, ["patients", "import", "--practice", pid, file, "--json"], tmp_path)
    assert code == 0 and '"status":"imported"' in out.replace(" ", "")
    assert "rows" not in terminal
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_PROGRESS_DELAY": "0"}
    (tmp_path / "again.csv").write_text(Path(file).read_text() + "\n")
    piped = subprocess.run([sys.executable, "-m", "gateway", "patients", "import",
                            "--practice", pid, str(tmp_path / "again.csv")],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert piped.returncode == 0 and piped.stderr == ""
