"""The CLI contract other scripts rely on: JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import json


def test_practice_location_key_claims_round_trip(gateway, tmp_path):
    r = gateway("practices", "add", "Sunrise Optometry", "--json")
    assert r.code == 0, r.err
    pid = r.json()["id"]
    r = gateway("locations", "add", "--practice", str(pid), "Downtown", "--json")
    assert r.code == 0 and isinstance(r.json()["id"], int)
    r = gateway("keys", "create", "--practice", str(pid), "--email", "b@x.test", "--role",
                "biller", "--json")
    assert r.json()["key"].startswith("gw_")
    claims = [{
        "patient": {"account": "P-1"}, "service_date_from": "2026-10-05",
        "lines": [{"procedure_code": "92004", "charge": "210.00"},
                  {"procedure_code": "92015", "charge": "40.10", "modifiers": ["GY"]}],
    }]
    f = tmp_path / "claims.json"
    f.write_text(json.dumps(claims))
    r = gateway("claims", "import", "--practice", str(pid), str(f), "--json")
    assert r.code == 0, r.err
    (claim_id,) = r.json()["created"]
    r = gateway("claims", "show", str(claim_id), "--json")
    body = r.json()
    assert body["origin"] == "import"  # a file by hand, not the API
    assert (body["charges"], body["insurance_paid"], body["adjustments"], body["patient_paid"],
            body["insurance_balance"], body["patient_balance"]) == (
        "250.10", "0.00", "0.00", "0.00", "250.10", "0.00")


def test_plugins_list_names_all_seven(gateway):
    r = gateway("plugins", "list", "--json")
    assert r.code == 0, r.err
    names = [p["name"] for p in r.json()]
    assert names == ["clearinghouse_sftp", "compulink", "crystalpm", "datamedia_statements",
                     "eyefinity", "officemate", "revolutionehr"]
    assert all({"name", "vendor", "version", "hooks"} <= set(p) for p in r.json())
    assert all(p["builtin"] is True for p in r.json())
    human = gateway("plugins", "list")
    assert human.code == 0 and human.out.count(" built-in ") == 7, human.out


def test_bad_input_is_one_line_exit_2_and_writes_nothing(gateway, tmp_path):
    pid = gateway("practices", "add", "P", "--json").json()["id"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([
        {"patient": {"account": "A"}, "service_date_from": "2026-10-05",
         "lines": [{"procedure_code": "92004", "charge": "10.00"}]},
        {"patient": {"account": "B"}, "service_date_from": "2026-10-05",
         "lines": [{"procedure_code": "92004", "charge": "ten"}]},
    ]))
    r = gateway("claims", "import", "--practice", str(pid), str(bad), "--json")
    assert r.code == 2
    assert "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1
    assert "$[1].lines[0].charge" in r.err
    # the first, valid claim was not written either
    assert gateway("claims", "show", "1", "--json").code == 2
    notjson = tmp_path / "x.json"
    notjson.write_text("[{nope")
    r = gateway("claims", "import", "--practice", str(pid), str(notjson))
    assert r.code == 2 and "not JSON" in r.err
    r = gateway("locations", "add", "--practice", "999", "X")
    assert r.code == 2 and r.err.strip() == "error: no practice 999"
    r = gateway("keys", "create", "--practice", str(pid), "--email", "a@b", "--role", "owner")
    assert r.code == 2 and "Traceback" not in r.err


def test_demo_seeds_once(gateway, tmp_path):
    first = gateway("demo", "--data-dir", str(tmp_path / "demo"), "--json")
    assert first.code == 0, first.err
    again = gateway("demo", "--data-dir", str(tmp_path / "demo"), "--json")
    assert again.json()["created"] is False
    assert again.json()["practice_id"] == first.json()["practice_id"]
    assert again.json()["admin_key"] != first.json()["admin_key"]


def test_jobs_add_run_history(gateway):
    pid = gateway("practices", "add", "J", "--json").json()["id"]
    assert "heartbeat" in gateway("jobs", "kinds", "--json").json()
    r = gateway("jobs", "add", "--practice", str(pid), "--name", "beat", "--kind", "heartbeat",
                "--pattern", "hourly", "--json")
    assert r.code == 0, r.err
    job_id = r.json()["id"]
    listed = gateway("jobs", "list", "--practice", str(pid), "--json").json()
    beat = next(j for j in listed if j["name"] == "beat")  # beside the disabled default jobs
    assert beat["next_fire"]
    r = gateway("jobs", "run", str(job_id), "--json")
    assert r.code == 0 and r.json()["status"] == "ok"
    runs = gateway("jobs", "history", str(job_id), "--practice", str(pid), "--json").json()
    assert [x["trigger"] for x in runs] == ["manual"]
    r = gateway("jobs", "add", "--practice", str(pid), "--name", "x", "--kind", "nope")
    assert r.code == 2 and "unknown job kind 'nope'" in r.err
