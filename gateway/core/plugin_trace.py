"""`GATEWAY_TRACE_PLUGINS=1`: one log line per hook call of each plugin.

The line names the hook, the plugin, the connector id (when the hook has a connector), whether
the plugin answered (returned non-None), and how long it took. Never the arguments' contents
nor the result: files and rows hold patient data. pluggy's own tracing prints the arguments,
so it is not used; instead each plugin is registered through a stand-in whose `gateway_*`
functions time the real ones (signature and hookimpl marker kept, so pluggy sees the same
hooks).
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
import types
from collections.abc import Callable
from typing import Any

from gateway.core.hookspecs import PROJECT

log = logging.getLogger("gateway.plugins.trace")

_MARKER = f"{PROJECT}_impl"


def trace_plugin(plugin: Any, name: str) -> types.SimpleNamespace:
    """A stand-in for `plugin` whose hook implementations log each call."""
    stand_in = types.SimpleNamespace(__name__=getattr(plugin, "__name__", name),
                                     __doc__=getattr(plugin, "__doc__", None),
                                     traced_plugin=plugin)
    for attr in dir(plugin):
        fn = getattr(plugin, attr, None)
        if attr.startswith(f"{PROJECT}_") and callable(fn) and hasattr(fn, _MARKER):
            setattr(stand_in, attr, _timed(fn, attr, name))
    return stand_in


def _timed(fn: Callable[..., Any], hook: str, plugin: str) -> Callable[..., Any]:
    names = list(inspect.signature(fn).parameters)
    at = names.index("connector") if "connector" in names else None  # pluggy passes positionally

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        connector = kwargs.get("connector", args[at] if at is not None and at < len(args) else None)
        connector_id = getattr(connector, "id", None)
        started = time.perf_counter()
        outcome = "raised"
        try:
            result = fn(*args, **kwargs)
            outcome = "answered" if result is not None else "passed"
            return result
        finally:
            log.info("hook %s plugin %s connector %s %s in %.1f ms", hook, plugin,
                     connector_id if connector_id is not None else "-", outcome,
                     (time.perf_counter() - started) * 1000)

    setattr(timed, _MARKER, getattr(fn, _MARKER))
    return timed
