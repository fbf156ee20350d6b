"""Fixtures for the clearinghouse tests: a real sshd, per-test folders on it, a private
spool directory (so a test can assert no temporary file is left behind)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest

from gateway.plugins.clearinghouse_sftp.config import ClearinghouseConfig
from tests.support.sftp_fixtures import fresh_sshd, spool, sshd
from tests.support.sshd import SshServer

__all__ = ["Remote", "fresh_sshd", "make_remote", "spool", "sshd"]

_case = itertools.count(1)


@dataclass
class Remote:
    """Folders of one test on an sshd (or local), and a config pointing at them."""

    server: SshServer | None
    base: Path  # local path of the test's folder tree
    prefix: str  # the same, as the SFTP login directory sees it (or absolute for local)
    extra: dict

    @property
    def era(self) -> Path:
        return self.base / "era"

    @property
    def ack(self) -> Path:
        return self.base / "ack"

    @property
    def claims(self) -> Path:
        return self.base / "claims"

    @property
    def archive(self) -> Path:
        return self.base / "archive"

    def config_dict(self, **overrides: object) -> dict:
        dirs = {
            "era_dir": f"{self.prefix}/era",
            "ack_dir": f"{self.prefix}/ack",
            "claims_dir": f"{self.prefix}/claims",
            "archive_dir": f"{self.prefix}/archive",
        }
        if self.server is not None:
            base = self.server.config(**dirs)
        else:
            base = {"transport": "local", **dirs}
        base.update(self.extra)
        base.update(overrides)
        return base

    def config(self, **overrides: object) -> ClearinghouseConfig:
        return msgspec.convert(self.config_dict(**overrides), ClearinghouseConfig)

    def drop(self, folder: str, name: str, content: bytes) -> Path:
        path = self.base / folder / name
        path.write_bytes(content)
        return path


def make_remote(server: SshServer) -> Remote:
    prefix = f"case{next(_case)}"
    for sub in ("era", "ack", "claims", "archive"):
        server.folder(f"{prefix}/{sub}")
    return Remote(server, server.root / prefix, prefix, {})


@pytest.fixture
def remote(sshd: SshServer) -> Remote:
    return make_remote(sshd)


@pytest.fixture
def local_remote(tmp_path: Path) -> Remote:
    base = tmp_path / "clearinghouse"
    for sub in ("era", "ack", "claims", "archive"):
        (base / sub).mkdir(parents=True)
    return Remote(None, base, str(base), {})
