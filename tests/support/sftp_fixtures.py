"""The fixtures of every test folder that talks to a real sshd: import them into its
conftest.py (`from tests.support.sftp_fixtures import spool, sshd`)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.core.transport.sftp import POOL
from tests.support.sshd import SshServer


def _serve() -> Iterator[SshServer]:
    server = SshServer().start()
    try:
        yield server
    finally:
        POOL.close_all()
        server.stop()


@pytest.fixture(scope="session")
def sshd() -> Iterator[SshServer]:
    """One real OpenSSH server for the folder's tests (a session each conftest imports it)."""
    yield from _serve()


@pytest.fixture
def fresh_sshd() -> Iterator[SshServer]:
    """A server of this test alone (to kill, restart or re-key)."""
    yield from _serve()


@pytest.fixture(autouse=True)
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Temporary files (downloads) go here; the test may assert it ends empty."""
    path = tmp_path / "spool"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    POOL.close_all()
