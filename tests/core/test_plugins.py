"""The plugin contract: documented hooks, conforming built-ins, and the loader's behaviour."""

from __future__ import annotations

import inspect
import re
import sys
import types
from importlib import metadata
from pathlib import Path

import pytest

from gateway.core import hookspecs
from gateway.core.plugins import (
    BUILTIN_PLUGINS,
    PluginLoadError,
    get_plugin_manager,
    hooks_of,
    make_plugin_manager,
    plugin_infos,
)
from gateway.testing import HOOK_NAMES, assert_conformant, conformance_problems

DOCS = Path(__file__).parents[2] / "docs" / "plugins.md"
BUILTINS = ["clearinghouse_sftp", "compulink", "crystalpm", "datamedia_statements",
            "eyefinity", "officemate", "revolutionehr"]


def _rendered(name: str) -> str:
    sig = str(inspect.signature(getattr(hookspecs, name))).replace("'", "")
    return f"{name}{sig}"


def test_every_hook_is_documented_with_its_exact_signature():
    headings = re.findall(r"^## `(gateway_\w+\(.*\) -> .*)`$", DOCS.read_text(), re.M)
    documented = {h.split("(")[0]: h for h in headings}
    assert set(documented) == set(HOOK_NAMES), "hooks and docs/plugins.md sections differ"
    for name in HOOK_NAMES:
        assert documented[name] == _rendered(name), f"docs/plugins.md signature of {name} drifted"
        assert (getattr(hookspecs, name).__doc__ or "").strip(), f"{name} has no docstring"


def test_all_seven_builtins_are_loaded_from_the_tuple_not_entry_points():
    assert sorted(m.rsplit(".", 1)[-1] for m in BUILTIN_PLUGINS) == BUILTINS
    assert not [ep for ep in metadata.entry_points(group="gateway.plugins")
                if ep.value.startswith("gateway.")], "built-ins must not be entry points"
    assert sorted(plugin_infos()) == BUILTINS
    for name in BUILTINS:
        assert "gateway_plugin_info" in hooks_of(name)


def test_builtin_versions_come_from_package_metadata():
    version = metadata.version("eyecare-gateway")
    assert {i.version for i in plugin_infos().values()} == {version}


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_plugin_conforms(name):
    pm = get_plugin_manager()
    assert_conformant(pm.get_plugin(name))


def _fake_ep(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group="gateway.plugins")


def test_broken_third_party_plugin_is_skipped(caplog):
    broken = types.ModuleType("broken_vendor_plugin")
    exec("def gateway_plugin_info():\n    raise RuntimeError('boom')", broken.__dict__)
    sys.modules["broken_vendor_plugin"] = broken
    try:
        eps = [_fake_ep("broken", "broken_vendor_plugin"),
               _fake_ep("missing", "no_such_module_anywhere")]
        pm = make_plugin_manager(eps, builtins=("gateway.plugins.compulink",))
    finally:
        del sys.modules["broken_vendor_plugin"]
    assert sorted(plugin_infos(pm)) == ["compulink"]
    assert "plugin broken" in caplog.text and "plugin missing" in caplog.text


def test_third_party_entry_point_with_a_builtin_name_is_refused(caplog):
    impostor = types.ModuleType("impostor_plugin")
    exec(
        "from gateway.core.hookspecs import hookimpl\n"
        "from gateway.core.records import PluginInfo\n"
        "@hookimpl\n"
        "def gateway_plugin_info():\n"
        "    return PluginInfo(name='compulink', vendor='Impostor', version='9')\n",
        impostor.__dict__,
    )
    sys.modules["impostor_plugin"] = impostor
    try:
        by_ep_name = make_plugin_manager([_fake_ep("compulink", "impostor_plugin")])
        by_info_name = make_plugin_manager([_fake_ep("acme", "impostor_plugin")])
    finally:
        del sys.modules["impostor_plugin"]
    for pm in (by_ep_name, by_info_name):
        assert plugin_infos(pm)["compulink"].vendor == "Compulink Advantage"
        assert sorted(plugin_infos(pm)) == BUILTINS
    assert "plugin compulink (impostor_plugin) refused" in caplog.text
    assert "plugin acme (impostor_plugin) refused" in caplog.text


def test_broken_builtin_fails_startup_with_its_name():
    with pytest.raises(PluginLoadError, match="built-in plugin 'ghost_that_does_not_exist'"):
        make_plugin_manager([], builtins=("gateway.plugins.ghost_that_does_not_exist",))


def test_hookimpl_with_unknown_argument_is_refused_at_start():
    bad = types.ModuleType("bad_args_plugin")
    exec(
        "from gateway.core.hookspecs import hookimpl\n"
        "from gateway.core.records import PluginInfo\n"
        "@hookimpl\n"
        "def gateway_plugin_info():\n"
        "    return PluginInfo(name='bad', vendor='x', version='1')\n"
        "@hookimpl\n"
        "def gateway_fetch_eras(connector, extra):\n"
        "    return None\n",
        bad.__dict__,
    )
    sys.modules["bad_args_plugin"] = bad
    try:
        pm = make_plugin_manager([_fake_ep("bad", "bad_args_plugin")], builtins=())
    finally:
        del sys.modules["bad_args_plugin"]
    assert "bad" not in plugin_infos(pm)
    problems = conformance_problems(bad)
    assert any("extra" in p for p in problems)
    assert any("config_type" in p for p in problems)


def test_conformance_catches_unknown_hooks_and_unmarked_functions():
    mod = types.ModuleType("sloppy")
    exec(
        "from gateway.core.records import PluginInfo\n"
        "def gateway_plugin_info():\n"
        "    return PluginInfo(name='sloppy', vendor='x', version='1')\n"
        "def gateway_fetch_everything(connector):\n"
        "    return None\n",
        mod.__dict__,
    )
    problems = conformance_problems(mod)
    assert any("not marked with @hookimpl" in p for p in problems)
    assert any("gateway_fetch_everything is not a gateway hook" in p for p in problems)
