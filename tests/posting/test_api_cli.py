"""The API (roles, scoping, shapes) and the CLI contract of the posting domain."""

from __future__ import annotations

from decimal import Decimal as D

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from gateway.db.models import AuditLog
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835
from tests.posting.xlsx import read_sheet

ERA = build_835([Pay("T1", "100.00", [
    Clp("PCN1", "1", "150.00", "100.00", [Svc("92014", "150.00", "100.00",
                                               [("CO", "45", "50.00")])]),
    Clp("NOPE", "1", "40.00", "30.00", [Svc("92015", "40.00", "30.00",
                                             [("CO", "45", "10.00")])],
        patient=("NOBODY", "N", "Q")),
])])
ERA_OK = ERA.replace("*100.00*C*", "*130.00*C*")


async def _arrange(session, practice) -> tuple[dict[str, int], int]:
    p = await h.payers(session, practice.practice_id)
    cid = await h.claim(session, practice.practice_id, "PCN1", [("92014", "150.00", [])],
                        payer_id=p["acme"])
    await session.commit()
    return p, cid


async def test_api_import_post_queue_resolve_report(client: AsyncTestClient, session, practice,
                                                    other_practice, tmp_path):
    p, cid = await _arrange(session, practice)
    biller, viewer = practice.headers("biller"), practice.headers("viewer")
    r = await client.post("/api/deposits/era?name=t.835", content=ERA_OK.encode(),
                          headers=viewer)
    assert r.status_code == 403
    r = await client.post("/api/deposits/era?name=t.835", content=ERA_OK.encode(),
                          headers=biller)
    assert r.status_code == 201, r.text
    (dep,) = r.json()["deposits"]
    assert dep["errors"] == [] and dep["amount"] == "130.00"
    r = await client.get("/api/deposits", headers=viewer)
    assert [d["id"] for d in r.json()["items"]] == [dep["id"]] and r.json()["total"] == 1
    other = other_practice.headers("viewer")
    assert (await client.get("/api/deposits", headers=other)).json()["items"] == []
    assert (await client.get(f"/api/deposits/{dep['id']}",
                             headers=other_practice.headers("admin"))).status_code == 404
    r = await client.post(f"/api/deposits/{dep['id']}/post", headers=biller)
    assert r.status_code == 200, r.text
    assert r.json()["posted_claims"] == 1 and r.json()["posted_status"] == "Not Disbursed"
    r = await client.get("/api/posting-errors?level=claim", headers=viewer)
    (err,) = r.json()["items"]
    assert err["type"] == "Claim Not Found" and err["actions"] == ["link_claim", "exclude"]
    assert (await client.get("/api/posting-errors",
                             headers=other_practice.headers("viewer"))).json()["items"] == []
    r = await client.post(f"/api/posting-errors/{err['id']}/resolve",
                          json={"action": "exclude"}, headers=other_practice.headers("biller"))
    assert r.status_code == 404
    r = await client.post(f"/api/posting-errors/{err['id']}/resolve",
                          json={"action": "exclude", "note": "not ours"}, headers=biller)
    assert r.status_code == 200, r.text
    assert r.json()["posted_status"] == "Disbursed"
    assert r.json()["error"]["resolved_by"].startswith("user:")
    r = await client.get(f"/api/deposits/{dep['id']}", headers=viewer)
    body = r.json()
    assert body["deposit"]["exclusions"] == "30.00" and body["deposit"]["difference"] == "0.00"
    assert [c["state"] for c in body["claims"]] == ["posted", "excluded"]
    r = await client.get("/api/deposits?errors=any", headers=viewer)
    assert r.json()["items"] == [] and r.json()["total"] == 0
    r = await client.get("/api/deposits/report.xlsx?date_from=2026-01-01&date_to=2026-01-31",
                         headers=viewer)
    assert r.status_code == 200
    path = tmp_path / "report.xlsx"
    with open(path, "wb") as fh:
        fh.write(r.content)
    cells = read_sheet(path, "Deposit Reconciliation")
    # Amount, Payments, Exclusions, Difference (L and M are Adjustments and PLB Adjustments)
    assert (cells["J5"], cells["K5"], cells["N5"], cells["O5"]) == ("130", "100", "30", "0")
    # a posted deposit cannot be removed (its history stays) ...
    r = await client.delete(f"/api/deposits/{dep['id']}", headers=biller)
    assert r.status_code == 422 and "ledger history" in r.text
    # ... reset restores the claim's balance; then it can be ignored and removed (issue 16)
    r = await client.post(f"/api/deposits/{dep['id']}/reset", headers=biller)
    assert r.status_code == 200 and r.json()["claims_reset"] == 1
    assert (await h.balances(session, cid)).balance == D("150.00")
    r = await client.post(f"/api/deposits/{dep['id']}/status", json={"status": "Ignore"},
                          headers=biller)
    assert r.status_code == 200 and r.json()["status"] == "Ignore", r.text
    r = await client.delete(f"/api/deposits/{dep['id']}", headers=biller)
    assert r.status_code == 204, r.text
    assert (await h.balances(session, cid)).balance == D("150.00")


