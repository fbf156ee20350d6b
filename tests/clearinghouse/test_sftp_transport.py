"""The SFTP transport against a real OpenSSH sshd: host keys, auth, listing, streaming
downloads, atomic uploads, after-download actions, and a server killed mid-transfer."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import paramiko
import pytest

import gateway.plugins.clearinghouse_sftp as plugin
from gateway.core.errors import Failure
from gateway.core.records import ClaimBatch, Connector
from gateway.core.transport.base import (
    AuthFailed,
    ConnectionLost,
    FolderMissing,
    HostKeyRefused,
    TransportError,
    fetch_folder,
)
from gateway.core.transport.sftp import POOL, SftpTransport, fingerprint, pinned_keys
from tests.clearinghouse.conftest import Remote, make_remote
from tests.support.sshd import SshServer, ed25519_keypair


def _connector(remote: Remote, **overrides: object) -> Connector:
    return Connector(id=7, practice_id=1, plugin=plugin.NAME, name="ch",
                     config=remote.config(**overrides))


def test_fetches_listed_files_with_hash_and_size(remote: Remote, spool: Path):
    remote.drop("era", "a.835", b"ISA*first")
    remote.drop("era", "b.835", b"ISA*second file")
    remote.drop("era", "c.835.part", b"half")
    remote.drop("era", ".hidden", b"x")
    (remote.era / "sub").mkdir()

    files = plugin.gateway_fetch_eras(_connector(remote))

    assert sorted(f.name for f in files) == ["a.835", "b.835"]
    for f in files:
        data = Path(f.local_path).read_bytes()
        assert data == (remote.era / f.name).read_bytes()
        assert f.size == len(data)
        assert f.sha256 == hashlib.sha256(data).hexdigest()
        assert f.kind == "era"
        assert f.remote_path == f"{remote.prefix}/era/{f.name}"
        assert Path(f.local_path).parent == spool


def test_pattern_selects_files(remote: Remote):
    remote.drop("era", "a.835", b"one")
    remote.drop("era", "b.txt", b"two")
    files = plugin.gateway_fetch_eras(_connector(remote, era_pattern="*.835"))
    assert [f.name for f in files] == ["a.835"]


def test_password_auth(remote: Remote, sshd: SshServer):
    remote.drop("ack", "x.999", b"ack")
    files = plugin.gateway_fetch_acknowledgments(
        _connector(remote, private_key=None, password=sshd.password))
    assert [(f.name, f.kind) for f in files] == [("x.999", "acknowledgment")]


def test_wrong_password_is_a_clear_error(remote: Remote, sshd: SshServer):
    cfg = remote.config(private_key=None, password="not-the-password")
    with pytest.raises(AuthFailed) as err:
        SftpTransport(cfg).connect()
    message = str(err.value)
    assert f"{sshd.user}@127.0.0.1:{sshd.port}" in message
    assert "authentication failed" in message and "password" in message
    assert isinstance(err.value, Failure)


def test_wrong_key_is_refused(remote: Remote):
    other_key, _ = ed25519_keypair()
    with pytest.raises(AuthFailed, match="private key refused"):
        SftpTransport(remote.config(private_key=other_key)).connect()


def test_unknown_host_key_refused_naming_host_port_fingerprint(remote: Remote, sshd: SshServer):
    _, someone_else = ed25519_keypair()
    cfg = remote.config(known_hosts=f"[10.9.9.9]:{sshd.port} {someone_else}\n")
    conn = SftpTransport(cfg)
    with pytest.raises(HostKeyRefused) as err:
        conn.connect()
    message = str(err.value)
    offered = fingerprint(paramiko.PKey.from_type_string(*_split(sshd.host_public)))
    assert f"127.0.0.1:{sshd.port}" in message and "unknown" in message
    assert offered in message
    assert conn.sftp is None and conn.transport is None  # nothing left open


def test_changed_host_key_refused(fresh_sshd: SshServer):
    remote = make_remote(fresh_sshd)
    remote.drop("era", "a.835", b"data")
    pinned = fresh_sshd.known_hosts
    assert plugin.gateway_fetch_eras(_connector(remote, known_hosts=pinned))

    fresh_sshd.new_host_key()  # the "server" now presents another key on the same address
    fresh_sshd.restart()
    new_fp = fingerprint(paramiko.PKey.from_type_string(*_split(fresh_sshd.host_public)))
    old_fp = fingerprint(paramiko.PKey.from_type_string(*_split(pinned.split(" ", 1)[1])))
    POOL.close_all()
    with pytest.raises(HostKeyRefused) as err:
        plugin.gateway_fetch_eras(_connector(remote, known_hosts=pinned))
    message = str(err.value)
    assert "CHANGED" in message and f"127.0.0.1:{fresh_sshd.port}" in message
    assert new_fp in message and old_fp in message


def test_hashed_known_hosts_entry_is_honoured(remote: Remote, sshd: SshServer):
    name = f"[127.0.0.1]:{sshd.port}"
    hashed = paramiko.HostKeys.hash_host(name)
    remote.drop("era", "a.835", b"x")
    cfg = remote.config(known_hosts=f"{hashed} {sshd.host_public}\n")
    assert pinned_keys(cfg.known_hosts, "127.0.0.1", sshd.port)
    with SftpTransport(cfg) as t:
        assert [e.name for e in t.list(cfg.era_dir, "*")] == ["a.835"]


def test_missing_folder_is_a_clear_error(remote: Remote, sshd: SshServer):
    with pytest.raises(FolderMissing) as err:
        plugin.gateway_fetch_eras(_connector(remote, era_dir="no/such/folder"))
    assert "'no/such/folder' not found" in str(err.value)
    assert f"127.0.0.1:{sshd.port}" in str(err.value)


def test_connection_refused_is_a_clear_error(remote: Remote):
    with pytest.raises(TransportError, match="cannot connect to 127.0.0.1:1"):
        SftpTransport(remote.config(port=1)).connect()


def test_upload_is_atomic_and_never_overwrites(remote: Remote):
    content = os.urandom(3 * 1024 * 1024 + 17)
    seen_during: list[tuple[bool, bool, int]] = []

    def progress(name: str, done: int, total: int) -> None:
        part = remote.claims / f"{name}.part"
        seen_during.append(((remote.claims / name).exists(), part.exists(), done))

    cfg = remote.config()
    batch = ClaimBatch(id=1, name="B000000001.837", content=content,
                       interchange_control_number=1, claim_count=1)
    with SftpTransport(cfg, progress=progress) as t:
        receipt = t.upload(cfg.claims_dir, batch.name, batch.content)

    assert len(seen_during) > 5
    # while the bytes were flowing: only the .part existed, never the final name
    assert all(final is False and part is True for final, part, _ in seen_during)
    assert (remote.claims / batch.name).read_bytes() == content
    assert not (remote.claims / f"{batch.name}.part").exists()
    assert receipt.size == len(content)
    assert receipt.sha256 == hashlib.sha256(content).hexdigest()
    assert receipt.remote_name == f"{remote.prefix}/claims/{batch.name}"

    with pytest.raises(TransportError, match="already exists"):
        plugin.gateway_submit_claim_batch(_connector(remote), batch)
    assert (remote.claims / batch.name).read_bytes() == content


def test_upload_falls_back_to_plain_rename(remote: Remote, monkeypatch: pytest.MonkeyPatch):
    def no_posix_rename(self, old, new):  # a server without the OpenSSH extension
        raise OSError("Operation unsupported")

    monkeypatch.setattr(paramiko.SFTPClient, "posix_rename", no_posix_rename)
    batch = ClaimBatch(id=2, name="B2.837", content=b"ISA*batch~", interchange_control_number=2,
                       claim_count=1)
    receipt = plugin.gateway_submit_claim_batch(_connector(remote), batch)
    assert receipt.size == 10
    assert (remote.claims / "B2.837").read_bytes() == b"ISA*batch~"
    assert not (remote.claims / "B2.837.part").exists()


def test_upload_confirm_fails_when_the_file_is_gone(remote: Remote, monkeypatch):
    """A server that moves files on arrival: with confirm on that is an error, with it
    off the upload counts as delivered."""
    real_rename = SftpTransport._rename

    def rename_then_server_moves_it(self, source, target):
        real_rename(self, source, target)
        os.unlink(remote.claims / Path(target).name)

    monkeypatch.setattr(SftpTransport, "_rename", rename_then_server_moves_it)
    batch = ClaimBatch(id=3, name="B3.837", content=b"x", interchange_control_number=3,
                       claim_count=1)
    with pytest.raises(TransportError, match="confirm_upload"):
        plugin.gateway_submit_claim_batch(_connector(remote), batch)
    batch4 = ClaimBatch(id=4, name="B4.837", content=b"x", interchange_control_number=4,
                        claim_count=1)
    receipt = plugin.gateway_submit_claim_batch(_connector(remote, confirm_upload=False), batch4)
    assert receipt.size == 1


@pytest.mark.parametrize("action", ["leave", "delete", "move"])
def test_after_download_actions(remote: Remote, action: str):
    remote.drop("era", "a.835", b"first")
    remote.drop("archive", "a.835", b"an older a.835 already archived")
    conn = _connector(remote, after_download=action)
    (f,) = plugin.gateway_fetch_eras(conn)
    assert plugin.gateway_finish_fetch(conn, f, "failed") is True
    assert (remote.era / "a.835").exists()  # failed: always left for the next poll
    assert plugin.gateway_finish_fetch(conn, f, "imported") is True
    there = (remote.era / "a.835").exists()
    archived = sorted(p.name for p in remote.archive.iterdir())
    if action == "leave":
        assert there and archived == ["a.835"]
    elif action == "delete":
        assert not there and archived == ["a.835"]
    else:
        assert not there and len(archived) == 2
        newest = next(p for p in remote.archive.iterdir() if p.name != "a.835")
        assert newest.name.startswith("a.835.") and newest.read_bytes() == b"first"
        assert (remote.archive / "a.835").read_bytes() == b"an older a.835 already archived"
    # finishing again (another gateway already moved it) is not an error
    assert plugin.gateway_finish_fetch(conn, f, "duplicate") is True


def test_connection_is_reused_between_fetch_and_finish(remote: Remote, sshd: SshServer):
    remote.drop("era", "a.835", b"1")
    remote.drop("era", "b.835", b"2")
    conn = _connector(remote, after_download="delete")
    POOL.close_all()
    files = plugin.gateway_fetch_eras(conn)
    (idle,) = POOL._idle.values()
    for f in files:
        plugin.gateway_finish_fetch(conn, f, "imported")
    (still,) = POOL._idle.values()
    assert still[1] is idle[1]
    assert list(remote.era.iterdir()) == []


def test_check_reports_fingerprint_folders_latency(remote: Remote, sshd: SshServer):
    remote.drop("era", "a.835", b"1")
    remote.drop("era", "b.835", b"2")
    remote.drop("ack", "c.999", b"3")
    check = plugin.gateway_check_connector(_connector(remote))
    assert check.ok, check.problems
    expected_fp = fingerprint(paramiko.PKey.from_type_string(*_split(sshd.host_public)))
    assert check.host_key_fingerprint == expected_fp
    assert check.folders == {"era_dir": 2, "ack_dir": 1, "claims_dir": 0}
    assert check.latency_ms is not None and check.latency_ms >= 0

    bad = plugin.gateway_check_connector(_connector(remote, ack_dir="nope"))
    assert not bad.ok and any("'nope' not found" in p for p in bad.problems)

    refused = plugin.gateway_check_connector(
        _connector(remote, known_hosts=f"[127.0.0.1]:{sshd.port} {ed25519_keypair()[1]}\n"))
    assert not refused.ok and "CHANGED" in refused.problems[0]
    assert refused.host_key_fingerprint == expected_fp


def test_file_growing_while_read_is_skipped_and_retried(remote: Remote, spool: Path):
    remote.drop("era", "a.835", b"complete")
    growing = remote.drop("era", "b.835", b"x" * 600_000)

    def still_being_written(name: str, done: int, total: int) -> None:
        if name == "b.835" and growing.stat().st_size == total:
            with growing.open("ab") as fh:
                fh.write(b"more")

    cfg = remote.config()
    with SftpTransport(cfg, progress=still_being_written) as t:
        files = fetch_folder(t, cfg.era_dir, "*", "era")
    assert [f.name for f in files] == ["a.835"]
    assert sorted(p.name for p in spool.iterdir()) == [Path(files[0].local_path).name]


def test_server_killed_mid_download(fresh_sshd: SshServer, spool: Path):
    remote = make_remote(fresh_sshd)
    remote.drop("era", "a.835", b"small")
    big = os.urandom(24 * 1024 * 1024)
    remote.drop("era", "zz.835", big)
    os.utime(remote.era / "zz.835", (2_000_000_000, 2_000_000_000))  # listed last
    killed: list[int] = []

    def kill_server(name: str, done: int, total: int) -> None:
        if name == "zz.835" and done >= 1024 * 1024 and not killed:
            killed.append(done)
            fresh_sshd.kill()

    cfg = remote.config(operation_timeout_seconds=10)
    with pytest.raises(ConnectionLost) as err:
        with SftpTransport(cfg, progress=kill_server) as t:
            fetch_folder(t, cfg.era_dir, "*", "era")
    assert killed and killed[0] < len(big)
    assert f"127.0.0.1:{fresh_sshd.port}" in str(err.value)
    assert "zz.835" in str(err.value)
    assert list(spool.iterdir()) == []  # the file already spooled was discarded too

    fresh_sshd.start()
    with SftpTransport(cfg) as t:
        files = fetch_folder(t, cfg.era_dir, "*", "era")
    assert [f.name for f in files] == ["a.835", "zz.835"]
    assert files[1].sha256 == hashlib.sha256(big).hexdigest()


def test_50mb_download_streams_in_bounded_memory(remote: Remote):
    size = 50 * 1024 * 1024
    path = remote.era / "big.835"
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        block = os.urandom(1024 * 1024)
        for i in range(50):
            chunk = bytes([i]) + block[1:]
            fh.write(chunk)
            digest.update(chunk)
    cfg = remote.config()
    with SftpTransport(cfg) as t:
        (entry,) = t.list(cfg.era_dir, "*")
        tracemalloc.start()
        try:
            f = t.download(entry, "era")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert f.size == size and f.sha256 == digest.hexdigest()
    assert peak < 12 * 1024 * 1024, f"peak {peak} bytes while downloading {size}"


def _split(public_line: str) -> tuple[str, bytes]:
    import base64

    kind, blob = public_line.split()[:2]
    return kind, base64.b64decode(blob)
