"""The practice-data API: create or update by the PMS's id, update by id, list; practice
scoping (another practice's id is 404) and roles (viewers read, billers write)."""

from __future__ import annotations

from decimal import Decimal

PATIENT = {"pms_patient_id": "P1", "account_number": "A1", "last_name": "Rivera",
           "first_name": "Ana", "dob": "1980-03-14", "sex": "F"}


async def test_patients_create_update_list_and_scoping(client, practice, other_practice):
    h = practice.headers("biller")
    r = await client.post("/api/patients", json=PATIENT, headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["account"], created["pms_patient_id"], created["dob"]) == (
        "A1", "P1", "1980-03-14")
    r = await client.post("/api/patients", json={**PATIENT, "city": "Springfield"}, headers=h)
    assert r.json()["id"] == created["id"] and r.json()["city"] == "Springfield"
    r = await client.put(f"/api/patients/{created['id']}",
                         json={**PATIENT, "last_name": "Rivera-Cruz"}, headers=h)
    assert r.status_code == 200 and r.json()["last_name"] == "Rivera-Cruz"
    r = await client.put(f"/api/patients/{created['id']}",
                         json={**PATIENT, "pms_patient_id": "P9"}, headers=h)
    assert r.status_code == 422 and "has PMS id 'P1'" in r.json()["detail"]
    r = await client.get("/api/patients", headers=practice.headers("viewer"))
    assert [p["id"] for p in r.json()] == [created["id"]]

    other = other_practice.headers("admin")
    r = await client.put(f"/api/patients/{created['id']}", json=PATIENT, headers=other)
    assert r.status_code == 404
    assert (await client.get("/api/patients", headers=other)).json() == []
    r = await client.post("/api/patients", json=PATIENT, headers=practice.headers("viewer"))
    assert r.status_code == 403
    r = await client.post("/api/patients", json={**PATIENT, "sex": "Q"}, headers=h)
    assert r.status_code == 422


async def test_coverages_appointments_and_a_pms_claim(client, practice, other_practice):
    h = practice.headers("biller")
    await client.post("/api/patients", json=PATIENT, headers=h)
    cov = {"pms_patient_id": "P1", "rank": 1, "payer_name": "VSP Vision Care",
           "payer_id": "VSP01", "member_id": "M-1"}
    r = await client.post("/api/coverages", json=cov, headers=h)
    assert r.status_code == 201, r.text
    coverage = r.json()
    r = await client.put(f"/api/coverages/{coverage['id']}", json={**cov, "member_id": "M-2"},
                         headers=h)
    assert r.json()["member_id"] == "M-2"
    r = await client.put(f"/api/coverages/{coverage['id']}", json={**cov, "rank": 2}, headers=h)
    assert r.status_code == 422
    r = await client.put(f"/api/coverages/{coverage['id']}", json=cov,
                         headers=other_practice.headers("admin"))
    assert r.status_code == 404
    r = await client.post("/api/coverages", json={**cov, "pms_patient_id": "NOPE"}, headers=h)
    assert r.status_code == 422 and "no patient with PMS id 'NOPE'" in r.json()["detail"]

    appt = {"pms_appointment_id": "AP1", "pms_patient_id": "P1",
            "starts_at": "2026-12-01T09:30:00Z", "location": "Main", "pms_claim_id": "C1"}
    r = await client.post("/api/appointments", json=appt, headers=h)
    assert r.status_code == 201, r.text
    appointment = r.json()
    r = await client.put(f"/api/appointments/{appointment['id']}",
                         json={**appt, "status": "Checked Out"}, headers=h)
    assert r.json()["status"] == "Checked Out"
    r = await client.get("/api/appointments", headers=other_practice.headers("viewer"))
    assert r.json() == []

    claim = {"pms_claim_id": "C1", "pms_patient_id": "P1", "service_date_from": "2026-12-01",
             "diagnosis_codes": ["H52.13"], "billed_by_pms": True,
             "lines": [{"procedure_code": "92014", "charge": "165.00",
                        "diagnosis_pointers": [1]}]}
    r = await client.put("/api/claims/pms", json=claim, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (Decimal(body["charges"]), body["payer_id"]) == (
        Decimal("165.00"), coverage["payer_id"])
    again = await client.put("/api/claims/pms", json=claim, headers=h)
    assert again.json()["id"] == body["id"] and Decimal(again.json()["charges"]) == Decimal(
        "165.00")
    r = await client.get("/api/appointments", headers=practice.headers("viewer"))
    assert r.json()[0]["pms_claim_id"] == "C1"
    r = await client.get(f"/api/claims/{body['id']}", headers=practice.headers("viewer"))
    assert r.status_code == 200
