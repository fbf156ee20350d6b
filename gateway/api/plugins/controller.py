"""`GET /api/plugins`: the plugins this gateway runs (name, vendor, version, capabilities,
built-in or third-party). Any role may read it: it says nothing about a practice."""

from __future__ import annotations

from litestar import Controller, get

from gateway.api.auth import requires
from gateway.core.plugins import PluginSummary, plugin_summaries


class PluginController(Controller):
    path = "/api/plugins"
    tags = ["plugins"]
    guards = [requires("viewer")]

    @get("/", sync_to_thread=False)
    def list_plugins(self) -> list[PluginSummary]:
        """Every loaded plugin: name, vendor, version, capabilities, built-in or not."""
        return plugin_summaries()


ROUTES = [PluginController]
