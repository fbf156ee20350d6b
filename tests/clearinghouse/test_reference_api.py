"""Reference batches through the API: opened with the practice's claims only, listed, closed
once, audited."""

from __future__ import annotations

from sqlalchemy import select

from gateway.db.models import AuditLog
from tests.clearinghouse.test_batch_claims_job import _world


async def test_open_list_close(client, session, practice, other_practice):
    ids = await _world(session, practice.practice_id, practice.location_id)
    h = practice.headers("biller")
    r = await client.post("/api/reference-batches", headers=h,
                          json={"name": "review", "claim_ids": [ids["base"], ids["payer"]]})
    assert r.status_code == 201, r.text
    ref = r.json()
    assert ref["status"] == "open" and ref["claim_ids"] == sorted([ids["base"], ids["payer"]])
    r = await client.post("/api/reference-batches", headers=other_practice.headers("biller"),
                          json={"name": "theirs", "claim_ids": [ids["base"]]})
    assert r.status_code == 422 and "claim_ids" in r.text
    r = await client.post(f"/api/reference-batches/{ref['id']}/close",
                          headers=practice.headers("viewer"))
    assert r.status_code == 403
    r = await client.post(f"/api/reference-batches/{ref['id']}/close", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "closed", r.text
    r = await client.post(f"/api/reference-batches/{ref['id']}/close", headers=h)
    assert r.status_code == 422 and "already closed" in r.text
    r = await client.get("/api/reference-batches", headers=practice.headers("viewer"))
    assert [b["id"] for b in r.json()] == [ref["id"]]
    actions = (await session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == "reference_batch").order_by(AuditLog.id))).all()
    assert actions == ["reference_batch.open", "reference_batch.close"]
