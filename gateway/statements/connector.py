"""Run a statement connector end to end: fetch and read its files through the plugin (in a
worker thread), import each file in its own transaction, and only after that transaction
committed ask the plugin to tidy the remote (`gateway_finish_fetch`). A rejected file is left
where it is (outcome "failed"), also one whose import failed part-way (rolled back, then
recorded as rejected); a fetch that loses its connection imports nothing.
"""

from __future__ import annotations

import datetime as dt
import os

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.admin.connectors import load_connector
from gateway.core.errors import UserError
from gateway.core.hooks import get_hooks
from gateway.core.hookspecs import FetchOutcome
from gateway.core.plugins import plugin_info
from gateway.core.records import Connector, StatementPaymentFile
from gateway.statements.importer import import_payment_file, reject_failed
from gateway.statements.schemas import FileResult, RunResult


def _discard(files: list[StatementPaymentFile]) -> None:
    for f in files:
        try:
            os.unlink(f.file.local_path)
        except FileNotFoundError:
            pass


async def _import_one(maker: async_sessionmaker[AsyncSession], connector: Connector,
                      spf: StatementPaymentFile, actor: str,
                      today: dt.date | None) -> FileResult:
    """One file in its own transaction; one that fails part-way is rolled back whole, then
    recorded as rejected with its located reason in a transaction of its own."""
    try:
        async with maker() as session:
            res = await import_payment_file(session, connector.practice_id, spf,
                                            connector_id=connector.id, actor=actor,
                                            today=today)
            await session.commit()
        return res
    except UserError as exc:  # the session rolled the import back as it closed
        why = str(exc)
    async with maker() as session:
        res = await reject_failed(session, connector.practice_id, spf, why,
                                  connector_id=connector.id)
        await session.commit()
    return res


async def run_connector(
    maker: async_sessionmaker[AsyncSession], practice_id: int | None, ref: int | str, *,
    actor: str = "system", today: dt.date | None = None,
) -> RunResult:
    """Fetch and import every waiting payment file of the connector."""
    async with maker() as session:
        connector = await load_connector(session, practice_id, ref)
    if "statement_payments" not in plugin_info(connector.plugin).capabilities:
        raise UserError(f"connector {connector.name!r} ({connector.plugin}) does not provide "
                        "statement payments", where="connector")
    hooks = get_hooks()
    files = await hooks.import_statement_payments(connector) or []
    out = RunResult(seen=len(files))
    try:
        for spf in files:
            res = await _import_one(maker, connector, spf, actor, today)
            out.files.append(res)
            if res.status == "imported":
                out.imported += 1
            elif res.status == "duplicate":
                out.duplicates += 1
            else:
                out.rejected += 1
            outcome: FetchOutcome = "failed" if res.status == "rejected" else res.status
            await hooks.finish_fetch(connector, spf.file, outcome)
    finally:
        _discard(files)
    return out
