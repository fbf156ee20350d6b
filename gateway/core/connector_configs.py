"""Connector config Structs shared by several plugins.

A plugin names its config Struct in `PluginInfo.config_type`; the core validates connector
configs against it (unknown keys are refused, so a typo never silently falls back to a default).
"""

from __future__ import annotations

from typing import Literal

from gateway.core.balance_source import BalanceSource
from gateway.core.records import PRACTICE_KINDS
from gateway.core.transport.config import RemoteConfig


class PmsExportConfig(RemoteConfig, kw_only=True, forbid_unknown_fields=True):
    """How a practice-management system's exports reach the gateway (the five PMS plugins).

    Aging exports are uploaded per location (API / CLI). The PMS's scheduled practice-data
    exports (patients, coverages, appointments, claims) land in `practice_data_dir`, a local
    drop folder (`transport: local`, the default) or a folder on an SFTP server (`transport:
    sftp`, pinned host keys: `gateway.core.transport.config.RemoteConfig`). `patterns`
    overrides the vendor's file-name pattern per kind (e.g. `{"patients": "PAT*.csv"}`). A
    file counts as complete when its size and modification time are the same in two listings
    `stable_seconds` apart. Export files are left where they are (`after_download` is not
    applied to them: the PMS replaces its own exports). The balance export and how often it is
    pulled (its `sync_balances` job) are `balances` (`gateway.core.balance_source`).
    """

    transport: Literal["sftp", "local"] = "local"
    practice_data_dir: str | None = None
    patterns: dict[str, str] = {}
    stable_seconds: float = 5.0
    location_id: int | None = None
    balances: BalanceSource | None = None  # the balance export (gateway.core.balance_source)

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = sorted(set(self.patterns) - set(PRACTICE_KINDS))
        if unknown:
            raise ValueError(f"patterns: unknown kind(s) {unknown}; kinds: {list(PRACTICE_KINDS)}")
        if any("/" in p for p in self.patterns.values()):
            raise ValueError("patterns are file name patterns, not paths")
        if self.stable_seconds < 0:
            raise ValueError("stable_seconds must not be negative")
