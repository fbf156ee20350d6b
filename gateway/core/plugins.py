"""The plugin manager: built-in and third-party plugins load the same way.

Every plugin, ours included, is an entry point in the group `gateway.plugins`. A built-in
plugin (one shipped in this distribution's `gateway.plugins` package) that fails to load stops
start-up with a clear message: the install is broken. A third-party plugin that fails is logged
and skipped, so one bad package does not take the gateway down.
"""

from __future__ import annotations

import functools
import logging
from importlib import metadata
from typing import Any

import pluggy

from gateway.core import hookspecs
from gateway.core.errors import Failure, NotFound
from gateway.core.records import PluginInfo

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "gateway.plugins"
BUILTIN_PREFIX = "gateway.plugins."


class PluginLoadError(Failure):
    """A built-in plugin could not be loaded: the installation is broken."""


def _is_builtin(ep: metadata.EntryPoint) -> bool:
    return ep.value.startswith(BUILTIN_PREFIX)


def make_plugin_manager(
    entry_points: list[metadata.EntryPoint] | None = None,
    extra_plugins: list[Any] = (),  # type: ignore[assignment]
) -> pluggy.PluginManager:
    """Build a plugin manager from the entry points (all of the group by default)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    eps = (
        entry_points
        if entry_points is not None
        else list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    )
    for ep in sorted(eps, key=lambda e: (not _is_builtin(e), e.name)):
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
            pm.check_pending()
            _info_of(pm, ep.name)
        except Exception as exc:
            if pm.get_plugin(ep.name) is not None:
                pm.unregister(name=ep.name)
            if _is_builtin(ep):
                raise PluginLoadError(
                    f"built-in plugin {ep.name!r} ({ep.value}) failed to load: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            log.error(
                "plugin %s (%s) skipped: %s: %s", ep.name, ep.value, type(exc).__name__, exc
            )
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


def _info_of(pm: pluggy.PluginManager, name: str) -> PluginInfo:
    plugin = pm.get_plugin(name)
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
    return {info.name: info for info in pm.hook.gateway_plugin_info()}


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
