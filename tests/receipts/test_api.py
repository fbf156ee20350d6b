"""/api/receipts: roles, practice scoping, and each action end to end."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

from litestar.testing import AsyncTestClient
from openpyxl import Workbook, load_workbook

from tests.conftest import PracticeKeys
from tests.receipts import helpers as h

DOS = dt.date(2025, 1, 6)  # long ago: every hold window has passed on the real clock


async def _arrange(session, p: PracticeKeys) -> tuple[int, list[int]]:
    cid, lines = await h.claim(session, p.practice_id, "A1", DOS, "10.00", "30.00",
                               copay_line=1, level="Statement")
    await session.commit()
    return cid, lines


async def test_record_a_copay_and_see_it_applied(client: AsyncTestClient, session,
                                                 practice: PracticeKeys):
    cid, (l1, l2) = await _arrange(session, practice)
    body = {"received_on": DOS.isoformat(), "amount": "25.00", "type": "Co-Pay",
            "method": "card", "patient_account": "A1"}
    r = await client.post("/api/receipts", json=body, headers=practice.headers("biller"))
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["status"], d["applied"], d["unapplied"]) == ("Completed", "25.00", "0.00")
    assert [(a["claim_line_id"], a["amount"]) for a in d["applications"]] == [
        (l1, "10.00"), (l2, "15.00")]
    r = await client.get(f"/api/claims/{cid}", headers=practice.headers("viewer"))
    assert r.json()["patient_balance"] == "15.00"
    r = await client.get(f"/api/receipts/{d['id']}", headers=practice.headers("viewer"))
    assert r.status_code == 200 and r.json()["messages"][-1]["actor"] == "engine"


async def test_roles_and_scoping(client: AsyncTestClient, session, practice: PracticeKeys,
                                 other_practice: PracticeKeys):
    await _arrange(session, practice)
    body = {"received_on": DOS.isoformat(), "amount": "5.00", "patient_account": "A1",
            "type": "Pre-Pay"}
    assert (await client.post("/api/receipts", json=body)).status_code == 401
    r = await client.post("/api/receipts", json=body, headers=practice.headers("viewer"))
    assert r.status_code == 403
    r = await client.post("/api/receipts", json=body, headers=practice.headers("biller"))
    rid = r.json()["id"]
    theirs = other_practice.headers("admin")
    for method, url, payload in [
        ("get", f"/api/receipts/{rid}", None),
        ("post", f"/api/receipts/{rid}/reverse", None),
        ("post", f"/api/receipts/{rid}/hold", {"until": "2099-01-01"}),
        ("post", f"/api/receipts/{rid}/apply",
         {"applications": [{"claim_line_id": 1, "amount": "1.00"}]}),
        ("post", "/api/receipts/reconcile", {"ids": [rid]}),
        ("post", "/api/receipts/status", {"ids": [rid], "status": "New"}),
        ("post", "/api/receipts/ignore", {"ids": [rid]}),
    ]:
        kw = {"json": payload} if payload is not None else {}
        r = await getattr(client, method)(url, headers=theirs, **kw)
        assert r.status_code == 404, (url, r.text)
    r = await client.get("/api/receipts?status=all", headers=theirs)
    assert r.json()["items"] == []
    r = await client.get("/api/receipts?status=all", headers=practice.headers("viewer"))
    assert [x["id"] for x in r.json()["items"]] == [rid] and r.json()["total"] == 1
    r = await client.post("/api/receipts/types", json={"name": "X", "behaviour": "general"},
                          headers=practice.headers("biller"))
    assert r.status_code == 403


async def test_error_queue_status_hold_reconcile_apply_reverse(client: AsyncTestClient, session,
                                                              practice: PracticeKeys):
    cid, (l1, l2) = await _arrange(session, practice)
    hb = practice.headers("biller")
    r = await client.post("/api/receipts", headers=hb, json={
        "received_on": DOS.isoformat(), "amount": "12.00", "patient_account": "NOBODY"})
    bad = r.json()["id"]
    assert r.json()["status"] == "Error"
    r = await client.post("/api/receipts", headers=hb, json={
        "received_on": DOS.isoformat(), "amount": "4.00", "patient_account": "A1",
        "type": "Pre-Pay"})
    pre = r.json()["id"]
    assert r.json()["status"] == "Error"  # a pre-pay older than the credit hold
    r = await client.get("/api/receipts", headers=practice.headers("viewer"))
    assert [x["id"] for x in r.json()["items"]] == [pre, bad]  # default: the Error queue
    r = await client.post("/api/receipts/status", headers=hb,
                          json={"ids": [pre], "status": "Hold", "hold_until": "2099-01-01"})
    assert r.json() == {"changed": 1}
    r = await client.post("/api/receipts/reconcile", headers=hb, json={"all": True})
    assert r.status_code == 200 and r.json()["considered"] == 0
    r = await client.post("/api/receipts/reconcile", headers=hb, json={})
    assert r.status_code == 422
    r = await client.post(f"/api/receipts/{pre}/apply", headers=hb, json={
        "applications": [{"claim_line_id": l1, "amount": "4.00"}]})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["unapplied"]) == ("Completed", "0.00")
    r = await client.post(f"/api/receipts/{pre}/apply", headers=hb, json={
        "applications": [{"claim_line_id": l1, "amount": "1.00"}]})
    assert r.status_code == 422 and "Completed" in r.text
    r = await client.post(f"/api/receipts/{pre}/reverse", headers=hb)
    assert r.status_code == 200
    out = r.json()
    assert out["receipt"]["status"] == "Reversed" and out["reversal"]["amount"] == "-4.00"
    r = await client.get(f"/api/claims/{cid}", headers=hb)
    assert r.json()["patient_balance"] == "40.00"
    r = await client.post(f"/api/receipts/{bad}/hold", headers=hb, json={"until": "2099-02-01"})
    assert r.json()["hold_until"] == "2099-02-01" and r.json()["hold_set_by"] == "user"
    r = await client.post("/api/receipts/ignore", headers=hb, json={"ids": [bad]})
    assert r.json() == {"changed": 1}
    r = await client.get("/api/receipts?status=Ignore&status=Reversed",
                         headers=practice.headers("viewer"))
    assert sorted(x["status"] for x in r.json()["items"]) == ["Ignore", "Reversed", "Reversed"]
    r = await client.get("/api/receipts?amount=abc", headers=practice.headers("viewer"))
    assert r.status_code == 422 and "amount" in r.text


async def test_import_and_export_over_http(client: AsyncTestClient, session,
                                           practice: PracticeKeys):
    await _arrange(session, practice)
    wb = Workbook()
    ws = wb.active
    ws.append(["Patient ID", "Statement ID", "Date", "Amount", "Type", "Method",
               "Check/Trace Number", "Comment"])
    ws.append(["A1", "S1", DOS, D("30.00"), "General Payment", "check", "501", None])
    ws.append(["A1", None, "bad date", "1.00", None, None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("receipts.xlsx", buf.getvalue(), "application/octet-stream")}
    r = await client.post("/api/receipts/import", files=files, headers=practice.headers("biller"))
    assert r.status_code == 200, r.text
    res = r.json()
    assert len(res["created"]) == 1 and res["problems"][0]["row"] == 3
    assert res["reconcile"]["completed"] == 1
    r = await client.post("/api/receipts/import", files=files, headers=practice.headers("biller"))
    assert r.json()["duplicates"] == [2]
    r = await client.post("/api/receipts/import", headers=practice.headers("biller"),
                          files={"file": ("x.xlsx", b"garbage", "application/octet-stream")})
    assert r.status_code == 422 and "x.xlsx: not a readable .xlsx workbook" in r.text
    r = await client.get("/api/receipts/export.xlsx?status=all",
                         headers=practice.headers("viewer"))
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][7] == "501"


async def test_receipt_types(client: AsyncTestClient, practice: PracticeKeys):
    r = await client.post("/api/receipts/types", json={"name": "Optical Deposit",
                                                       "behaviour": "prepay"},
                          headers=practice.headers("admin"))
    assert r.status_code == 201, r.text
    r = await client.get("/api/receipts/types", headers=practice.headers("viewer"))
    assert {"id": r.json()[-1]["id"], "name": "Optical Deposit", "behaviour": "prepay",
            "builtin": False} == r.json()[-1]
    assert len(r.json()) == 6


async def test_sub_cent_and_odd_amounts_are_refused_with_where(client: AsyncTestClient,
                                                               practice: PracticeKeys):
    hb = practice.headers("biller")
    for amount in ("10.005", "Infinity", "NaN", "1e20"):
        body = {"received_on": DOS.isoformat(), "amount": amount, "patient_account": "A1"}
        r = await client.post("/api/receipts", json=body, headers=hb)
        assert r.status_code == 422, (amount, r.text)
        assert "amount" in r.text
    body = {"received_on": DOS.isoformat(), "amount": 10.005, "patient_account": "A1"}
    r = await client.post("/api/receipts", json=body, headers=hb)  # a JSON number, too
    assert r.status_code == 422 and "part of a cent" in r.text
    r = await client.get("/api/receipts?amount=10.005", headers=practice.headers("viewer"))
    assert r.status_code == 422 and "part of a cent" in r.text
    r = await client.get("/api/receipts?status=all", headers=practice.headers("viewer"))
    assert r.json()["items"] == []
    r = await client.get("/api/receipts?date_from=yesterday", headers=practice.headers("viewer"))
    assert r.status_code == 422 and "date_from" in r.text
    r = await client.get("/schema/openapi.json")
    params = {p["name"] for p in r.json()["paths"]["/api/receipts"]["get"]["parameters"]}
    assert {"status", "date_from", "amount", "chart_number", "limit", "offset"} <= params
