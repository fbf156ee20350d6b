"""Eyefinity Encompass: aging exports uploaded per location, practice data and balances pulled from
its scheduled exports (layouts in `format.py`)."""

from __future__ import annotations

from gateway.plugins import pms_plugin

from .format import BALANCES, PRACTICE_LAYOUT, PROFILE

(gateway_plugin_info, gateway_parse_aging_export, gateway_pull_practice_data,
 gateway_pull_balances) = pms_plugin("eyefinity", "Eyefinity Encompass",
                                     PROFILE, PRACTICE_LAYOUT, BALANCES)
