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
    assert r.json() == []


async def test_bad_claim_is_a_located_400(client: AsyncTestClient, practice: PracticeKeys):
    bad = {**CLAIM, "lines": [{"procedure_code": "92014", "charge": "1.234"}]}
    r = await client.post("/api/claims", json=bad, headers=practice.headers("biller"))
    assert r.status_code == 400
    assert "lines[0].charge" in r.text
