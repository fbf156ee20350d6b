"""The typed face of the plugin hooks: what the core calls instead of `pm.hook.<name>(...)`.

`pm.hook` is untyped (every call is `Any`, and a misspelt keyword only fails at run time), so
callers go through `GatewayHooks`: one method per hook in `gateway/core/hookspecs.py`, with the
spec's arguments and return type (as tox wraps `pm.hook`). The hooks that do I/O (remote
folders, paramiko) are `async` methods that run the hook in a worker thread, so the server's
event loop never blocks on a plugin. Two are plain methods: `plugin_infos` (pure, cheap) and
`parse_aging_export`, whose export streams its rows lazily from the file: the caller already
runs the parse and the consumption of those rows together in one worker thread.

A new hook gets its method here, next to its spec (docs/conventions.md says so, and
tests/core/test_hooks.py fails when a spec has no method).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import pluggy

from gateway.core.hookspecs import FetchOutcome
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


class GatewayHooks:
    """One typed method per gateway hook, over a plugin manager."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    # --- in the caller's thread ------------------------------------------------------------

    def plugin_infos(self) -> list[PluginInfo]:
        """Every registered plugin's description (`gateway_plugin_info`)."""
        infos: list[PluginInfo] = self.pm.hook.gateway_plugin_info()
        return infos

    def parse_aging_export(
        self, vendor: str, source: AgingSource, context: AgingContext
    ) -> AgingExport | None:
        """`gateway_parse_aging_export`. Blocking: call it from a worker thread (its rows
        stream from the file as they are read)."""
        export: AgingExport | None = self.pm.hook.gateway_parse_aging_export(
            vendor=vendor, source=source, context=context
        )
        return export

    # --- in a worker thread ----------------------------------------------------------------

    @staticmethod
    async def _in_thread(hook: Callable[..., Any], **arguments: Any) -> Any:
        """Call one hook in a worker thread (plugins do blocking I/O); its answer as the
        calling method's return type says."""
        return await asyncio.to_thread(hook, **arguments)

    async def pull_balances(self, connector: Connector) -> BalanceSnapshot | None:
        """`gateway_pull_balances`, in a worker thread."""
        return await self._in_thread(self.pm.hook.gateway_pull_balances, connector=connector)

    async def fetch_eras(self, connector: Connector) -> list[RemoteFile] | None:
        """`gateway_fetch_eras`, in a worker thread."""
        return await self._in_thread(self.pm.hook.gateway_fetch_eras, connector=connector)

    async def fetch_acknowledgments(
        self, connector: Connector
    ) -> list[RemoteFile] | None:
        """`gateway_fetch_acknowledgments`, in a worker thread."""
        return await self._in_thread(
            self.pm.hook.gateway_fetch_acknowledgments, connector=connector
        )

    async def finish_fetch(
        self, connector: Connector, file: RemoteFile, outcome: FetchOutcome
    ) -> bool | None:
        """`gateway_finish_fetch`, in a worker thread."""
        return await self._in_thread(
            self.pm.hook.gateway_finish_fetch, connector=connector, file=file, outcome=outcome
        )

    async def submit_claim_batch(
        self, connector: Connector, batch: ClaimBatch
    ) -> SubmissionReceipt | None:
        """`gateway_submit_claim_batch`, in a worker thread."""
        return await self._in_thread(
            self.pm.hook.gateway_submit_claim_batch, connector=connector, batch=batch
        )

    async def check_connector(self, connector: Connector) -> ConnectorCheck | None:
        """`gateway_check_connector`, in a worker thread."""
        return await self._in_thread(self.pm.hook.gateway_check_connector, connector=connector)

    async def pull_practice_data(
        self, connector: Connector, since: dt.datetime | None
    ) -> PracticeData | None:
        """`gateway_pull_practice_data`, in a worker thread."""
        return await self._in_thread(
            self.pm.hook.gateway_pull_practice_data, connector=connector, since=since
        )

    async def import_statement_payments(
        self, connector: Connector
    ) -> list[StatementPaymentFile] | None:
        """`gateway_import_statement_payments`, in a worker thread: the files checked, their
        payments not read yet (`StatementPaymentFile.chunks` reads them; call it in a worker thread
        too)."""
        return await self._in_thread(
            self.pm.hook.gateway_import_statement_payments, connector=connector
        )


HOOK_METHODS: dict[str, str] = {
    "gateway_plugin_info": "plugin_infos",
    "gateway_parse_aging_export": "parse_aging_export",
    "gateway_pull_balances": "pull_balances",
    "gateway_fetch_eras": "fetch_eras",
    "gateway_fetch_acknowledgments": "fetch_acknowledgments",
    "gateway_finish_fetch": "finish_fetch",
    "gateway_submit_claim_batch": "submit_claim_batch",
    "gateway_check_connector": "check_connector",
    "gateway_import_statement_payments": "import_statement_payments",
    "gateway_pull_practice_data": "pull_practice_data",
}
"""Hook name → its facade method; a test checks every hookspec is here with its signature."""


@functools.cache
def get_hooks() -> GatewayHooks:
    """The hooks of the process-wide plugin manager."""
    from gateway.core.plugins import get_plugin_manager

    return GatewayHooks(get_plugin_manager())
