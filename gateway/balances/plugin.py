"""`gateway_pull_balances` for every PMS plugin: fetch the newest balance export (drop
folder, SFTP, or an HTTPS report) and hand it to the core as a stream read with the vendor's
`BalanceLayout` (the spooled file lives until the core closes the stream).

A PMS plugin binds `BalanceHooks` to its name and layout in its `__init__.py`; no plugin
repeats the fetching or the parsing.
"""

from __future__ import annotations

import os

from gateway.balances.layout import BalanceLayout
from gateway.balances.reader import CsvBalanceStream
from gateway.core.balance_source import BalanceSource
from gateway.core.errors import UserError
from gateway.core.hookspecs import hookimpl
from gateway.core.records import BalanceSnapshot, Connector, RemoteFile
from gateway.core.transport import open_transport
from gateway.core.transport.base import FileSkipped


class BalanceHooks:
    """`gateway_pull_balances` for one vendor layout."""

    def __init__(self, name: str, layout: BalanceLayout) -> None:
        self.name, self.layout = name, layout

    @hookimpl
    def gateway_pull_balances(self, connector: Connector) -> BalanceSnapshot | None:
        """The newest export as a snapshot; None for another plugin's connector."""
        if connector.plugin != self.name:
            return None
        source: BalanceSource | None = getattr(connector.config, "balances", None)
        if source is None:
            raise UserError(f"connector {connector.id} has no balances source configured",
                            where="config.balances")
        file = fetch_newest(connector.id, source)
        try:
            stream = CsvBalanceStream(self.layout, file.name, file.local_path, remove=True)
        except BaseException:
            os.unlink(file.local_path)
            raise
        return BalanceSnapshot(source_name=file.name, sha256=file.sha256, stream=stream)


def fetch_newest(connector_id: int, source: BalanceSource) -> RemoteFile:
    """The newest matching file of the balance folder (by modification time, then name), or
    the HTTPS report."""
    if source.https is not None:
        from gateway.core.transport.https import download_report

        return download_report(source.https)
    assert source.remote is not None  # BalanceSource allows exactly one of the two
    with open_transport(connector_id, source.remote) as transport:
        entries = transport.list(source.folder, source.pattern)
        if not entries:
            raise UserError(f"no balance export matching {source.pattern!r} in "
                            f"{source.folder!r}", where="config.balances.folder")
        newest = max(entries, key=lambda e: (e.mtime or 0, e.name))
        try:
            return transport.download(newest, "other")
        except FileSkipped as exc:
            raise UserError(f"{newest.name}: {exc}", where=newest.name) from exc
