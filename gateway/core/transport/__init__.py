"""The one transport layer every plugin shares: a local folder or SFTP with pinned host keys.

`open_transport(connector_id, cfg)` gives a context manager with `list`, `download`,
`finish`, `upload` and `check` (see `base.Transport`); `fetch_folder` spools a folder's new
files. Plugins hold a `RemoteConfig` subclass as their connector config and call these; they
never open sockets or folders themselves.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from gateway.core.records import ConnectorCheck
from gateway.core.transport.base import Transport, TransportError, fetch_folder
from gateway.core.transport.config import RemoteConfig

__all__ = [
    "RemoteConfig",
    "Transport",
    "TransportError",
    "check_remote",
    "fetch_folder",
    "open_transport",
]


def open_transport(connector_id: int, cfg: RemoteConfig) -> AbstractContextManager[Transport]:
    """A transport for one run: local folders, or a pooled SFTP connection per connector."""
    if cfg.transport == "local":
        from gateway.core.transport.local import LocalTransport

        return LocalTransport(cfg)
    from gateway.core.transport.sftp_pool import pooled

    return pooled(connector_id, cfg)


def check_remote(cfg: RemoteConfig, folders: dict[str, str]) -> ConnectorCheck:
    """Connect afresh (never from the pool), list each folder, report what was seen."""
    if cfg.transport == "local":
        from gateway.core.transport.local import LocalTransport

        return LocalTransport(cfg).check(folders)
    from gateway.core.transport.sftp import SftpTransport

    conn = SftpTransport(cfg)
    try:
        with conn:
            return conn.check(folders)
    except TransportError as exc:
        return ConnectorCheck(
            ok=False, host_key_fingerprint=conn.host_key_fingerprint, problems=[str(exc)]
        )
