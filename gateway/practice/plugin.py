"""The practice-data hook every PMS plugin shares, over the core transport.

A PMS plugin differs from another only in its export layout (`format.py`), so its
`__init__.py` binds `PracticeDataHooks` to its name and layout. A pull lists the connector's
folder twice, `stable_seconds` apart, and takes per kind the newest file whose size and
modification time did not change between the listings (the PMS has finished writing it) and
that is newer than `since`; it spools each over the transport (hashing it) and returns the
spooled files unread with their hashes (`StreamedPracticeData`: the core reads them with the
shared reader a chunk at a time, then removes them). It never touches the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from gateway.core.connector_configs import PmsExportConfig
from gateway.core.errors import UserError
from gateway.core.hookspecs import hookimpl
from gateway.core.records import (
    PRACTICE_KINDS,
    Connector,
    PluginInfo,
    PracticeFile,
    PracticeKind,
)
from gateway.core.transport import open_transport
from gateway.core.transport.base import Entry, Transport, wanted
from gateway.core.version import GATEWAY_VERSION
from gateway.practice.layout import PracticeLayout
from gateway.practice.stream import FileSource, StreamedPracticeData

log = logging.getLogger("gateway.practice.pull")


def complete_newest(
    first: list[Entry],
    second: list[Entry],
    patterns: dict[PracticeKind, str],
    since: dt.datetime | None,
) -> dict[PracticeKind, Entry]:
    """Per kind, the newest file seen unchanged in both listings and modified after `since`."""
    before = {e.name: (e.size, e.mtime) for e in first}
    cutoff = since.timestamp() if since is not None else None
    chosen: dict[PracticeKind, Entry] = {}
    for entry in second:
        if before.get(entry.name) != (entry.size, entry.mtime):
            continue  # new or still growing: the next pull takes it
        if cutoff is not None and (entry.mtime or 0) <= cutoff:
            continue
        for kind, pattern in patterns.items():
            if wanted(entry.name, pattern):
                best = chosen.get(kind)
                if best is None or (entry.mtime or 0, entry.name) > (best.mtime or 0, best.name):
                    chosen[kind] = entry
                break
    return chosen


def pull_files(transport: Transport, cfg: PmsExportConfig, layout: PracticeLayout,
               since: dt.datetime | None) -> StreamedPracticeData:
    """List, pick, spool and read the newest complete export files of one connector."""
    if not cfg.practice_data_dir:
        raise UserError("the connector has no practice_data_dir", where="connector config")
    patterns: dict[PracticeKind, str] = {
        k: cfg.patterns.get(k, layout.files[k].pattern) for k in PRACTICE_KINDS
    }
    first = transport.list(cfg.practice_data_dir, "*")
    if cfg.stable_seconds:
        time.sleep(cfg.stable_seconds)  # a worker thread: the PMS may still be writing
    second = transport.list(cfg.practice_data_dir, "*")
    data = StreamedPracticeData(vendor=layout.vendor)
    chosen = complete_newest(first, second, patterns, since)
    try:
        for kind in (k for k in PRACTICE_KINDS if k in chosen):
            entry = chosen[kind]
            spooled = transport.download(entry, "other")
            data.sources.append(FileSource(kind=kind, name=entry.name,
                                           layout=layout.files[kind],
                                           path=spooled.local_path))
            data.files.append(PracticeFile(kind=kind, name=entry.name, sha256=spooled.sha256,
                                           size=spooled.size, modified_at=entry.modified_at))
            log.info("spooled %s file %s: %d bytes", kind, entry.name, spooled.size)
    except BaseException:
        data.discard()
        raise
    return data


class PracticeDataHooks:
    """`gateway_pull_practice_data` for one vendor layout."""

    def __init__(self, name: str, layout: PracticeLayout) -> None:
        self.name, self.layout = name, layout

    @hookimpl
    def gateway_pull_practice_data(
        self, connector: Connector, since: dt.datetime | None
    ) -> StreamedPracticeData | None:
        if connector.plugin != self.name:
            return None
        cfg: PmsExportConfig = connector.config
        with open_transport(connector.id, cfg) as t:
            return pull_files(t, cfg, self.layout, since)



def pms_plugin_info(name: str, vendor: str, version: str = GATEWAY_VERSION) -> PluginInfo:
    """The `PluginInfo` of a PMS plugin: aging exports uploaded, practice data and outstanding
    balances pulled."""
    return PluginInfo(
        name=name,
        vendor=vendor,
        version=version,
        capabilities=("aging_export", "practice_data", "pull_balances"),
        config_type=PmsExportConfig,
        secret_fields=("password", "private_key", "private_key_passphrase", "balances"),
        description="Aging exports uploaded per location; practice data (patients, "
        "coverages, appointments, claims) and outstanding balances pulled from the PMS's "
        "scheduled exports.",
        example_config={"transport": "local", "practice_data_dir": "/srv/pms/exports",
                        "stable_seconds": 5.0},
    )
