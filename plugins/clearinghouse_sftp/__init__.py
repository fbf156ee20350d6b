"""Clearinghouse over SFTP: fetch ERAs and acknowledgments, submit 837P claim batches.

Hook implementations only; transports live in their own modules.
"""

from __future__ import annotations

from gateway.core.hookspecs import hookimpl
from gateway.core.records import PluginInfo

from .config import ClearinghouseConfig

NAME = "clearinghouse_sftp"


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        vendor="Clearinghouse (SFTP)",
        version="0.1.0",
        capabilities=("fetch_eras", "fetch_acknowledgments", "submit_claims"),
        config_type=ClearinghouseConfig,
        secret_fields=("password", "private_key"),
        description="ERAs and acknowledgments in, 837P claim batches out, over SFTP.",
    )
