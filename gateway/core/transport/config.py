"""Where a connector's files live and how to reach them: the part of a connector's
configuration that every transport reads (local folder or SFTP with pinned host keys).

A plugin's connector config subclasses `RemoteConfig` and adds its own folders and patterns;
`folder_patterns` says which file-name pattern each folder label is listed with.
"""

from __future__ import annotations

from typing import Literal

import msgspec


class RemoteConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How to reach a remote: `transport: sftp` talks to a server; `local` reads and writes
    local folders with the same semantics (a PMS export drop, demos, practices that receive
    files another way). `password`, `private_key` (PEM / OpenSSH text) and
    `private_key_passphrase` are secrets: write-only, stored apart from the rest.
    `known_hosts` pins the server's host key(s) in OpenSSH known_hosts form (`[host]:port
    keytype base64` for a port other than 22, hashed entries allowed); there is no auto-accept.

    `after_download` is applied only once the gateway has committed a file (or already had
    it): `leave`, `delete`, or `move` into `archive_dir`. `confirm_upload` stats an uploaded
    file under its final name (turn it off for servers that move files away on arrival).
    `timeout_seconds` bounds connecting (TCP, banner, key exchange, authentication);
    `operation_timeout_seconds` bounds each SFTP request once connected. For `sftp` a relative
    folder is relative to the login directory.
    """

    transport: Literal["sftp", "local"] = "sftp"
    host: str | None = None
    port: int = 22
    username: str | None = None
    password: str | None = None
    private_key: str | None = None
    private_key_passphrase: str | None = None
    known_hosts: str | None = None
    after_download: Literal["leave", "delete", "move"] = "leave"
    archive_dir: str | None = None
    confirm_upload: bool = True
    timeout_seconds: float = 30.0
    operation_timeout_seconds: float = 120.0
    max_file_bytes: int = 256 * 1024 * 1024
    """A remote file listed larger than this is skipped (with a warning), never downloaded."""

    def __post_init__(self) -> None:
        if self.transport == "sftp":
            missing = [k for k in ("host", "username", "known_hosts") if not getattr(self, k)]
            if missing:
                raise ValueError(f"sftp transport needs {', '.join(missing)}")
            if not (self.password or self.private_key):
                raise ValueError("sftp transport needs a password or a private_key")
        if self.after_download == "move" and not self.archive_dir:
            raise ValueError("after_download 'move' needs archive_dir")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port {self.port} out of range")
        if self.max_file_bytes < 1:
            raise ValueError("max_file_bytes must be at least 1")
        if self.timeout_seconds <= 0 or self.operation_timeout_seconds <= 0:
            raise ValueError("timeouts must be positive")
        if self.known_hosts:
            _check_known_hosts(self.known_hosts)

    def folder_patterns(self) -> dict[str, str]:
        """File-name pattern per folder label (`check` lists each folder with it)."""
        return {}


def _check_known_hosts(text: str) -> None:
    """Every non-comment line must be a known_hosts entry paramiko can use."""
    from paramiko.hostkeys import HostKeyEntry, InvalidHostKey
    from paramiko.ssh_exception import SSHException

    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            entry = HostKeyEntry.from_line(line, number)
        except (InvalidHostKey, SSHException, ValueError) as exc:
            raise ValueError(f"known_hosts line {number} is not a usable entry: {exc}") from exc
        if entry is None:
            raise ValueError(
                f"known_hosts line {number} is not a known_hosts entry "
                "(expected: host keytype base64-key)"
            )
