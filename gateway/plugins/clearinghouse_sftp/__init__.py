"""Clearinghouse over SFTP: fetch ERAs and acknowledgments, submit 837P claim batches.

Hook implementations only; the transports are the core's (`gateway.core.transport`). Each hook
answers only for connectors of this plugin and returns None for any other.
"""

from __future__ import annotations

from gateway.core.hookspecs import FetchOutcome, hookimpl
from gateway.core.records import (
    ClaimBatch,
    Connector,
    ConnectorCheck,
    PluginInfo,
    RemoteFile,
    SubmissionReceipt,
)
from gateway.core.remote_folders import check_folders, finish_fetch
from gateway.core.transport import fetch_folder, open_transport
from gateway.core.version import GATEWAY_VERSION

from .config import ClearinghouseConfig

NAME = "clearinghouse_sftp"


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        vendor="Clearinghouse (SFTP)",
        version=GATEWAY_VERSION,
        capabilities=("fetch_eras", "fetch_acknowledgments", "submit_claims"),
        config_type=ClearinghouseConfig,
        secret_fields=("password", "private_key", "private_key_passphrase"),
        description="ERAs and acknowledgments in, 837P claim batches out, over SFTP "
        "(or local folders).",
        example_config={
            "transport": "local",
            "era_dir": "/srv/clearinghouse/era",
            "ack_dir": "/srv/clearinghouse/ack",
            "claims_dir": "/srv/clearinghouse/claims",
            "after_download": "move",
            "archive_dir": "/srv/clearinghouse/archive",
        },
    )


@hookimpl
def gateway_fetch_eras(connector: Connector) -> list[RemoteFile] | None:
    if connector.plugin != NAME:
        return None
    cfg: ClearinghouseConfig = connector.config
    with open_transport(connector.id, cfg) as t:
        return fetch_folder(t, cfg.era_dir, cfg.era_pattern, "era")


@hookimpl
def gateway_fetch_acknowledgments(connector: Connector) -> list[RemoteFile] | None:
    if connector.plugin != NAME:
        return None
    cfg: ClearinghouseConfig = connector.config
    with open_transport(connector.id, cfg) as t:
        return fetch_folder(t, cfg.ack_dir, cfg.ack_pattern, "acknowledgment")


@hookimpl
def gateway_finish_fetch(
    connector: Connector, file: RemoteFile, outcome: FetchOutcome
) -> bool | None:
    return finish_fetch(connector, file, outcome) if connector.plugin == NAME else None


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
