"""What every plugin that reads folders on a server (SFTP, or a local folder) does the same way:
describe themselves, finish a fetched file once the gateway has committed it, and check the
connector's folders.
The plugins answer for their own connectors and call these (copy `gateway_finish_fetch` and
`gateway_check_connector` from `gateway/plugins/clearinghouse_sftp/__init__.py`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gateway.core.hookspecs import FetchOutcome, hookimpl
from gateway.core.records import Capability, Connector, ConnectorCheck, PluginInfo, RemoteFile
from gateway.core.transport import RemoteConfig, check_remote, open_transport
from gateway.core.version import GATEWAY_VERSION

REMOTE_SECRET_FIELDS = ("password", "private_key", "private_key_passphrase")
"""The write-only fields of `RemoteConfig` (how the gateway signs in to the server)."""


def folder_plugin_info(
    name: str,
    vendor: str,
    capabilities: tuple[Capability, ...],
    config_type: type[RemoteConfig],
    description: str,
    example_config: dict[str, Any],
) -> PluginInfo:
    """A built-in folder plugin's `gateway_plugin_info`: the gateway's version, and the
    transport's secrets kept write-only."""
    return PluginInfo(name=name, vendor=vendor, version=GATEWAY_VERSION,
                      capabilities=capabilities, config_type=config_type,
                      secret_fields=REMOTE_SECRET_FIELDS, description=description,
                      example_config=example_config)


def finish_fetch(connector: Connector, file: RemoteFile, outcome: FetchOutcome) -> bool:
    """Apply the connector's `after_download` (leave, delete, or move to `archive_dir`) to a
    file the gateway has committed; a failed file is left where it is for the next poll."""
    if outcome == "failed":
        return True
    cfg: RemoteConfig = connector.config
    with open_transport(connector.id, cfg) as t:
        t.finish(file, cfg.after_download, cfg.archive_dir)
    return True


def finish_fetch_hook(plugin: str) -> Callable[[Connector, RemoteFile, FetchOutcome], bool | None]:
    """The `gateway_finish_fetch` hookimpl of the folder plugin named `plugin` (answers for its
    connectors only): `gateway_finish_fetch = finish_fetch_hook(NAME)` in its module."""

    @hookimpl
    def gateway_finish_fetch(
        connector: Connector, file: RemoteFile, outcome: FetchOutcome
    ) -> bool | None:
        return finish_fetch(connector, file, outcome) if connector.plugin == plugin else None

    return gateway_finish_fetch


def check_folders(connector: Connector, folders: Mapping[str, str]) -> ConnectorCheck:
    """Connect and look at each of `folders` (name -> path), and the archive folder when files
    are moved there after download."""
    cfg: RemoteConfig = connector.config
    checked = dict(folders)
    if cfg.after_download == "move" and cfg.archive_dir:
        checked["archive_dir"] = cfg.archive_dir
    return check_remote(cfg, checked)