async def test_api_eob_allowed_and_co45(client: AsyncTestClient, session, practice):
    p, cid = await _arrange(session, practice)
    r = await client.get(f"/api/claims/{cid}", headers=practice.headers("viewer"))
    line_id = r.json()["lines"][0]["id"]
    eob = {"payer_id": p["acme"], "deposit_date": "2026-02-01", "amount": "90.00",
           "check_trace_id": "CHK1",
           "claims": [{"claim_id": cid, "lines": [{"claim_line_id": line_id, "paid": "90.00",
                                                   "allowed": "110.00",
                                                   "adjustments": [{"reason": "2",
                                                                    "amount": "20.00"}]}]}]}
    r = await client.post("/api/deposits/eob", json=eob, headers=practice.headers("biller"))
    assert r.status_code == 201, r.text
    body = r.json()
    adjs = body["claims"][0]["procedures"][0]["adjustments"]
    assert [(a["group"], a["reason"], a["amount"]) for a in adjs] == [
        ("SL", "2", "20.00"), ("CO", "45", "40.00")]
    r = await client.post("/api/deposits/eob", json=eob, headers=practice.headers("biller"))
    assert r.status_code == 422 and "already exists" in r.text
    neg = {**eob, "check_trace_id": "CHK2", "claims": [{"claim_id": cid, "lines": [
        {"claim_line_id": line_id, "paid": "-5.00"}]}]}
    r = await client.post("/api/deposits/eob", json=neg, headers=practice.headers("biller"))
    assert r.status_code == 422 and "take a payment back" in r.text
    # the one money rule on the API too: a sub-cent amount is refused, located
    for bad in ("10.005", "92233720368547758.08"):
        odd = {**eob, "check_trace_id": "CHK3", "amount": bad}
        r = await client.post("/api/deposits/eob", json=odd, headers=practice.headers("biller"))
        assert r.status_code == 422 and "amount" in r.text, r.text
    dep_id = body["deposit"]["id"]
    r = await client.post(f"/api/deposits/{dep_id}/post", headers=practice.headers("biller"))
    assert r.json()["posted_status"] == "Disbursed"
    b = await h.balances(session, cid)
    assert (b.insurance_paid, b.adjustments, b.patient_balance) == (D("90.00"), D("40.00"),
                                                                    D("20.00"))


async def test_api_rules_admin_only_and_applied(client: AsyncTestClient, session, practice):
    p, _ = await _arrange(session, practice)
    r = await client.get("/api/posting-rules?kind=reason", headers=practice.headers("viewer"))
    co45 = [x for x in r.json() if x["code"] == "45" and x["group"] == "CO"]
    assert co45 == [{**co45[0], "source": "default", "payment_type": "write_off"}]
    rule = {"kind": "reason", "code": "B10", "group": "CO", "payment_type": "write_off",
            "payer_id": p["acme"]}
    r = await client.post("/api/posting-rules", json=rule, headers=practice.headers("biller"))
    assert r.status_code == 403
    r = await client.post("/api/posting-rules", json=rule, headers=practice.headers("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "payer"
    r2 = await client.post("/api/posting-rules", json={**rule, "payment_type": "adjustment"},
                           headers=practice.headers("admin"))
    assert r2.json()["id"] == r.json()["id"] and r2.json()["payment_type"] == "adjustment"
    r = await client.post("/api/posting-rules", json={**rule, "payment_type": "nope"},
                          headers=practice.headers("admin"))
    assert r.status_code == 422
    r = await client.delete(f"/api/posting-rules/{r2.json()['id']}",
                            headers=practice.headers("admin"))
    assert r.status_code == 204
    audit = (await session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == "posting_rule"))).all()
    assert audit == ["posting_rule.save", "posting_rule.save", "posting_rule.delete"]


async def test_cli_era_import_list_show_post_reset_report(gw, session, practice, tmp_path):
    _, cid = await _arrange(session, practice)
    f = tmp_path / "x.835"
    f.write_text(ERA_OK)
    pid = str(practice.practice_id)
    r = gw("era", "import", "--practice", pid, str(f), "--json")
    assert r.code == 0, r.err
    dep_id = r.json()["deposits"][0]["id"]
    r = gw("era", "import", "--practice", pid, str(f), "--json")
    assert r.code == 0 and r.json()["duplicate_file"] is True and r.json()["deposits"] == []
    r = gw("deposits", "list", "--practice", pid, "--json")
    (d,) = r.json()
    assert {k: d[k] for k in ("id", "type", "status", "posted_status", "check_trace_id",
                              "amount", "payer", "deposit_date")} == {
        "id": dep_id, "type": "ERA", "status": "New", "posted_status": "Not Disbursed",
        "check_trace_id": "T1", "amount": "130.00", "payer": "Acme Health",
        "deposit_date": "2026-01-15"}
    r = gw("deposits", "post", str(dep_id), "--json")
    assert r.code == 0 and r.json()["posted_claims"] == 1
    r = gw("deposits", "show", str(dep_id), "--json")
    assert [c["state"] for c in r.json()["claims"]] == ["posted", "error"]
    out = tmp_path / "r.xlsx"
    r = gw("deposits", "report", "--from", "2026-01-01", "--to", "2026-01-31", "--xlsx",
           str(out), "--json")
    assert r.code == 0, r.err
    assert r.json()["deposits"] == 1 and read_sheet(out, "Deposit Reconciliation")["Q5"] == "1"
    r = gw("deposits", "reset", str(dep_id), "--json")
    assert r.code == 0 and r.json()["claims_reset"] == 1
    await session.rollback()
    assert (await h.balances(session, cid)).balance == D("150.00")
    r = gw("deposits", "post", "999")
    assert r.code == 2 and r.err.strip() == "error: no deposit 999"
    r = gw("era", "import", "--practice", pid, str(tmp_path / "r.xlsx"))
    assert r.code == 2 and r.err.startswith("error:") and "\n" not in r.err.strip()
