"""Clearinghouse over SFTP: fetch ERAs and acknowledgments, submit 837P claim batches.

Hook implementations only; the transports are the core's (`gateway.core.transport`). Each hook
answers only for connectors of this plugin and returns None for any other.
"""

from __future__ import annotations

from typing import Literal

from gateway.core.hookspecs import hookimpl
from gateway.core.records import (
    ClaimBatch,
    Connector,
    ConnectorCheck,
    PluginInfo,
    RemoteFile,
    SubmissionReceipt,
)
from gateway.core.remote_folders import check_folders, finish_fetch_hook, folder_plugin_info
from gateway.core.transport import fetch_folder, open_transport

from .config import ClearinghouseConfig

NAME = "clearinghouse_sftp"


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return folder_plugin_info(
        NAME,
        "Clearinghouse (SFTP)",
        ("fetch_eras", "fetch_acknowledgments", "submit_claims"),
        ClearinghouseConfig,
        "ERAs and acknowledgments in, 837P claim batches out, over SFTP (or local folders).",
        {
            "transport": "local",
            "era_dir": "/srv/clearinghouse/era",
            "ack_dir": "/srv/clearinghouse/ack",
            "claims_dir": "/srv/clearinghouse/claims",
            "after_download": "move",
            "archive_dir": "/srv/clearinghouse/archive",
        },
    )


def _fetch(connector: Connector, kind: Literal["era", "acknowledgment"]) -> list[RemoteFile] | None:
    """This connector's ERAs or acknowledgments: every wanted file of their folder."""
    if connector.plugin != NAME:
        return None
    cfg: ClearinghouseConfig = connector.config
    folder, pattern = (
        (cfg.era_dir, cfg.era_pattern) if kind == "era" else (cfg.ack_dir, cfg.ack_pattern)
    )
    with open_transport(connector.id, cfg) as t:
        return fetch_folder(t, folder, pattern, kind)


@hookimpl
def gateway_fetch_eras(connector: Connector) -> list[RemoteFile] | None:
    return _fetch(connector, "era")


@hookimpl
def gateway_fetch_acknowledgments(connector: Connector) -> list[RemoteFile] | None:
    return _fetch(connector, "acknowledgment")


gateway_finish_fetch = finish_fetch_hook(NAME)


@hookimpl
def gateway_submit_claim_batch(
    connector: Connector, batch: ClaimBatch
) -> SubmissionReceipt | None:
    if connector.plugin != NAME:
        return None
    cfg: ClearinghouseConfig = connector.config
    with open_transport(connector.id, cfg) as t:
        return t.upload(cfg.claims_dir, batch.name, batch.content)


@hookimpl
def gateway_check_connector(connector: Connector) -> ConnectorCheck | None:
    if connector.plugin != NAME:
        return None
    cfg: ClearinghouseConfig = connector.config
    return check_folders(
        connector, {"era_dir": cfg.era_dir, "ack_dir": cfg.ack_dir, "claims_dir": cfg.claims_dir}
    )
