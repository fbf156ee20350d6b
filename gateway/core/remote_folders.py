"""What every plugin that reads folders on a server (SFTP, or a local folder) does the same way:
finish a fetched file once the gateway has committed it, and check the connector's folders.
The plugins answer for their own connectors and call these (copy `gateway_finish_fetch` and
`gateway_check_connector` from `gateway/plugins/clearinghouse_sftp/__init__.py`)."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.core.hookspecs import FetchOutcome
from gateway.core.records import Connector, ConnectorCheck, RemoteFile
from gateway.core.transport import RemoteConfig, check_remote, open_transport


def finish_fetch(connector: Connector, file: RemoteFile, outcome: FetchOutcome) -> bool:
    """Apply the connector's `after_download` (leave, delete, or move to `archive_dir`) to a
    file the gateway has committed; a failed file is left where it is for the next poll."""
    if outcome == "failed":
        return True
    cfg: RemoteConfig = connector.config
    with open_transport(connector.id, cfg) as t:
        t.finish(file, cfg.after_download, cfg.archive_dir)
    return True


def check_folders(connector: Connector, folders: Mapping[str, str]) -> ConnectorCheck:
    """Connect and look at each of `folders` (name -> path), and the archive folder when files
    are moved there after download."""
    cfg: RemoteConfig = connector.config
    checked = dict(folders)
    if cfg.after_download == "move" and cfg.archive_dir:
        checked["archive_dir"] = cfg.archive_dir
    return check_remote(cfg, checked)
