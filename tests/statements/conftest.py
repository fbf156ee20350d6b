"""A real sshd for the statement tests, and a private spool directory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.core.transport.sftp import POOL
from tests.support.sshd import SshServer


@pytest.fixture(scope="session")
def sshd() -> Iterator[SshServer]:
    server = SshServer().start()
    try:
        yield server
    finally:
        POOL.close_all()
        server.stop()


@pytest.fixture(autouse=True)
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Downloads go here; a test may assert it ends empty."""
    path = tmp_path / "spool"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    POOL.close_all()
