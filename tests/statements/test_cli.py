"""`gateway statement-payments ...` in a subprocess: fetch from a drop folder, list, review,
export; a one-line error for bad input."""

from __future__ import annotations

import json

from openpyxl import load_workbook

from gateway.admin.connectors import create_connector
from tests.statements import helpers as h


async def test_fetch_list_review_export(gateway, session, practice, tmp_path):
    pid = practice.practice_id
    await h.patient_with_claim(session, pid, "A1", "50.00")
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "epay.csv").write_text(h.text(h.row("P1", "Settled", "10.00"),
                                          h.row("P2", "Settled", "3.00", statement="S-NO")))
    await create_connector(session, pid, "datamedia_statements", "DM",
                           {"transport": "local", "payments_dir": str(drop)})
    await session.commit()
    r = gateway("statement-payments", "fetch", "--connector", "DM", "--json")
    assert r.code == 0, r.err
    assert r.json()["imported"] == 1
    r = gateway("statement-payments", "list", "--practice", str(pid), "--json")
    (item,) = r.json()
    assert item["transaction_id"] == "P2" and "S-NO" in item["reason"]
    r = gateway("statement-payments", "review", str(item["id"]), "--practice", str(pid),
                "--actor", "user:3", "--json")
    assert r.code == 0 and r.json()["reviewed"] == [item["id"]]
    out = tmp_path / "v.xlsx"
    r = gateway("statement-payments", "export", "--practice", str(pid), "--from",
                h.DAY.isoformat(), "--to", h.DAY.isoformat(), "--out", str(out))
    assert r.code == 0, r.err
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == 3
    r = gateway("statement-payments", "list", "--practice", str(pid), "--state", "nope",
                "--from", h.DAY.isoformat())
    assert r.code == 2 and "unknown state" in r.err and "Traceback" not in r.err
    r = gateway("statement-payments", "fetch", "--connector", "DM", "--json")
    assert r.code == 0 and json.loads(r.out)["imported"] == 0


async def test_statements_schedule_show_and_retry(gateway, session, practice, tmp_path):
    from tests.receipts import helpers as rh

    pid = practice.practice_id
    await rh.patient(session, pid, "A7")
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "epay.csv").write_text(h.text(h.row("P1", "Settled", "10.00", account="A7",
                                                statement="S-7")))
    await create_connector(session, pid, "datamedia_statements", "DM",
                           {"transport": "local", "payments_dir": str(drop)})
    await session.commit()
    r = gateway("statement-payments", "schedule", "--practice", str(pid), "--connector", "DM",
                "--json")
    assert r.code == 0 and r.json()["id"] > 0, r.err
    assert gateway("statement-payments", "fetch", "--connector", "DM").code == 0
    (item,) = gateway("statement-payments", "list", "--practice", str(pid), "--json").json()
    assert item["reason"] == "statement 'S-7' not found"
    (tmp_path / "s.json").write_text(json.dumps([{"statement_id": "S-7",
                                                  "patient_account": "A7"}]))
    r = gateway("statement-payments", "add-statements", "--practice", str(pid),
                str(tmp_path / "s.json"))
    assert r.code == 0 and r.json() == {"added": 1, "known": 0}, r.err
    r = gateway("statement-payments", "retry", str(item["id"]), "--practice", str(pid),
                "--json")
    assert r.json()["posted"] == [item["id"]], r.err
    r = gateway("statement-payments", "show", str(item["id"]), "--practice", str(pid))
    shown = r.json()
    assert shown["state"] == "posted" and [e["status"] for e in shown["history"]] == ["Settled"]
    r = gateway("statement-payments", "add-statements", "--practice", str(pid),
                str(tmp_path / "s.json"))
    assert r.json() == {"added": 0, "known": 1}
