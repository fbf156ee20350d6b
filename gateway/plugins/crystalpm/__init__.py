"""Crystal Practice Management: aging exports uploaded per location.

Hook implementations only: the report layout is the profile in `format.py`; the reading and
the import rules live in the core (`gateway.aging`).
"""

from __future__ import annotations

from gateway.aging.plugin import AgingExportHooks

from .format import PROFILE

NAME = "crystalpm"

_hooks = AgingExportHooks(NAME, "Crystal Practice Management", PROFILE)
gateway_plugin_info = _hooks.gateway_plugin_info
gateway_parse_aging_export = _hooks.gateway_parse_aging_export
