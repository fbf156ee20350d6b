"""A pytest plugin for plugin authors: the conformance suite every gateway plugin must pass.

Installed with the gateway (entry point `pytest11`), so in a plugin's own test suite::

    from gateway.testing import assert_conformant

    def test_conforms():
        assert_conformant(my_plugin_module)

or use the `gateway_plugin_manager` fixture. What is checked: every `gateway_*` function is a
known hook, its arguments are a subset of the spec's (pluggy calls by name), it is marked as a
hookimpl, `gateway_plugin_info` returns a valid `PluginInfo`, every capability it declares has
its hook implemented (`CAPABILITY_HOOKS`), and the connector config Struct
round-trips through JSON from its defaults (or from `sample_config`).
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

import msgspec
import pluggy
import pytest

from gateway.core import hookspecs
from gateway.core.plugins import get_plugin_manager
from gateway.core.records import PluginInfo

HOOK_NAMES = tuple(n for n in dir(hookspecs) if n.startswith("gateway_"))

# The hook each capability needs: the core calls a plugin for what it declares, so a declared
# capability without its hook would fail only when a practice first uses it.
CAPABILITY_HOOKS: dict[str, tuple[str, ...]] = {
    "aging_export": ("gateway_parse_aging_export",),
    "pull_balances": ("gateway_pull_balances",),
    "fetch_eras": ("gateway_fetch_eras", "gateway_finish_fetch"),
    "fetch_acknowledgments": ("gateway_fetch_acknowledgments", "gateway_finish_fetch"),
    "submit_claims": ("gateway_submit_claim_batch",),
    "statement_payments": ("gateway_import_statement_payments",),
    "practice_data": ("gateway_pull_practice_data",),
}


def conformance_problems(plugin: ModuleType | Any, sample_config: dict | None = None) -> list[str]:
    """Everything wrong with a plugin object, as sentences; empty when it conforms."""
    problems: list[str] = []
    for name, fn in inspect.getmembers(plugin, callable):
        if not name.startswith("gateway_"):
            continue
        spec = getattr(hookspecs, name, None)
        if spec is None:
            problems.append(f"{name} is not a gateway hook (known: {', '.join(HOOK_NAMES)})")
            continue
        if not hasattr(fn, f"{hookspecs.PROJECT}_impl"):
            problems.append(f"{name} is not marked with @hookimpl")
        spec_args = list(inspect.signature(spec).parameters)
        impl_args = list(inspect.signature(fn).parameters)
        extra = [a for a in impl_args if a not in spec_args]
        if extra:
            problems.append(f"{name} takes {extra} which the spec does not pass: {spec_args}")
    info_fn = getattr(plugin, "gateway_plugin_info", None)
    if info_fn is None:
        return [*problems, "gateway_plugin_info is missing"]
    info = info_fn()
    if not isinstance(info, PluginInfo):
        return [*problems, f"gateway_plugin_info returned {type(info).__name__}, not PluginInfo"]
    if not info.name or not info.name.isidentifier():
        problems.append(f"plugin name {info.name!r} must be a non-empty identifier")
    if not info.version:
        problems.append("plugin version is empty")
    for capability in info.capabilities:
        needed = CAPABILITY_HOOKS.get(capability)
        if needed is None:
            problems.append(f"unknown capability {capability!r}")
            continue
        missing = [h for h in needed if not callable(getattr(plugin, h, None))]
        if missing:
            problems.append(f"declares {capability!r} but does not implement {', '.join(missing)}")
    if info.config_type is None or not (
        isinstance(info.config_type, type) and issubclass(info.config_type, msgspec.Struct)
    ):
        problems.append("config_type must be a msgspec.Struct subclass")
        return problems
    fields = set(info.config_type.__struct_fields__)
    for secret in info.secret_fields:
        if secret not in fields:
            problems.append(
                f"secret field {secret!r} is not a field of {info.config_type.__name__}"
            )
    try:
        config = msgspec.convert(sample_config or info.example_config, info.config_type)
        again = msgspec.json.decode(msgspec.json.encode(config), type=info.config_type)
        if again != config:
            problems.append(f"{info.config_type.__name__} does not round-trip through JSON")
    except (msgspec.ValidationError, TypeError, ValueError) as exc:
        problems.append(
            f"{info.config_type.__name__} cannot be built from "
            f"{'sample_config' if sample_config else 'example_config'}: {exc}"
        )
    return problems


def assert_conformant(plugin: ModuleType | Any, sample_config: dict | None = None) -> None:
    problems = conformance_problems(plugin, sample_config)
    assert not problems, "plugin does not conform:\n- " + "\n- ".join(problems)


@pytest.fixture
def gateway_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager with every installed plugin loaded (entry points)."""
    return get_plugin_manager()
