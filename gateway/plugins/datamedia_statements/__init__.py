"""Data Media: patient statement ePayments.

Hook implementations only; the payment file layout lives in `format.py`.
"""

from __future__ import annotations

from gateway.core.hookspecs import hookimpl
from gateway.core.records import PluginInfo
from gateway.core.version import GATEWAY_VERSION

from .config import DataMediaConfig

NAME = "datamedia_statements"


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        vendor="Data Media",
        version=GATEWAY_VERSION,
        capabilities=("statement_payments",),
        config_type=DataMediaConfig,
        secret_fields=("password", "api_key"),
        description="Patient statement ePayments collected by Data Media.",
    )
