"""The plugin manager: the built-in plugins from a tuple, third-party ones from entry points.

The built-ins are the modules named in `BUILTIN_PLUGINS` (as datasette's DEFAULT_PLUGINS and
pytest's builtin plugins): imported directly, so "built-in" is a fact, not a guess from a
module name. One that fails to load stops start-up with a clear message: the install is
broken. Third-party plugins are entry points in the group `gateway.plugins`; one that fails
is logged and skipped, so one bad package does not take the gateway down, and one that takes
a built-in's name is refused (it would shadow ours). With `GATEWAY_TRACE_PLUGINS=1` every hook
call is logged (`gateway.core.plugin_trace`).
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from typing import Any

import msgspec
import pluggy

from gateway.core import hookspecs
from gateway.core.errors import Failure, NotFound
from gateway.core.hooks import GatewayHooks
from gateway.core.plugin_trace import trace_plugin
from gateway.core.records import PluginInfo

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "gateway.plugins"
TRACE_ENV = "GATEWAY_TRACE_PLUGINS"
BUILTIN_PLUGINS: tuple[str, ...] = (
    "gateway.plugins.clearinghouse_sftp",
    "gateway.plugins.compulink",
    "gateway.plugins.crystalpm",
    "gateway.plugins.datamedia_statements",
    "gateway.plugins.eyefinity",
    "gateway.plugins.officemate",
    "gateway.plugins.revolutionehr",
)
"""The plugins shipped with the gateway, registered under their module's last name."""


class PluginLoadError(Failure):
    """A built-in plugin could not be loaded: the installation is broken."""


class PluginSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What `GET /api/plugins` and `gateway plugins` show of one plugin."""

    name: str
    vendor: str
    version: str
    capabilities: tuple[str, ...]
    builtin: bool
    description: str = ""


def _tracing() -> bool:
    return os.environ.get(TRACE_ENV, "") not in ("", "0")


def make_plugin_manager(
    entry_points: Iterable[metadata.EntryPoint] | None = None,
    extra_plugins: Sequence[Any] = (),
    builtins: Sequence[str] = BUILTIN_PLUGINS,
) -> pluggy.PluginManager:
    """Build a plugin manager: `builtins` (module names), then the third-party `entry_points`
    (all of the group by default), then `extra_plugins` (modules, objects or module names,
    treated as third-party: a test or an embedding application registers its own this way)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    trace = _tracing()
    builtin_names: set[str] = set()
    for module_name in builtins:
        name = module_name.rsplit(".", 1)[-1]
        builtin_names.add(name)
        try:
            _register(pm, name, importlib.import_module(module_name), trace)
        except Exception as exc:
            raise PluginLoadError(
                f"built-in plugin {name!r} ({module_name}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    eps = entry_points if entry_points is not None else metadata.entry_points(
        group=ENTRY_POINT_GROUP
    )
    for ep in sorted(eps, key=lambda e: e.name):
        if ep.name in builtin_names:
            log.error("plugin %s (%s) refused: %r is the name of a built-in plugin",
                      ep.name, ep.value, ep.name)
            continue
        _register_third_party(pm, ep.name, ep.value, ep.load, trace, builtin_names)
    for plugin in extra_plugins:
        if isinstance(plugin, str):
            load = functools.partial(importlib.import_module, plugin)
            _register_third_party(pm, plugin, plugin, load, trace, builtin_names)
        else:
            name = getattr(plugin, "__name__", None) or repr(plugin)
            given = functools.partial(_same, plugin)
            _register_third_party(pm, name, name, given, trace, builtin_names)
    return pm


def _same(plugin: Any) -> Any:
    return plugin


def _register_third_party(
    pm: pluggy.PluginManager,
    name: str,
    where: str,
    load: Callable[[], Any],
    trace: bool,
    builtin_names: set[str],
) -> None:
    try:
        info = _register(pm, name, load(), trace)
    except Exception as exc:
        log.error("plugin %s (%s) skipped: %s: %s", name, where, type(exc).__name__, exc)
        return
    if info.name in builtin_names:
        pm.unregister(name=name)
        log.error("plugin %s (%s) refused: it calls itself %r, the name of a built-in plugin",
                  name, where, info.name)


def _register(pm: pluggy.PluginManager, name: str, plugin: Any, trace: bool) -> PluginInfo:
    """Register and check one plugin; on any problem unregister it again and raise."""
    if trace:
        plugin = trace_plugin(plugin, name)
    pm.register(plugin, name=name)
    try:
        pm.check_pending()
        return _info_of(plugin)
    except Exception:
        pm.unregister(name=name)
        raise


def _info_of(plugin: Any) -> PluginInfo:
    impl = getattr(plugin, "gateway_plugin_info", None)
    if impl is None:
        raise TypeError("does not implement gateway_plugin_info")
    info = impl()
    if not isinstance(info, PluginInfo):
        raise TypeError("gateway_plugin_info must return a PluginInfo")
    return info


@functools.cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loaded once."""
    return make_plugin_manager()


def plugin_infos(pm: pluggy.PluginManager | None = None) -> dict[str, PluginInfo]:
    """Plugin name → its info, for every registered plugin."""
    pm = pm or get_plugin_manager()
    return {info.name: info for info in GatewayHooks(pm).plugin_infos()}


def plugin_summaries(pm: pluggy.PluginManager | None = None) -> list[PluginSummary]:
    """Every registered plugin, built-in or not, in name order."""
    pm = pm or get_plugin_manager()
    builtin = {m.rsplit(".", 1)[-1] for m in BUILTIN_PLUGINS}
    registered = {_plugin_name(p) or n: n for n, p in pm.list_name_plugin()}
    return [
        PluginSummary(name=info.name, vendor=info.vendor, version=info.version,
                      capabilities=tuple(info.capabilities), description=info.description,
                      builtin=registered.get(info.name, info.name) in builtin)
        for info in sorted(plugin_infos(pm).values(), key=lambda i: i.name)
    ]


def plugin_info(name: str, pm: pluggy.PluginManager | None = None) -> PluginInfo:
    """The info of one plugin by name, or NotFound."""
    infos = plugin_infos(pm)
    if name not in infos:
        raise NotFound(f"no plugin named {name!r}; installed: {', '.join(sorted(infos))}")
    return infos[name]


def hooks_of(name: str, pm: pluggy.PluginManager | None = None) -> list[str]:
    """The gateway_* hooks a registered plugin implements."""
    pm = pm or get_plugin_manager()
    for plugin_name, plugin in pm.list_name_plugin():
        if _plugin_name(plugin) == name or plugin_name == name:
            return sorted(h.name for h in pm.get_hookcallers(plugin) or [])
    raise NotFound(f"no plugin named {name!r}")


def _plugin_name(plugin: Any) -> str | None:
    impl = getattr(plugin, "gateway_plugin_info", None)
    return impl().name if impl else None
