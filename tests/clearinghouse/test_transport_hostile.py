"""The transport trusts nothing the server says: names must be one plain path component,
sizes are checked against the configured maximum before download and the download stops at
the listed size, after-download actions stay in the configured folders, and one odd file
never fails the run. Against the real sshd (hostile names and sizes it can serve)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import gateway.plugins.clearinghouse_sftp as plugin
from gateway.core.records import Connector, RemoteFile
from gateway.core.transport.base import (
    Entry,
    FileSkipped,
    inside,
    plain_name,
    safe_entries,
)
from gateway.core.transport.sftp import SftpTransport
from tests.clearinghouse.conftest import Remote


def _connector(remote: Remote, **overrides: object) -> Connector:
    return Connector(id=71, practice_id=1, plugin=plugin.NAME, name="ch",
                     config=remote.config(**overrides))


@pytest.mark.parametrize("name", ["a/b.835", "/etc/passwd", "..", ".", "../x.835", "a\\b",
                                  "bell\x07.835", "nl\n.835", "del\x7f", "x" * 256, ""])
def test_names_that_are_not_one_plain_component_are_refused(name: str) -> None:
    assert not plain_name(name)
    assert safe_entries([Entry(name, f"era/{name}", 1, None)], "test") == []


def test_plain_names_pass() -> None:
    assert plain_name("ERA 2026-11-02.835") and plain_name("é" * 127)
    assert inside("/srv/era/a.835", "/srv/era") and not inside("/srv/era/../x", "/srv/era")


def test_control_character_names_are_skipped_and_the_rest_fetched(remote: Remote,
                                                                  caplog) -> None:  # type: ignore[no-untyped-def]
    remote.drop("era", "good.835", b"ISA*ok")
    remote.drop("era", "bad\x01name.835", b"ISA*odd")
    files = plugin.gateway_fetch_eras(_connector(remote))
    assert [f.name for f in files] == ["good.835"]
    assert any("unsafe name" in r.getMessage() for r in caplog.records)


def test_a_file_listed_over_the_maximum_is_not_downloaded(remote: Remote) -> None:
    remote.drop("era", "small.835", b"ISA*small")
    remote.drop("era", "huge.835", b"x" * 5000)
    files = plugin.gateway_fetch_eras(_connector(remote, max_file_bytes=1000))
    assert [f.name for f in files] == ["small.835"]


def test_the_download_stops_at_the_listed_size(remote: Remote, spool: Path) -> None:
    """The file grows after it was listed (what a lying server does): the client reads one
    byte past the listing, stops, and skips the file; nothing is left in the spool."""
    path = remote.drop("era", "grows.835", b"x" * 100)
    with SftpTransport(remote.config()) as t:
        (entry,) = t.list(f"{remote.prefix}/era", "*")
        assert entry.size == 100
        with open(path, "ab") as fh:
            fh.write(b"y" * (8 * 1024 * 1024))
        with pytest.raises(FileSkipped, match="more than the 100 bytes"):
            t.download(entry, "era")
    assert list(spool.iterdir()) == []


def test_move_after_download_with_an_odd_name_never_fails_the_run(remote: Remote) -> None:
    conn = _connector(remote, after_download="move")
    remote.drop("era", "a.835", b"ISA*a")
    (good,) = plugin.gateway_fetch_eras(conn)
    odd = RemoteFile(name="../../etc/x", kind="era", local_path=good.local_path, size=good.size,
                     sha256=good.sha256, remote_path=f"{remote.prefix}/era/../../etc/x",
                     modified_at=None)
    assert plugin.gateway_finish_fetch(conn, odd, "imported") is True  # left, no error
    assert plugin.gateway_finish_fetch(conn, good, "imported") is True
    assert (remote.archive / "a.835").exists() and not (remote.era / "a.835").exists()
    os.unlink(good.local_path)


def test_delete_after_download_never_touches_a_path_outside_the_folder(remote: Remote,
                                                                       tmp_path: Path) -> None:
    victim = remote.base / "victim.835"
    victim.write_bytes(b"keep me")
    conn = _connector(remote, after_download="delete")
    odd = RemoteFile(name="victim.835", kind="era", local_path=str(tmp_path / "x"), size=7,
                     sha256="0" * 64, remote_path=f"{remote.prefix}/era/../victim.835",
                     modified_at=None)
    assert plugin.gateway_finish_fetch(conn, odd, "imported") is True
    assert victim.read_bytes() == b"keep me"
