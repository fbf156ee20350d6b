"""A real sshd for the end-to-end day (the PMS's exports and the clearinghouse on it)."""

from __future__ import annotations

from tests.support.sftp_fixtures import sshd

__all__ = ["sshd"]
