"""OfficeMate (Eyefinity): aging exports and outstanding balances.

Hook implementations only; the report layout lives in `format.py`, the rules in the core.
"""

from __future__ import annotations

from gateway.aging.reader import read_aging
from gateway.core.connector_configs import PmsExportConfig
from gateway.core.hookspecs import hookimpl
from gateway.core.records import AgingContext, AgingExport, AgingSource, PluginInfo

from .format import PROFILE

NAME = "officemate"


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        vendor="OfficeMate (Eyefinity)",
        version="0.1.0",
        capabilities=("aging_export",),
        config_type=PmsExportConfig,
        description="Aging exports uploaded per location.",
    )


@hookimpl
def gateway_parse_aging_export(
    vendor: str, source: AgingSource, context: AgingContext
) -> AgingExport | None:
    """The aging report read with this vendor's profile (`format.PROFILE`)."""
    if vendor != NAME:
        return None
    return read_aging(PROFILE, source, context)
