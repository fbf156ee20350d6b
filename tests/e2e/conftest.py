"""A real sshd for the end-to-end day (the PMS's exports and the clearinghouse on it)."""

from __future__ import annotations

from collections.abc import Iterator

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
