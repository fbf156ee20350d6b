"""The clearinghouse connector's configuration, as `gateway connectors add --config` reads it."""

from __future__ import annotations

from typing import Literal

import msgspec


class ClearinghouseConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where ERAs and acknowledgments arrive and claim batches go.

    `transport: sftp` talks to the clearinghouse; `local` reads and writes local folders with
    the same semantics (demos, practices that receive files another way). `password` and
    `private_key` are secrets: write-only, stored apart from the rest. `known_hosts` pins the
    server's host key(s) in OpenSSH known_hosts form; there is no auto-accept.
    """

    transport: Literal["sftp", "local"] = "sftp"
    host: str | None = None
    port: int = 22
    username: str | None = None
    password: str | None = None
    private_key: str | None = None
    known_hosts: str | None = None
    era_dir: str = "outbound/era"
    ack_dir: str = "outbound/ack"
    claims_dir: str = "inbound/claims"
    era_pattern: str = "*"
    ack_pattern: str = "*"
    after_download: Literal["leave", "delete", "move"] = "leave"
    archive_dir: str | None = None
    confirm_upload: bool = True
    timeout_seconds: float = 30.0
    operation_timeout_seconds: float = 120.0

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
