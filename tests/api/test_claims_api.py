from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.conftest import PracticeKeys

CLAIM = {
    "patient": {"account": "A100", "first_name": "Pat", "last_name": "Doe"},
    "service_date_from": "2026-10-01",
    "diagnosis_codes": ["H52.13"],
    "lines": [
        {"procedure_code": "92014", "charge": "150.00", "diagnosis_pointers": [1]},
        {"procedure_code": "92015", "charge": "45.50", "modifiers": ["gy"], "copay": True},
    ],
}


async def test_create_and_show_claim_balances(client: AsyncTestClient, practice: PracticeKeys):
    r = await client.post("/api/claims", json=CLAIM, headers=practice.headers("biller"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["charges"] == "195.50"
    assert body["insurance_balance"] == "195.50"
    assert body["patient_balance"] == "0.00"
    assert body["lines"][1]["modifiers"] == ["GY"]
    r = await client.get(f"/api/claims/{body['id']}", headers=practice.headers("viewer"))
    assert r.status_code == 200
    assert r.json()["lines"][0]["balances"]["balance"] == "150.00"


async def test_claims_are_scoped(client: AsyncTestClient, practice: PracticeKeys,
                                 other_practice: PracticeKeys):
    r = await client.post("/api/claims", json=CLAIM, headers=practice.headers("biller"))
    claim_id = r.json()["id"]
    assert (await client.get(f"/api/claims/{claim_id}")).status_code == 401
    r = await client.get(f"/api/claims/{claim_id}", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    r = await client.get(f"/api/claims/{claim_id}", headers=other_practice.headers("admin"))
    assert r.status_code == 404
    r = await client.post("/api/claims", json=CLAIM, headers=practice.headers("viewer"))
    assert r.status_code == 403
    r = await client.get("/api/claims", headers=other_practice.headers("viewer"))
    assert r.json()["items"] == [] and r.json()["total"] == 0


async def test_bad_claim_is_a_located_400(client: AsyncTestClient, practice: PracticeKeys):
    bad = {**CLAIM, "lines": [{"procedure_code": "92014", "charge": "1.234"}]}
    r = await client.post("/api/claims", json=bad, headers=practice.headers("biller"))
    assert r.status_code == 422
    assert "lines[0].charge" in r.text


async def test_new_claim_is_unbilled_unless_the_pms_billed_it(client: AsyncTestClient,
                                                              practice: PracticeKeys):
    r = await client.post("/api/claims", json=CLAIM, headers=practice.headers("biller"))
    body = r.json()
    assert (body["billing_state"], body["billed_by"], body["origin"]) == ("unbilled", None, "api")
    pms = {**CLAIM, "patient_control_number": "PMS-1", "source_claim_id": "T-77",
           "billed_by_pms": True}
    r = await client.post("/api/claims", json=pms, headers=practice.headers("biller"))
    body = r.json()
    assert (body["billing_state"], body["billed_by"], body["source_claim_id"]) == (
        "billed", "pms", "T-77")
    assert body["billed_at"] is not None
    r = await client.get("/api/claims?billing_state=billed", headers=practice.headers("viewer"))
    assert [c["source_claim_id"] for c in r.json()["items"]] == ["T-77"]
    r = await client.get("/api/claims?billing_state=sent", headers=practice.headers("viewer"))
    assert r.status_code == 422 and "billing_state" in r.text


async def test_patch_changes_workflow_fields_audited(client: AsyncTestClient,
                                                     practice: PracticeKeys, session):
    from sqlalchemy import select

    from gateway.db.models import AuditLog

    claim_id = (await client.post("/api/claims", json=CLAIM,
                                  headers=practice.headers("biller"))).json()["id"]
    change = {"status": "Pending", "level": "Secondary", "sub_status": "Waiting on EOB",
              "invoice_date": "2026-10-05"}
    r = await client.patch(f"/api/claims/{claim_id}", json=change,
                           headers=practice.headers("biller"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["level"], body["sub_status"], body["invoice_date"]) == (
        "Pending", "Secondary", "Waiting on EOB", "2026-10-05")
    r = await client.patch(f"/api/claims/{claim_id}", json={"sub_status": None},
                           headers=practice.headers("biller"))
    assert r.json()["sub_status"] is None and r.json()["status"] == "Pending"
    row = await session.scalar(select(AuditLog).where(AuditLog.action == "claim.update")
                               .order_by(AuditLog.id))
    assert row.detail["before"]["level"] == "Primary"
    assert row.detail["after"]["invoice_date"] == "2026-10-05"
    for bad, where in (({"level": "Quaternary"}, "level"), ({"status": ""}, "status"),
                       ({}, "body"), ({"billing_state": "unbilled"}, "billing_state")):
        r = await client.patch(f"/api/claims/{claim_id}", json=bad,
                               headers=practice.headers("biller"))
        assert r.status_code == 422 and where in r.text, (bad, r.text)
    r = await client.patch(f"/api/claims/{claim_id}", json={"status": "X"},
                           headers=practice.headers("viewer"))
    assert r.status_code == 403


async def test_release_only_a_rejected_claim(client: AsyncTestClient, practice: PracticeKeys,
                                            other_practice: PracticeKeys, session):
    from gateway.ledger.billing import mark_in_batch, mark_rejected

    claim_id = (await client.post("/api/claims", json=CLAIM,
                                  headers=practice.headers("biller"))).json()["id"]
    r = await client.post(f"/api/claims/{claim_id}/release", headers=practice.headers("biller"))
    assert r.status_code == 422 and "not rejected" in r.text
    await mark_in_batch(session, [claim_id])
    await mark_rejected(session, claim_id, "277CA rejected the claim: A7:562")
    await session.commit()
    r = await client.post(f"/api/claims/{claim_id}/release",
                          headers=other_practice.headers("biller"))
    assert r.status_code == 404
    r = await client.post(f"/api/claims/{claim_id}/release", json={"note": "fixed NPI"},
                          headers=practice.headers("biller"))
    assert r.status_code == 200, r.text
    assert (r.json()["billing_state"], r.json()["rejection_reason"]) == ("unbilled", None)
