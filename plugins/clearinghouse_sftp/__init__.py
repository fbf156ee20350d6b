"""Clearinghouse over SFTP: fetch ERAs and acknowledgments, submit 837P claim batches.

Hook implementations only; the transports live in `sftp.py` and `local.py`. Each hook
answers only for connectors of this plugin and returns None for any other.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from gateway.core.hookspecs import hookimpl
from gateway.core.records import (
    ClaimBatch,
    Connector,
    ConnectorCheck,
    PluginInfo,
    RemoteFile,
    SubmissionReceipt,
)

from .config import ClearinghouseConfig
from .transfer import TransportError, fetch_folder

NAME = "clearinghouse_sftp"


def _transport(connector: Connector) -> AbstractContextManager:
    cfg: ClearinghouseConfig = connector.config
    if cfg.transport == "local":
        from .local import LocalTransport

        return LocalTransport(cfg)
    from .sftp import pooled

    return pooled(connector.id, cfg)


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        vendor="Clearinghouse (SFTP)",
        version="0.2.0",
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
    with _transport(connector) as t:
        return fetch_folder(t, cfg.era_dir, cfg.era_pattern, "era")


@hookimpl
def gateway_fetch_acknowledgments(connector: Connector) -> list[RemoteFile] | None:
    if connector.plugin != NAME:
        return None
    cfg: ClearinghouseConfig = connector.config
    with _transport(connector) as t:
        return fetch_folder(t, cfg.ack_dir, cfg.ack_pattern, "acknowledgment")


@hookimpl
def gateway_finish_fetch(connector: Connector, file: RemoteFile, outcome: str) -> bool | None:
    if connector.plugin != NAME:
        return None
    if outcome == "failed":
        return True  # left where it is: the next poll retries it
    cfg: ClearinghouseConfig = connector.config
    with _transport(connector) as t:
        t.finish(file, cfg.after_download, cfg.archive_dir)
    return True


@hookimpl
def gateway_submit_claim_batch(
    connector: Connector, batch: ClaimBatch
) -> SubmissionReceipt | None:
    if connector.plugin != NAME:
        return None
    cfg: ClearinghouseConfig = connector.config
    with _transport(connector) as t:
        return t.upload(cfg.claims_dir, batch.name, batch.content)


@hookimpl
def gateway_check_connector(connector: Connector) -> ConnectorCheck | None:
    if connector.plugin != NAME:
        return None
    cfg: ClearinghouseConfig = connector.config
    folders = {"era_dir": cfg.era_dir, "ack_dir": cfg.ack_dir, "claims_dir": cfg.claims_dir}
    if cfg.after_download == "move" and cfg.archive_dir:
        folders["archive_dir"] = cfg.archive_dir
    if cfg.transport == "local":
        from .local import LocalTransport

        return LocalTransport(cfg).check(folders)
    from .sftp import SftpTransport

    conn = SftpTransport(cfg)
    try:
        with conn:
            return conn.check(folders)
    except TransportError as exc:
        return ConnectorCheck(
            ok=False, host_key_fingerprint=conn.host_key_fingerprint, problems=[str(exc)]
        )
