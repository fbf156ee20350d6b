"""Where a PMS connector finds its balance export, and how often it is pulled.

Part of `PmsExportConfig` (its `balances` field): either `remote` (a drop folder or SFTP, the
shared `RemoteConfig`) with the folder and file pattern to read, or `https` (a report download
with a bearer token, the server certificate verified; the cloud systems). Secrets in here are
the transport's (`remote.password`, `remote.private_key`) and `https.token`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from gateway.core.transport.config import RemoteConfig


class HttpsReport(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A report download: GET `url` with `Authorization: Bearer <token>`. `ca_cert` (PEM) pins
    the certificate (or its issuer) the server must present; without it the system trust store
    verifies the server. Verification is never turned off."""

    url: str
    token: str
    ca_cert: str | None = None
    timeout_seconds: float = 60.0
    max_bytes: int = 512 * 1024 * 1024

    def __post_init__(self) -> None:
        if not self.url.startswith("https://"):
            raise ValueError("https.url must start with https://")
        if not self.token:
            raise ValueError("https.token is required")
        if self.timeout_seconds <= 0:
            raise ValueError("https.timeout_seconds must be positive")


class BalanceSource(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The balance export of one PMS connector and its schedule.

    `schedule`: `daily` at `daily_at` (practice-local time), `hourly` every `every_hours`
    hours, or `off`. The newest file in `folder` matching `pattern` is the snapshot.
    """

    remote: RemoteConfig | None = None
    folder: str = "balances"
    pattern: str = "*.csv"
    https: HttpsReport | None = None
    schedule: Literal["daily", "hourly", "off"] = "daily"
    daily_at: dt.time = dt.time(5, 0)
    every_hours: int = 1

    def __post_init__(self) -> None:
        if (self.remote is None) == (self.https is None):
            raise ValueError("balances needs exactly one of remote or https")
        if "/" in self.pattern:
            raise ValueError("balances.pattern is a file name pattern, not a path")
        if not 1 <= self.every_hours <= 24:
            raise ValueError("balances.every_hours must be between 1 and 24")
