"""The Data Media statement connector's configuration."""

from __future__ import annotations

from typing import Literal

import msgspec


class DataMediaConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where Data Media drops its ePayment files. `api_key` is a secret (write-only)."""

    transport: Literal["sftp", "local"] = "local"
    host: str | None = None
    port: int = 22
    username: str | None = None
    password: str | None = None
    known_hosts: str | None = None
    payments_dir: str = "payments"
    client_id: str | None = None
    api_key: str | None = None
