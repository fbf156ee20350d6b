"""The hook implementations every aging-export plugin shares.

A PMS plugin differs from another only in its report profile (`format.py`), so its
`__init__.py` binds these hooks to its name, vendor and profile instead of repeating them.
"""

from __future__ import annotations

from gateway.aging.profile import Profile
from gateway.aging.reader import read_aging
from gateway.core.connector_configs import PmsExportConfig
from gateway.core.hookspecs import hookimpl
from gateway.core.records import AgingContext, AgingExport, AgingSource, PluginInfo
from gateway.core.version import GATEWAY_VERSION


class AgingExportHooks:
    """`gateway_plugin_info` and `gateway_parse_aging_export` for one vendor profile."""

    def __init__(
        self, name: str, vendor: str, profile: Profile, version: str = GATEWAY_VERSION,
        *, balances: bool = False,
    ) -> None:
        self.name, self.vendor, self.profile, self.version = name, vendor, profile, version
        self.balances = balances  # the plugin also binds gateway.balances.plugin.BalanceHooks

    @hookimpl
    def gateway_plugin_info(self) -> PluginInfo:
        return PluginInfo(
            name=self.name,
            vendor=self.vendor,
            version=self.version,
            capabilities=(
                ("aging_export", "pull_balances") if self.balances else ("aging_export",)
            ),
            # the balance source holds the SFTP key / HTTPS token: kept write-only, whole
            secret_fields=("balances",) if self.balances else (),
            config_type=PmsExportConfig,
            description="Aging exports uploaded per location.",
        )

    @hookimpl
    def gateway_parse_aging_export(
        self, vendor: str, source: AgingSource, context: AgingContext
    ) -> AgingExport | None:
        """The aging report read with this vendor's profile; None for another vendor."""
        if vendor != self.name:
            return None
        return read_aging(self.profile, source, context)
