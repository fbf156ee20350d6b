"""The conformance suite holds a plugin to the capabilities it declares."""

from __future__ import annotations

import types

from gateway.core.hookspecs import hookimpl
from gateway.core.plugins import get_plugin_manager
from gateway.core.records import PluginInfo
from gateway.core.transport.config import RemoteConfig
from gateway.testing import conformance_problems


def _plugin(capabilities: tuple, **hooks) -> types.SimpleNamespace:
    @hookimpl
    def gateway_plugin_info() -> PluginInfo:
        return PluginInfo(name="acme", vendor="Acme", version="1", capabilities=capabilities,
                          config_type=RemoteConfig, example_config={"transport": "local"})

    return types.SimpleNamespace(gateway_plugin_info=gateway_plugin_info, **hooks)


def test_a_declared_capability_without_its_hook_is_a_problem():
    assert conformance_problems(_plugin(("practice_data", "statement_payments"))) == [
        "declares 'practice_data' but does not implement gateway_pull_practice_data",
        "declares 'statement_payments' but does not implement "
        "gateway_import_statement_payments",
    ]


def test_a_declared_capability_with_its_hook_conforms():
    @hookimpl
    def gateway_pull_practice_data(connector, since):
        return None

    plugin = _plugin(("practice_data",), gateway_pull_practice_data=gateway_pull_practice_data)
    assert conformance_problems(plugin) == []


def test_every_pms_plugin_declares_and_implements_practice_data():
    pm = get_plugin_manager()
    for name in ("compulink", "crystalpm", "officemate", "revolutionehr", "eyefinity"):
        plugin = pm.get_plugin(name)
        assert plugin is not None
        assert "practice_data" in plugin.gateway_plugin_info().capabilities
        assert conformance_problems(plugin) == []
    datamedia = pm.get_plugin("datamedia_statements")  # declares only what it implements
    assert datamedia is not None
    assert datamedia.gateway_plugin_info().capabilities == ("statement_payments",)
    assert conformance_problems(datamedia) == []
