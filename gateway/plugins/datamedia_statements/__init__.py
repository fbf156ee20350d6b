"""Data Media: patient statement ePayments.

Hook implementations only; the payment file layout lives in `format.py`.
"""

from __future__ import annotations

from gateway.core.hookspecs import hookimpl
from gateway.core.records import PluginInfo

from .config import DataMediaConfig

NAME = "datamedia_statements"


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        vendor="Data Media",
        version="0.1.0",
        capabilities=("statement_payments",),
        config_type=DataMediaConfig,
        secret_fields=("password", "api_key"),
        description="Patient statement ePayments collected by Data Media.",
    )
