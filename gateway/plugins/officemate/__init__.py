"""OfficeMate (Eyefinity):
aging exports uploaded per location, practice data pulled from its scheduled exports.

Hook implementations only: the layouts are in `format.py`; the reading and the import rules
live in the core (`gateway.aging`, `gateway.practice`).
"""

from __future__ import annotations

from gateway.aging.plugin import AgingExportHooks
from gateway.balances.plugin import BalanceHooks
from gateway.core.hookspecs import hookimpl
from gateway.core.records import PluginInfo
from gateway.practice.plugin import PracticeDataHooks, pms_plugin_info

from .format import BALANCES, PRACTICE_LAYOUT, PROFILE

NAME = "officemate"
VENDOR = "OfficeMate (Eyefinity)"

_aging = AgingExportHooks(NAME, VENDOR, PROFILE)
_practice = PracticeDataHooks(NAME, PRACTICE_LAYOUT)
gateway_parse_aging_export = _aging.gateway_parse_aging_export
gateway_pull_practice_data = _practice.gateway_pull_practice_data


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return pms_plugin_info(NAME, VENDOR)


# --- balances export ---
_balances = BalanceHooks(NAME, BALANCES)
gateway_pull_balances = _balances.gateway_pull_balances
