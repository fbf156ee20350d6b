"""GATEWAY_TRACE_PLUGINS=1: one line per hook call with names and ids, never argument contents."""

from __future__ import annotations

import logging

import pytest

from gateway.core.hooks import GatewayHooks
from gateway.core.plugins import make_plugin_manager
from gateway.core.records import Connector
from gateway.testing import assert_conformant
from tests.core.test_hooks import _recording_plugin

SECRET = "Jane-Doe-1961-04-02"


async def test_trace_logs_hook_plugin_connector_and_duration_only(monkeypatch, caplog):
    monkeypatch.setenv("GATEWAY_TRACE_PLUGINS", "1")
    caplog.set_level(logging.INFO, logger="gateway.plugins.trace")
    pm = make_plugin_manager([], extra_plugins=[_recording_plugin([])],
                             builtins=("gateway.plugins.clearinghouse_sftp",))
    hooks = GatewayHooks(pm)
    connector = Connector(id=42, practice_id=1, plugin="recording", name=SECRET,
                          config={"patient": SECRET})
    files = await hooks.fetch_eras(connector)
    assert files is not None and await hooks.fetch_acknowledgments(connector) is None
    lines = [r.getMessage() for r in caplog.records if "gateway_fetch" in r.getMessage()]
    assert len(lines) == 2, lines  # the first answer stops the call; sftp is not asked for ERAs
    assert lines[0].startswith("hook gateway_fetch_eras plugin recording_plugin connector 42 "
                               "answered in ") and lines[0].endswith(" ms")
    assert lines[1].startswith("hook gateway_fetch_acknowledgments plugin clearinghouse_sftp "
                               "connector 42 passed in ")
    assert SECRET not in caplog.text and "c42.835" not in caplog.text


def test_traced_plugins_still_conform_and_raise_through(monkeypatch, caplog):
    monkeypatch.setenv("GATEWAY_TRACE_PLUGINS", "1")
    pm = make_plugin_manager([], builtins=("gateway.plugins.compulink",))
    plugin = pm.get_plugin("compulink")
    assert plugin is not None and hasattr(plugin, "traced_plugin")
    assert_conformant(plugin)
    caplog.set_level(logging.INFO, logger="gateway.plugins.trace")
    with pytest.raises(Exception):  # noqa: B017 - whatever the reader raises passes through
        plugin.gateway_parse_aging_export(vendor="compulink", source=None, context=None)
    assert "hook gateway_parse_aging_export plugin compulink connector - raised" in caplog.text


def test_no_trace_without_the_switch(monkeypatch, caplog):
    monkeypatch.delenv("GATEWAY_TRACE_PLUGINS", raising=False)
    caplog.set_level(logging.INFO, logger="gateway.plugins.trace")
    pm = make_plugin_manager([], builtins=("gateway.plugins.compulink",))
    assert not hasattr(pm.get_plugin("compulink"), "traced_plugin")
    GatewayHooks(pm).plugin_infos()
    assert "hook gateway_plugin_info" not in caplog.text
