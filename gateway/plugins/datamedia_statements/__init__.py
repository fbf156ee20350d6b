"""Data Media: patient statement ePayments (PaySimple payments against mailed statements).

Hook implementations only; the payment file layout lives in `format.py` (README.md shows it).
Files come through the core's shared transport (SFTP with a pinned host key, or a drop
folder); each hook answers only for connectors of this plugin and returns None otherwise.
"""

from __future__ import annotations

import functools

from gateway.core.errors import UserError
from gateway.core.hookspecs import FetchOutcome, hookimpl
from gateway.core.records import (
    Connector,
    ConnectorCheck,
    PluginInfo,
    RemoteFile,
    StatementPaymentFile,
)
from gateway.core.remote_folders import check_folders, finish_fetch
from gateway.core.transport import fetch_folder, open_transport
from gateway.core.version import GATEWAY_VERSION

from . import format
from .config import DataMediaConfig

NAME = "datamedia_statements"
KIND = "statement_payments"


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        vendor="Data Media",
        version=GATEWAY_VERSION,
        capabilities=("statement_payments",),
        config_type=DataMediaConfig,
        secret_fields=("password", "private_key", "private_key_passphrase"),
        description="Patient statement ePayments collected by Data Media (PaySimple), "
        "over SFTP or from a drop folder.",
        example_config={
            "transport": "local",
            "payments_dir": "/srv/datamedia/payments",
            "after_download": "move",
            "archive_dir": "/srv/datamedia/archive",
        },
    )


def read(cfg: DataMediaConfig, file: RemoteFile) -> StatementPaymentFile:
    """One spooled file checked with the layout (every line read, no payment kept); the
    payments are read again a chunk at a time when the core imports them. A file that does
    not read carries its error."""
    try:
        checked = format.check_file(file.name, file.local_path)
        if cfg.client_id and checked.client_id != cfg.client_id:
            raise UserError(f"client id {checked.client_id!r} in the header is not this "
                            f"connector's ({cfg.client_id!r})", where=f"{file.name}, line 1")
    except UserError as exc:
        return StatementPaymentFile(file=file, error=str(exc))
    return StatementPaymentFile(
        file=file, reader=functools.partial(format.read_chunks, file.name, file.local_path,
                                            sha256=file.sha256, length=file.size),
        count=checked.count, total=checked.total, file_date=checked.file_date)


@hookimpl
def gateway_import_statement_payments(connector: Connector) -> list[StatementPaymentFile] | None:
    if connector.plugin != NAME:
        return None
    cfg: DataMediaConfig = connector.config
    with open_transport(connector.id, cfg) as t:
        files = fetch_folder(t, cfg.payments_dir, cfg.payments_pattern, KIND)
    return [read(cfg, f) for f in files]


@hookimpl
def gateway_finish_fetch(
    connector: Connector, file: RemoteFile, outcome: FetchOutcome
) -> bool | None:
    return finish_fetch(connector, file, outcome) if connector.plugin == NAME else None


@hookimpl
def gateway_check_connector(connector: Connector) -> ConnectorCheck | None:
    if connector.plugin != NAME:
        return None
    cfg: DataMediaConfig = connector.config
    return check_folders(connector, {"payments_dir": cfg.payments_dir})
