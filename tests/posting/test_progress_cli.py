"""Progress of a long ERA import, post and reset (issue 18 item 9): a line on a terminal's
stderr (rows done, rate), nothing when stderr is piped or with --json. The terminal is a real
pty (`tests.practice.test_progress_cli`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from gateway.admin.payers import get_or_add_payer
from gateway.core.x12.generate835 import write_835
from gateway.core.x12.reader835 import iter_remittances
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims
from tests.practice.test_progress_cli import _run_on_a_terminal

CLAIMS = 300  # one transaction set, posted in two chunks: its reversals first, then the rest
DOS = dt.date(2024, 1, 1)


async def _arrange(gateway, session, tmp_path, with_claims=True):
    """A practice with the ERA's payers and (`with_claims`) one claim per CLP (lines = its
    SVCs)."""
    r = gateway("practices", "add", "Progress Eye", "--json")
    assert r.code == 0, r.err
    pid = r.json()["id"]
    era = tmp_path / "big.835"
    write_835(str(era), claims=CLAIMS, seed=7, claims_per_st=CLAIMS)
    claims = []
    for rem in iter_remittances(era):
        await get_or_add_payer(session, pid, rem.payer.name, rem.payer.id)
        for c in rem.claims if with_claims else ():
            dos = next((ln.service_date for ln in c.lines if ln.service_date), DOS)
            claims.append(ClaimIn(
                patient=PatientIn(account=c.patient_control_number, last_name="PROGRESS"),
                service_date_from=dos, patient_control_number=c.patient_control_number,
                lines=[ClaimLineIn(procedure_code=ln.procedure_code,
                                   modifiers=list(ln.modifiers), charge=abs(ln.charge))
                       for ln in c.lines]))
    await create_claims(session, pid, claims)
    await session.commit()
    return str(pid), str(era)


async def test_a_terminal_sees_import_post_and_reset_progress(gateway, db_url, session,
                                                             tmp_path):
    pid, era = await _arrange(gateway, session, tmp_path)
    code, out, terminal = _run_on_a_terminal(
        db_url, ["era", "import", "--practice", pid, era, "--no-auto-post"], tmp_path)
    assert code == 0, terminal
    assert f"era import: {CLAIMS:,} rows, " in terminal and "/s, " in terminal
    assert f"1 deposit(s), {CLAIMS} claims" in out
    (dep,) = gateway("deposits", "list", "--practice", pid, "--json").json()
    code, out, terminal = _run_on_a_terminal(
        db_url, ["deposits", "post", str(dep["id"])], tmp_path)
    assert code == 0, terminal
    drawn = [line for line in terminal.split("\r") if line.strip()]
    assert len(drawn) >= 2 and all(f"deposit {dep['id']} post: " in line for line in drawn)
    assert f"deposit {dep['id']} post: {CLAIMS:,} rows, " in drawn[-1]  # chunk by chunk
    assert terminal.rstrip().endswith("so far")  # the closing line, before the result
    posted = int(out.split(": ")[1].split(" claims posted")[0])
    assert posted > 0
    code, out, terminal = _run_on_a_terminal(
        db_url, ["deposits", "reset", str(dep["id"])], tmp_path)
    assert code == 0, terminal
    assert f"deposit {dep['id']} reset: {posted:,} rows, " in terminal
    assert f"{posted} claims reset" in out


async def test_json_or_a_pipe_sees_no_posting_progress(gateway, db_url, session, tmp_path):
    pid, era = await _arrange(gateway, session, tmp_path, with_claims=False)
    code, out, terminal = _run_on_a_terminal(
        db_url, ["era", "import", "--practice", pid, era, "--no-auto-post", "--json"], tmp_path)
    assert code == 0 and json.loads(out)["claims"] == CLAIMS
    assert "rows" not in terminal
    dep_id = json.loads(out)["deposits"][0]["id"]
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_PROGRESS_DELAY": "0"}
    piped = subprocess.run([sys.executable, "-m", "gateway", "deposits", "post", str(dep_id)],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert piped.returncode == 0 and piped.stderr == ""
    assert f"deposit {dep_id}: " in piped.stdout
