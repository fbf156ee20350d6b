"""THE plugin contract: every hook a plugin may implement.

Hooks are plain functions (pluggy has no async); the core calls the blocking ones (file
parsing, paramiko) in a worker thread. All but `gateway_plugin_info` are `firstresult`: a
plugin answers only for its own vendor or connector and returns None otherwise, so the first
non-None answer wins. Plugins never touch the database and never import each other.

Every hook here has a section in docs/plugins.md headed by its exact signature; a test fails
when one is missing or drifts.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pluggy

from gateway.core.records import (
    AgingContext,
    AgingExport,
    AgingSource,
    BalanceSnapshot,
    ClaimBatch,
    Connector,
    ConnectorCheck,
    PluginInfo,
    PracticeData,
    RemoteFile,
    StatementPaymentFile,
    SubmissionReceipt,
)

PROJECT = "gateway"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

FetchOutcome = Literal["imported", "duplicate", "failed"]
"""What became of a fetched file, as `gateway_finish_fetch` is told."""


@hookspec
def gateway_plugin_info() -> PluginInfo:
    """Describe the plugin: name, vendor, version, capabilities, connector config Struct.

    Every plugin implements this. `name` is what connectors refer to in their `plugin` field.
    """
    raise NotImplementedError  # a spec only: pluggy calls the plugins' implementations


@hookspec(firstresult=True)
def gateway_parse_aging_export(
    vendor: str, source: AgingSource, context: AgingContext
) -> AgingExport | None:
    """Parse an uploaded aging export of `vendor` into canonical rows.

    Return None when `vendor` is not yours. Detect the file format from the bytes, not the
    name. Raise `gateway.core.errors.UserError` when the file cannot be read as your vendor's
    report at all (no header found: say what was expected and what was found); return
    row-level problems in `AgingExport.problems`.
    """


@hookspec(firstresult=True)
def gateway_pull_balances(connector: Connector) -> BalanceSnapshot | None:
    """Pull the outstanding balances of the practice from the PMS behind `connector`: the
    newest balance export (drop folder, SFTP or HTTPS report), as a snapshot: its rows in
    memory, or a `BalanceStream` the core reads in chunks (the built-in plugins' CSV reader).

    Return None when the connector is not yours. Raise `UserError` when the file cannot be
    read as your vendor's export at all; rows that can be read but not trusted go in
    `BalanceSnapshot.problems`. Called by the `sync_balances` job (daily by default).
    """


@hookspec(firstresult=True)
def gateway_fetch_eras(connector: Connector) -> list[RemoteFile] | None:
    """Download the ERA (835) files waiting at the connector's remote.

    Return None when the connector is not yours. Spool each file to a temporary file, verify
    its size, and return it; do not delete or move anything remotely yet: the core calls
    `gateway_finish_fetch` once it has committed the file.
    """


@hookspec(firstresult=True)
def gateway_fetch_acknowledgments(connector: Connector) -> list[RemoteFile] | None:
    """Download the acknowledgment files (999, 277CA) waiting at the connector's remote.

    Same contract as `gateway_fetch_eras`.
    """


@hookspec(firstresult=True)
def gateway_finish_fetch(
    connector: Connector, file: RemoteFile, outcome: FetchOutcome
) -> bool | None:
    """Apply the connector's after-download action to a fetched file.

    `outcome` is "imported" or "duplicate" (the core committed it, or already had it) or
    "failed" (leave the file where it is, so the next poll retries). Return True when done,
    None when the connector is not yours.
    """


@hookspec(firstresult=True)
def gateway_submit_claim_batch(
    connector: Connector, batch: ClaimBatch
) -> SubmissionReceipt | None:
    """Upload an 837P claim batch atomically: never visible under its final name half-written.

    Return None when the connector is not yours.
    """


@hookspec(firstresult=True)
def gateway_check_connector(connector: Connector) -> ConnectorCheck | None:
    """Connect, list the connector's folders, and report what was seen (host key, latency).

    Return None when the connector is not yours.
    """


@hookspec(firstresult=True)
def gateway_import_statement_payments(connector: Connector) -> list[StatementPaymentFile] | None:
    """Download the statement vendor's payment files and read each with the vendor's layout.

    Return None when the connector is not yours. A file that does not read (a trailer that
    disagrees with its rows, an amount that is not money, an unknown status) comes back with
    `error` set and no payments, never as an exception: the other files go on. Check the whole
    file before returning it, but do not hold its payments: set `reader` (called with a chunk
    size, it reads the spooled file again and yields the payments that many at a time), so a
    file of any length costs the core one chunk of memory; `payments` is for small files.
    The core iterates `StatementPaymentFile.chunks` in a worker thread. Do not move or
    delete anything remotely yet: the core calls `gateway_finish_fetch` once it committed the
    file. The core dedupes files by content and payments by `transaction_id`.
    """


@hookspec(firstresult=True)
def gateway_pull_practice_data(
    connector: Connector, since: dt.datetime | None
) -> PracticeData | None:
    """Read the practice data (patients, coverages, appointments, claims with lines) the PMS
    behind `connector` exported, from its drop folder or SFTP folder.

    Return None when the connector is not yours. Take the newest complete export file of each
    kind (complete: its size did not change between two listings), skipping files last
    modified at or before `since` (the previous successful pull; None = read them all). Parse
    with the vendor's layout: unreadable rows go into `PracticeData.problems` (file, row,
    column, why); a file that cannot be read at all raises `UserError`. Report every file
    read in `PracticeData.files` (name, sha256, size): the core skips a pull whose files it
    has all imported before, and writes all of a pull or none of it.
    """
