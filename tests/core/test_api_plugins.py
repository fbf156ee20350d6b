"""`GET /api/plugins`: every plugin with its vendor, version and capabilities; any role."""

from __future__ import annotations

from importlib import metadata

from tests.core.test_plugins import BUILTINS


async def test_any_role_lists_the_plugins(client, practice):
    for role in ("viewer", "biller", "admin"):
        r = await client.get("/api/plugins", headers=practice.headers(role))
        assert r.status_code == 200, r.text
        body = r.json()
        assert [p["name"] for p in body] == BUILTINS
    sftp = next(p for p in body if p["name"] == "clearinghouse_sftp")
    assert sftp["builtin"] is True
    assert sftp["version"] == metadata.version("eyecare-gateway")
    assert "submit_claims" in sftp["capabilities"] and sftp["vendor"]


async def test_plugins_need_a_key(client):
    r = await client.get("/api/plugins")
    assert r.status_code == 401
