"""A real sshd for the statement tests, and a private spool directory (tests/support)."""

from __future__ import annotations

from tests.support.sftp_fixtures import spool, sshd

__all__ = ["spool", "sshd"]
