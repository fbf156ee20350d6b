"""Every endpoint is scoped to the key's practice: 401 without a key, 403 for a role that may
not, 404 for another practice's object; and no response ever carries a connector secret."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import PracticeKeys

SECRET = "pw-7f3a9c1e-never-shown"
KEY_PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1ub3Qtc2hvd24=\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
SFTP = {
    "transport": "sftp", "host": "127.0.0.1", "port": 2222, "username": "clinic",
    "password": SECRET, "private_key": KEY_PEM,
    "known_hosts": "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample",
}


async def _seed(client: AsyncTestClient, p: PracticeKeys) -> dict[str, int]:
    h = p.headers("admin")
    ids = {"location": p.location_id}
    r = await client.post("/api/payers", json={"name": "Vision Plan"}, headers=h)
    assert r.status_code == 201, r.text
    ids["payer"] = r.json()["id"]
    r = await client.post("/api/connectors", json={"plugin": "clearinghouse_sftp",
                                                   "name": "ch", "config": SFTP}, headers=h)
    assert r.status_code == 201, r.text
    ids["connector"] = r.json()["id"]
    r = await client.post("/api/claims", headers=h, json={
        "patient": {"account": "C1"}, "service_date_from": "2026-11-02",
        "lines": [{"procedure_code": "92004", "charge": "120.00"}]})
    ids["claim"] = r.json()["id"]
    r = await client.post("/api/users", json={"email": "new@x.test", "role": "viewer"}, headers=h)
    ids["user"] = r.json()["id"]
    return ids


SHOW = {
    "location": "/api/locations/{}",
    "payer": "/api/payers/{}",
    "connector": "/api/connectors/{}",
    "claim": "/api/claims/{}",
}


async def test_other_practice_objects_are_404(client, practice, other_practice):
    ids = await _seed(client, practice)
    for kind, url in SHOW.items():
        mine = await client.get(url.format(ids[kind]), headers=practice.headers("viewer"))
        theirs = await client.get(url.format(ids[kind]), headers=other_practice.headers("admin"))
        assert mine.status_code == 200, (kind, mine.text)
        assert theirs.status_code == 404, (kind, theirs.text)
    r = await client.get(f"/api/practices/{practice.practice_id}",
                         headers=other_practice.headers("admin"))
    assert r.status_code == 404
    r = await client.post(f"/api/users/{ids['user']}/keys", headers=other_practice.headers("admin"))
    assert r.status_code == 404
    r = await client.patch(f"/api/connectors/{ids['connector']}", json={"config": {"port": 22}},
                           headers=other_practice.headers("admin"))
    assert r.status_code == 404
    for listing in ("/api/payers", "/api/connectors", "/api/claims", "/api/locations"):
        r = await client.get(listing, headers=other_practice.headers("admin"))
        body = r.json()
        got = {row["id"] for row in (body["items"] if isinstance(body, dict) else body)}
        assert not got & set(ids.values()) or listing == "/api/locations", listing
    r = await client.get("/api/locations", headers=other_practice.headers("admin"))
    assert [row["id"] for row in r.json()["items"]] == [other_practice.location_id]
    assert r.json()["total"] == 1


@pytest.mark.parametrize("url", ["/api/payers", "/api/claims", "/api/connectors",
                                 "/api/locations", "/api/practices", "/api/users",
                                 "/api/notifications"])
async def test_no_key_is_401(client, url):
    assert (await client.get(url)).status_code == 401
    r = await client.get(url, headers={"Authorization": "Bearer gw_not-a-real-key"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("role", "method", "url", "body", "allowed"),
    [
        ("viewer", "post", "/api/payers", {"name": "X"}, False),
        ("biller", "post", "/api/payers", {"name": "X"}, True),
        ("biller", "post", "/api/connectors", {"plugin": "compulink", "name": "c"}, False),
        ("admin", "post", "/api/connectors", {"plugin": "compulink", "name": "c"}, True),
        ("biller", "get", "/api/users", None, False),
        ("biller", "get", "/api/practices", None, False),
        ("viewer", "post", "/api/locations", {"name": "North"}, False),
        ("admin", "post", "/api/locations", {"name": "North"}, True),
    ],
)
async def test_roles(client, practice, role, method, url, body, allowed):
    kwargs = {"headers": practice.headers(role)}
    if body is not None:
        kwargs["json"] = body
    r = await getattr(client, method)(url, **kwargs)
    assert (r.status_code < 400) is allowed, r.text
    if not allowed:
        assert r.status_code == 403


async def test_health_and_schema_are_open(client):
    assert (await client.get("/health")).json() == {"status": "ok"}
    assert (await client.get("/schema/openapi.json")).status_code == 200


async def test_no_response_carries_a_secret(client, practice):
    ids = await _seed(client, practice)
    h = practice.headers("admin")
    bodies = []
    r = await client.patch(f"/api/connectors/{ids['connector']}",
                           json={"config": {"port": 2200}}, headers=h)
    bodies.append(r.text)
    assert r.json()["secrets_set"] == ["password", "private_key"]
    assert r.json()["config"]["port"] == 2200
    for url in ("/api/connectors", f"/api/connectors/{ids['connector']}", "/api/practices",
                "/api/payers", "/api/claims", "/api/users", "/api/notifications",
                "/schema/openapi.json"):
        bodies.append((await client.get(url, headers=h)).text)
    for body in bodies:
        assert SECRET not in body
        assert "c2VjcmV0LWtleS1ub3Qtc2hvd24" not in body


async def test_connector_config_is_validated(client, practice):
    h = practice.headers("admin")
    r = await client.post("/api/connectors", headers=h, json={
        "plugin": "clearinghouse_sftp", "name": "bad", "config": {**SFTP, "port": "twenty"}})
    assert r.status_code == 422
    assert "port" in r.text
    r = await client.post("/api/connectors", headers=h, json={
        "plugin": "clearinghouse_sftp", "name": "bad", "config": {**SFTP, "hots": "typo"}})
    assert r.status_code == 422
    assert "hots" in r.text
    r = await client.post("/api/connectors", headers=h, json={
        "plugin": "nope", "name": "bad", "config": {}})
    assert r.status_code == 404


async def test_practice_settings_update(client, practice):
    h = practice.headers("admin")
    r = await client.patch(f"/api/practices/{practice.practice_id}", headers=h,
                           json={"settings": {"copay_hold_days": 5}})
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["copay_hold_days"] == 5
    r = await client.patch(f"/api/practices/{practice.practice_id}", headers=h,
                           json={"settings": {"copay_hold_days": "five"}})
    assert r.status_code == 422
