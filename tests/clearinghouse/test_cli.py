"""`gateway connectors ...` as a script runs it: add, list (no secrets), set-secret from
stdin, check, run --json; errors are one line with an exit code, never a traceback."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.core.x12.generate835 import generate_835
from tests.clearinghouse.conftest import Remote
from tests.support.sshd import SshServer


def gw(db_url: str, *args: str, stdin: str | None = None, capsys=None,
       monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exit_:
        main(["--database-url", db_url, *args])
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_connectors_cli_end_to_end(db_url: str, remote: Remote, sshd: SshServer, tmp_path: Path,
                                   capsys, monkeypatch):
    def run(*args, stdin=None):
        return gw(db_url, *args, stdin=stdin, capsys=capsys, monkeypatch=monkeypatch)

    code, out, _ = run("practices", "add", "CLI Eye", "--json")
    pid = str(json.loads(out)["id"])
    config = remote.config_dict(private_key=None, password="wrong-at-first")
    path = tmp_path / "ch.json"
    path.write_text(json.dumps(config))
    code, out, err = run("connectors", "add", "--practice", pid, "--plugin",
                         "clearinghouse_sftp", "--name", "clearinghouse", "--config", str(path),
                         "--json")
    assert code == 0, err
    assert set(json.loads(out)) == {"id"}

    code, out, _ = run("connectors", "list", "--practice", pid, "--json")
    (listed,) = json.loads(out)
    assert listed["name"] == "clearinghouse" and listed["secrets_set"] == ["password"]
    assert "wrong-at-first" not in out and "password" not in listed["config"]

    remote.drop("era", "cli.835", generate_835(claims=2, seed=77)[0].encode())
    code, out, err = run("connectors", "run", "clearinghouse", "--action", "fetch-eras", "--json")
    assert code == 1 and out == ""
    assert err.startswith("failed: authentication failed for gwsftp@") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1

    code, out, err = run("connectors", "set-secret", "clearinghouse", "password", "--stdin",
                         stdin=sshd.password + "\n")
    assert code == 0 and sshd.password not in out + err

    code, out, err = run("connectors", "run", "clearinghouse", "--action", "fetch-eras", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert {k: result[k] for k in ("seen", "new", "imported", "duplicates", "failed")} == {
        "seen": 1, "new": 1, "imported": 1, "duplicates": 0, "failed": []}

    code, out, err = run("connectors", "check", "clearinghouse", "--json")
    assert code == 0, err
    check = json.loads(out)
    assert check["ok"] and check["host_key_fingerprint"].startswith("SHA256:")
    assert check["folders"]["era_dir"] == 1 and check["latency_ms"] >= 0

    code, _, err = run("connectors", "set-secret", "clearinghouse", "host", "--stdin", stdin="x")
    assert code == 2 and "not a secret" in err

    code, _, err = run("connectors", "run", "nope", "--action", "fetch-eras")
    assert code == 2 and "no connector 'nope'" in err

    bad = tmp_path / "bad.json"
    bad.write_text('{"transport": "sftp", "host": "h"')
    code, _, err = run("connectors", "add", "--practice", pid, "--plugin", "clearinghouse_sftp",
                       "--name", "x", "--config", str(bad))
    assert code == 2 and "bad.json" in err and "line 1" in err


def test_demo_connector_shows_an_era_arriving(db_url: str, tmp_path: Path, capsys, monkeypatch):
    import asyncio

    from gateway.admin.practices import create_practice
    from gateway.clearinghouse.demo import DEMO_CONNECTOR, setup_demo_connector
    from gateway.db.engine import session_scope

    async def setup() -> tuple[int, int]:
        async with session_scope(db_url) as s:
            pid = await create_practice(s, "Demo")
            return pid, await setup_demo_connector(s, pid, tmp_path / "ch")

    pid, cid = asyncio.run(setup())
    assert sorted(p.name for p in (tmp_path / "ch" / "era").iterdir()) == [
        "demo-remittance-0001.835"]
    code, out, err = gw(db_url, "connectors", "run", DEMO_CONNECTOR, "--action", "fetch-eras",
                        "--json", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 0, err
    assert json.loads(out)["imported"] == 1
    assert list((tmp_path / "ch" / "era").iterdir()) == []
    assert [p.name for p in (tmp_path / "ch" / "archive").iterdir()] == [
        "demo-remittance-0001.835"]

    async def again() -> int:
        async with session_scope(db_url) as s:
            return await setup_demo_connector(s, pid, tmp_path / "ch")

    assert asyncio.run(again()) == cid  # idempotent, and no second sample dropped
    assert list((tmp_path / "ch" / "era").iterdir()) == []
