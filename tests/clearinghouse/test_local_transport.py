"""The `transport: local` variant: same semantics as SFTP, on local folders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import gateway.plugins.clearinghouse_sftp as plugin
from gateway.core.records import ClaimBatch, Connector
from gateway.core.transport.base import FolderMissing, TransportError
from gateway.core.transport.local import LocalTransport
from tests.clearinghouse.conftest import Remote


def _connector(remote: Remote, **overrides: object) -> Connector:
    return Connector(id=9, practice_id=1, plugin=plugin.NAME, name="local",
                     config=remote.config(**overrides))


def test_fetch_spools_and_hashes(local_remote: Remote, spool: Path):
    local_remote.drop("era", "one.835", b"ISA*1")
    local_remote.drop("era", "two.835.part", b"ISA*half")
    local_remote.drop("ack", "a.999", b"ISA*ack")
    files = plugin.gateway_fetch_eras(_connector(local_remote))
    assert [f.name for f in files] == ["one.835"]
    (f,) = files
    assert Path(f.local_path).parent == spool
    assert Path(f.local_path).read_bytes() == b"ISA*1"
    assert f.sha256 == hashlib.sha256(b"ISA*1").hexdigest() and f.size == 5
    acks = plugin.gateway_fetch_acknowledgments(_connector(local_remote))
    assert [(a.name, a.kind) for a in acks] == [("a.999", "acknowledgment")]


def test_missing_folder(local_remote: Remote):
    with pytest.raises(FolderMissing, match="'/no/such/dir' not found"):
        plugin.gateway_fetch_eras(_connector(local_remote, era_dir="/no/such/dir"))


def test_upload_atomic_and_no_overwrite(local_remote: Remote):
    content = b"ISA*" + b"x" * 700_000
    seen: list[tuple[bool, bool]] = []

    def progress(name: str, done: int, total: int) -> None:
        seen.append(((local_remote.claims / name).exists(),
                     (local_remote.claims / f"{name}.part").exists()))

    cfg = local_remote.config()
    receipt = LocalTransport(cfg, progress=progress).upload(cfg.claims_dir, "B1.837", content)
    assert seen and all(final is False and part is True for final, part in seen)
    assert (local_remote.claims / "B1.837").read_bytes() == content
    assert not (local_remote.claims / "B1.837.part").exists()
    assert receipt.sha256 == hashlib.sha256(content).hexdigest() and receipt.size == len(content)
    batch = ClaimBatch(id=1, name="B1.837", content=b"other", interchange_control_number=1,
                       claim_count=1)
    with pytest.raises(TransportError, match="already exists"):
        plugin.gateway_submit_claim_batch(_connector(local_remote), batch)
    assert (local_remote.claims / "B1.837").read_bytes() == content
    assert sorted(p.name for p in local_remote.claims.iterdir()) == ["B1.837"]


@pytest.mark.parametrize("action", ["leave", "delete", "move"])
def test_after_download(local_remote: Remote, action: str):
    local_remote.drop("era", "e.835", b"ISA*e")
    conn = _connector(local_remote, after_download=action)
    (f,) = plugin.gateway_fetch_eras(conn)
    plugin.gateway_finish_fetch(conn, f, "failed")
    assert (local_remote.era / "e.835").exists()
    plugin.gateway_finish_fetch(conn, f, "imported")
    assert (local_remote.era / "e.835").exists() is (action == "leave")
    assert (local_remote.archive / "e.835").exists() is (action == "move")


def test_check(local_remote: Remote):
    local_remote.drop("era", "e.835", b"ISA*e")
    check = plugin.gateway_check_connector(_connector(local_remote))
    assert check.ok and check.folders == {"era_dir": 1, "ack_dir": 0, "claims_dir": 0}
    bad = plugin.gateway_check_connector(_connector(local_remote, claims_dir="/nope/x"))
    assert not bad.ok and "'/nope/x' not found" in bad.problems[0]


def test_config_refuses_bad_known_hosts():
    from gateway.admin.connectors import validate_config
    from gateway.core.errors import UserError

    with pytest.raises(UserError, match="known_hosts line 1"):
        validate_config(plugin.NAME, {"host": "h", "username": "u", "password": "p",
                                      "known_hosts": "not a known hosts line"})
    with pytest.raises(UserError, match="needs a password or a private_key"):
        validate_config(plugin.NAME, {
            "host": "h", "username": "u",
            "known_hosts": "h ssh-ed25519 "
            "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        })
