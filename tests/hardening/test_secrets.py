"""Connector secrets are encrypted at rest with a key outside the database, and rotate."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.connectors import load_connector
from tests.api.test_scoping import KEY_PEM, SECRET, SFTP
from tests.conftest import PracticeKeys


def _raw_dump(db_url: str) -> str:
    path = db_url.split("///", 1)[1]
    con = sqlite3.connect(path)
    try:
        rows = [repr(r) for table in ("connector_secrets", "connectors")
                for r in con.execute(f"SELECT * FROM {table}")]  # noqa: S608 - fixed names
    finally:
        con.close()
    return "\n".join(rows)


@pytest.fixture(autouse=True)
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "secret.key"
    monkeypatch.delenv("GATEWAY_SECRET_KEY", raising=False)
    monkeypatch.setenv("GATEWAY_SECRET_KEY_FILE", str(path))
    return path


async def _create(client: AsyncTestClient, p: PracticeKeys) -> int:
    r = await client.post("/api/connectors", headers=p.headers("admin"), json={
        "plugin": "clearinghouse_sftp", "name": "ch", "config": SFTP})
    assert r.status_code == 201, r.text
    assert r.json()["secrets_set"] == ["password", "private_key"]
    return int(r.json()["id"])


async def test_the_raw_table_holds_no_secret(client: AsyncTestClient, practice: PracticeKeys,
                                             session: AsyncSession, db_url: str,
                                             key_file: Path) -> None:
    conn_id = await _create(client, practice)
    raw = _raw_dump(db_url)
    assert "fernet:" in raw and "password" in raw  # the names are there, sealed values too
    assert SECRET not in raw and "c2VjcmV0LWtleS1ub3Qtc2hvd24" not in raw
    assert key_file.stat().st_mode & 0o777 == 0o600
    loaded = await load_connector(session, practice.practice_id, conn_id)
    assert loaded.config.password == SECRET and loaded.config.private_key == KEY_PEM


async def test_rotate_re_encrypts_under_a_new_key(client: AsyncTestClient,
                                                  practice: PracticeKeys,
                                                  session: AsyncSession, db_url: str,
                                                  key_file: Path, gateway) -> None:  # type: ignore[no-untyped-def]
    conn_id = await _create(client, practice)
    before, old_key = _raw_dump(db_url), key_file.read_bytes()
    r = gateway("secrets", "rotate", "--json")
    assert r.code == 0, r.err
    assert r.json()["connectors"] == 1
    new_key = key_file.read_bytes()
    assert new_key != old_key and len(new_key.splitlines()) == 1
    after = _raw_dump(db_url)
    assert after != before and SECRET not in after
    loaded = await load_connector(session, practice.practice_id, conn_id)
    assert loaded.config.password == SECRET
    key_file.write_bytes(old_key)  # the old key alone no longer opens the secrets
    session.expire_all()
    with pytest.raises(Exception, match="cannot be decrypted"):
        await load_connector(session, practice.practice_id, conn_id)
