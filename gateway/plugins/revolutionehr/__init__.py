"""RevolutionEHR: aging exports uploaded per location.

Hook implementations only: the report layout is the profile in `format.py`; the reading and
the import rules live in the core (`gateway.aging`).
"""

from __future__ import annotations

from gateway.aging.plugin import AgingExportHooks
from gateway.balances.plugin import BalanceHooks

from .format import BALANCES, PROFILE

NAME = "revolutionehr"

_hooks = AgingExportHooks(NAME, "RevolutionEHR", PROFILE, balances=True)
gateway_plugin_info = _hooks.gateway_plugin_info
gateway_parse_aging_export = _hooks.gateway_parse_aging_export

# --- balances export ---
_balances = BalanceHooks(NAME, BALANCES)
gateway_pull_balances = _balances.gateway_pull_balances
