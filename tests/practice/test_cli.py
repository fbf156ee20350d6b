"""The practice-data commands: hand imports of CSV, XLSX and JSON in the canonical columns,
and `gateway practice pull` through a connector."""

from __future__ import annotations

import json

import openpyxl

from tests.practice.exports import write_export

PATIENTS_CSV = (
    "pms_patient_id,account_number,last_name,first_name,dob,sex\n"
    "P1,A1,Rivera,Ana,1980-03-14,F\n"
    "P2,,Chen,Li,07/02/1955,M\n"
)


def _practice(gateway) -> int:
    r = gateway("practices", "add", "Hand Import Eye", "--json")
    assert r.code == 0, r.err
    return r.json()["id"]


def test_hand_imports_csv_xlsx_json_and_rerun_changes_nothing(gateway, tmp_path):
    pid = str(_practice(gateway))
    patients = tmp_path / "patients.csv"
    patients.write_text(PATIENTS_CSV)
    r = gateway("patients", "import", "--practice", pid, str(patients), "--json")
    assert r.code == 0, r.err
    assert r.json()["written"]["patients"] == 2

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["pms_patient_id", "rank", "payer_name", "payer_id", "member_id"])
    ws.append(["P1", 1, "VSP Vision Care", "VSP01", "M-1"])
    ws.append(["P2", "Primary", "EyeMed", None, "M-2"])
    wb.save(tmp_path / "coverages.xlsx")
    r = gateway("coverages", "import", "--practice", pid, str(tmp_path / "coverages.xlsx"),
                "--json")
    assert r.code == 0, r.err
    assert r.json()["written"]["coverages"] == 2

    appointments = [{"pms_appointment_id": "AP1", "pms_patient_id": "P1",
                     "starts_at": "2026-12-01T09:30:00", "status": "Scheduled",
                     "pms_claim_id": "C1"}]
    (tmp_path / "appointments.json").write_text(json.dumps(appointments))
    r = gateway("appointments", "import", "--practice", pid, str(tmp_path / "appointments.json"),
                "--json")
    assert r.code == 0, r.err
    assert r.json()["written"]["appointments"] == 1

    claims = tmp_path / "claims.csv"
    claims.write_text(
        "pms_claim_id,pms_patient_id,service_date_from,procedure_code,charge,billed_by_pms\n"
        "C1,P1,2026-12-01,92014,165.00,no\nC1,P1,2026-12-01,92015,45.00,no\n")
    r = gateway("claims", "import", "--practice", pid, str(claims), "--json")
    assert r.code == 0, r.err
    body = r.json()
    assert (body["written"]["claims"], body["written"]["claim_lines"], body["charges"]) == (1, 2, 2)
    r = gateway("claims", "import", "--practice", pid, str(claims), "--json")
    assert r.code == 0 and r.json()["status"] == "already_imported"

    patients.write_text(PATIENTS_CSV + "\n")  # same records, new bytes
    r = gateway("patients", "import", "--practice", pid, str(patients), "--json")
    assert r.code == 0 and r.json()["written"] == {
        "patients": 0, "coverages": 0, "appointments": 0, "claims": 0, "claim_lines": 0}


def test_bad_rows_are_reported_with_row_column_and_why(gateway, tmp_path):
    pid = str(_practice(gateway))
    bad = tmp_path / "patients.csv"
    bad.write_text("pms_patient_id,dob,sex\nP1,1980-13-45,F\nP2,1990-01-01,X\n")
    r = gateway("patients", "import", "--practice", pid, str(bad), "--json")
    assert r.code == 2
    assert r.err.startswith("error: 2 problem(s), nothing imported: patients.csv, row 2, "
                            "column 'dob'")
    problems = r.json()["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(2, "dob"), (3, "sex")]
    good = tmp_path / "good.csv"
    good.write_text("pms_patient_id\nP9\n")
    r = gateway("patients", "import", "--practice", pid, str(good), "--json")
    assert r.json()["written"]["patients"] == 1  # the bad file left nothing behind

    r = gateway("patients", "import", "--practice", pid, str(tmp_path / "good.csv"))
    assert r.code == 0 and "already imported" in r.out

    noheader = tmp_path / "x.csv"
    noheader.write_text("name,when\nAna,today\n")
    r = gateway("patients", "import", "--practice", pid, str(noheader))
    assert r.code == 2 and "x.csv: no header row for patients" in r.err


def test_practice_pull_command(gateway, tmp_path):
    from gateway.plugins.revolutionehr.format import PRACTICE_LAYOUT

    pid = str(_practice(gateway))
    drop = tmp_path / "drop"
    drop.mkdir()
    write_export(PRACTICE_LAYOUT, drop)
    cfg = tmp_path / "rev.json"
    cfg.write_text(json.dumps({"transport": "local", "practice_data_dir": str(drop),
                               "stable_seconds": 0}))
    r = gateway("connectors", "add", "--practice", pid, "--plugin", "revolutionehr",
                "--name", "rev", "--config", str(cfg), "--json")
    assert r.code == 0, r.err
    r = gateway("practice", "pull", "--practice", pid, "--connector", "rev", "--json")
    assert r.code == 0, r.err
    assert r.json()["read"] == {"patients": 2, "coverages": 2, "appointments": 2, "claims": 2}
    r = gateway("practice", "pull", "--practice", pid, "--connector", "rev")
    assert r.code == 0 and "nothing new" in r.out


def test_practice_commands_are_listed_without_importing_their_module() -> None:
    """The lazy loader reads cli/practice.py's register from its source (so `gateway --help`
    does not import it), and `--help` lists its four commands."""
    import inspect
    import subprocess
    import sys

    from gateway.cli import _lazy
    from gateway.cli import practice as practice_cli

    commands = _lazy.read_module("gateway.cli.practice", inspect.getsource(practice_cli))
    assert set(commands.stubs) == {"practice", "patients", "coverages", "appointments"}
    probe = ("import sys\nfrom gateway.cli import main\ntry:\n    main(['--help'])\n"
             "except SystemExit:\n    pass\nprint('LOADED', 'gateway.cli.practice' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert "patients" in out and "appointments" in out
    assert out.strip().splitlines()[-1] == "LOADED False"
