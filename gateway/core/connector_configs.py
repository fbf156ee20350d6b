"""Connector config Structs shared by several plugins.

A plugin names its config Struct in `PluginInfo.config_type`; the core validates connector
configs against it (unknown keys are refused, so a typo never silently falls back to a default).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from gateway.core.balance_source import BalanceSource


class PmsExportConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How a practice-management system's exports reach the gateway.

    `upload`: staff upload aging files per location (API / CLI). `folder`: the PMS drops its
    exports into `drop_dir`, which the balance sync reads. `balance_sync` is how often the
    outstanding balances are pulled.
    """

    transport: Literal["upload", "folder"] = "upload"
    drop_dir: str | None = None
    location_id: int | None = None
    balance_sync: Literal["daily", "hourly", "off"] = "daily"
    balances: BalanceSource | None = None  # the balance export (gateway.core.balance_source)
