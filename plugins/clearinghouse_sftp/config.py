"""The clearinghouse connector's configuration, as `gateway connectors add --config` reads it."""

from __future__ import annotations

from typing import Literal

import msgspec


class EdiAddress(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line1: str
    line2: str = ""
    city: str
    state: str
    zip: str


class EdiBillingProvider(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Loop 2010AA of the 837P: who bills (the practice), as the clearinghouse enrolled it."""

    name: str
    npi: str
    tin: str
    address: EdiAddress
    taxonomy: str = ""
    organization: bool = True
    first_name: str = ""


class EdiSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The envelope of the 837P claim batches sent through this connector (what the
    clearinghouse assigned at enrolment). Needed only for `submit-claims`."""

    sender_id: str  # ISA06 / GS02 (often the submitter ETIN)
    receiver_id: str  # ISA08 / GS03
    submitter_name: str
    submitter_id: str  # loop 1000A NM109 (ETIN)
    contact_name: str
    contact_phone: str  # 10 digits
    receiver_name: str
    billing_provider: EdiBillingProvider
    production: bool = True  # ISA15 P; false sends test files (T)
    batch_name_prefix: str = "CLM"


class ClearinghouseConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where ERAs and acknowledgments arrive and claim batches go.

    `transport: sftp` talks to the clearinghouse; `local` reads and writes local folders with
    the same semantics (demos, practices that receive files another way). `password`,
    `private_key` (PEM / OpenSSH text) and `private_key_passphrase` are secrets: write-only,
    stored apart from the rest. `known_hosts` pins the server's host key(s) in OpenSSH
    known_hosts form (`[host]:port keytype base64` for a port other than 22, hashed entries
    allowed); there is no auto-accept.

    Folders: `era_dir` and `ack_dir` are read (files matching `era_pattern` / `ack_pattern`;
    names ending in `.part` and dot-files are never read), `claims_dir` is written. For `sftp`
    a relative folder is relative to the login directory. `after_download` is applied only
    once the gateway has committed a file (or already had it): `leave`, `delete`, or `move`
    into `archive_dir`. `confirm_upload` stats the uploaded batch under its final name (turn
    it off for servers that move files away on arrival). `timeout_seconds` bounds connecting
    (TCP, banner, key exchange, authentication); `operation_timeout_seconds` bounds each SFTP
    request once connected. `edi` holds the 837P envelope (sender/receiver ids, submitter,
    billing provider) for claim submission.
    """

    transport: Literal["sftp", "local"] = "sftp"
    host: str | None = None
    port: int = 22
    username: str | None = None
    password: str | None = None
    private_key: str | None = None
    private_key_passphrase: str | None = None
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
    edi: EdiSettings | None = None

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
        if self.timeout_seconds <= 0 or self.operation_timeout_seconds <= 0:
            raise ValueError("timeouts must be positive")
        if self.known_hosts:
            _check_known_hosts(self.known_hosts)
        for field in ("era_pattern", "ack_pattern"):
            if "/" in getattr(self, field):
                raise ValueError(f"{field} is a file name pattern, not a path")


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
