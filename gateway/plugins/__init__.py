"""The built-in plugins, and the factory their PMS plugins share.

A PMS plugin is its vendor's formats (`format.py`) bound to the core's readers: aging exports
(`gateway.aging.plugin`), practice data (`gateway.practice.plugin`) and outstanding balances
(`gateway.balances.plugin`). `pms_plugin` makes those bindings once, so a PMS plugin's
`__init__.py` is its name, its vendor and one call (copy `gateway/plugins/compulink/`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from gateway.core.hookspecs import hookimpl
from gateway.core.records import PluginInfo

if TYPE_CHECKING:
    from gateway.aging.profile import Profile
    from gateway.balances.layout import BalanceLayout
    from gateway.practice.layout import PracticeLayout


class PmsHooks(NamedTuple):
    """The hookimpls of one PMS plugin, to bind at its module's top level (pluggy registers
    the module)."""

    gateway_plugin_info: Callable[[], PluginInfo]
    gateway_parse_aging_export: Callable[..., Any]
    gateway_pull_practice_data: Callable[..., Any]
    gateway_pull_balances: Callable[..., Any]


class _Info:
    def __init__(self, name: str, vendor: str) -> None:
        self.name, self.vendor = name, vendor

    @hookimpl
    def gateway_plugin_info(self) -> PluginInfo:
        from gateway.practice.plugin import pms_plugin_info

        return pms_plugin_info(self.name, self.vendor)


def pms_plugin(
    name: str, vendor: str, profile: Profile, practice: PracticeLayout, balances: BalanceLayout
) -> PmsHooks:
    """The hookimpls of the PMS plugin `name`: its aging export `profile`, its practice-data
    layout and its balances layout, read by the core."""
    # imported here: a connector plugin importing this package needs none of them
    from gateway.aging.plugin import AgingExportHooks
    from gateway.balances.plugin import BalanceHooks
    from gateway.practice.plugin import PracticeDataHooks

    return PmsHooks(
        gateway_plugin_info=_Info(name, vendor).gateway_plugin_info,
        gateway_parse_aging_export=AgingExportHooks(name, vendor, profile)
        .gateway_parse_aging_export,
        gateway_pull_practice_data=PracticeDataHooks(name, practice).gateway_pull_practice_data,
        gateway_pull_balances=BalanceHooks(name, balances).gateway_pull_balances,
    )
