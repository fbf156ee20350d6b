"""Collection rules are data: listed, created, edited and deleted through the API and the real
CLI, audited, scoped to the practice; the worklist follows the rules as they are now."""

from __future__ import annotations

from sqlalchemy import select

from gateway.db.models import AuditLog
from tests.balances.test_api_cli import _synced


async def test_rules_through_the_api(client, session, practice, other_practice, make_connector,
                                     tmp_path):
    await _synced(session, practice, make_connector, tmp_path)
    h = practice.headers("biller")
    r = await client.post("/api/collection-rules", headers=h, json={
        "name": "remind", "action": "reminder", "criteria": {"min_patient_portion": "10"}})
    assert r.status_code == 201, r.text
    rule = r.json()
    assert (rule["name"], rule["criteria"]["min_patient_portion"]) == ("remind", "10")
    again = await client.post("/api/collection-rules", headers=h, json={
        "name": "remind", "action": "reminder"})
    assert again.status_code == 422 and "exists already" in again.text
    bad = await client.post("/api/collection-rules", headers=h, json={
        "name": "x", "action": "reminder", "criteria": {"oldest_bucket_at_least": "7"}})
    assert bad.status_code == 422
    viewer = await client.post("/api/collection-rules", headers=practice.headers("viewer"),
                               json={"name": "v", "action": "reminder"})
    assert viewer.status_code == 403

    listed = await client.get("/api/collection-rules", headers=practice.headers("viewer"))
    assert [x["name"] for x in listed.json()] == ["remind"]
    work = await client.get("/api/collection-rules/worklist", headers=h)
    assert {e["account"] for e in work.json()} == {"A1", "A2"}

    r = await client.patch(f"/api/collection-rules/{rule['id']}", headers=h,
                           json={"criteria": {"min_patient_portion": "1000"}})
    assert r.status_code == 200 and r.json()["criteria"]["min_patient_portion"] == "1000"
    work = await client.get("/api/collection-rules/worklist", headers=h)
    assert work.json() == []  # no account owes that much: they left the worklist

    foreign = await client.delete(f"/api/collection-rules/{rule['id']}",
                                  headers=other_practice.headers("biller"))
    assert foreign.status_code == 404
    gone = await client.delete(f"/api/collection-rules/{rule['id']}", headers=h)
    assert gone.status_code == 204
    assert (await client.get("/api/collection-rules", headers=h)).json() == []
    actions = (await session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == "collection_rule").order_by(AuditLog.id))).all()
    assert actions == ["collection_rule.create", "collection_rule.edit",
                       "collection_rule.delete"]


async def test_rules_through_the_cli(gateway, session, practice, make_connector, tmp_path):
    await _synced(session, practice, make_connector, tmp_path)
    p = str(practice.practice_id)
    out = gateway("collection-rules", "add", "--practice", p, "--name", "late",
                  "--action", "collections", "--criteria",
                  '{"oldest_bucket_at_least": "91_120"}', "--json")
    assert out.code == 0, out.err
    rule_id = str(out.json()["id"])
    work = gateway("collection-rules", "worklist", "--practice", p, "--json")
    assert [e["account"] for e in work.json()] == ["A2"]
    out = gateway("collection-rules", "edit", "--practice", p, rule_id, "--name", "later",
                  "--json")
    assert out.json()["name"] == "later" and out.json()["action"] == "collections"
    bad = gateway("collection-rules", "add", "--practice", p, "--name", "x", "--action",
                  "reminder", "--criteria", "[1]")
    assert bad.code == 2 and "Traceback" not in bad.err
    assert "later" in gateway("collection-rules", "list", "--practice", p).out
    assert gateway("collection-rules", "delete", "--practice", p, rule_id).code == 0
    assert gateway("collection-rules", "list", "--practice", p, "--json").json() == []
