"""Data Media: patient statement ePayments (not implemented yet).

The connector can be configured, but the plugin declares no capability: the ePayment import
(`gateway_import_statement_payments`) is not written yet, and a plugin declares only what it
implements (the conformance suite checks it).
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
        capabilities=(),
        config_type=DataMediaConfig,
        secret_fields=("password", "api_key"),
        description="Patient statement ePayments collected by Data Media (import not "
        "implemented yet).",
    )
