"""Apply a balance snapshot in one transaction: create, change and close accounts, keep each
change as history tied to the sync, and supersede manual edits the PMS has moved past.

A snapshot that changes nothing writes nothing (no sync row either). Two nodes applying a
snapshot of one connector at once are kept apart by the unique `(connector_id, seq)` of the
sync row: the loser writes nothing and says so.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import msgspec
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.balances.diff import MONEY_VALUE_FIELDS, Current, Plan, plan_changes
from gateway.balances.edits import supersede_moved_edits
from gateway.balances.layout import BUCKET_FIELDS
from gateway.balances.models import VALUE_FIELDS, AccountBalance, AccountBalanceHistory, BalanceSync
from gateway.core.errors import Failure
from gateway.core.records import BalanceSnapshot
from gateway.db.upsert import insert_if_absent

CHUNK = 5000
ACCOUNTS = cast(Table, AccountBalance.__table__)
HISTORY = cast(Table, AccountBalanceHistory.__table__)


class SyncResult(msgspec.Struct, kw_only=True):
    """What a sync did (counts and ids only: this goes into the job's run history)."""

    sync_id: int | None
    source_name: str
    accounts: int
    created: int = 0
    changed: int = 0
    closed: int = 0
    held: int = 0
    superseded_edits: int = 0
    problems: list[dict[str, Any]] = []


async def apply_snapshot(session: AsyncSession, practice_id: int, connector_id: int,
                         snapshot: BalanceSnapshot) -> SyncResult:
    """Make the connector's accounts what the snapshot says (the caller commits)."""
    current = await _current(session, connector_id)
    held = {p.account for p in snapshot.problems if p.account}
    plan = await asyncio.to_thread(plan_changes, current, snapshot.rows, held)
    problems = [msgspec.to_builtins(p) for p in snapshot.problems]
    result = SyncResult(sync_id=None, source_name=snapshot.source_name,
                        accounts=len(snapshot.rows), held=plan.held, problems=problems)
    if plan.empty:
        return result
    sync_id = await _claim_sync(session, practice_id, connector_id, snapshot, plan, problems)
    await _write(session, practice_id, connector_id, sync_id, plan)
    await _record_totals(session, connector_id, sync_id)
    session.expire_all()  # the writes were bulk statements: loaded accounts are stale now
    result.sync_id = sync_id
    result.created, result.changed, result.closed = (
        len(plan.create), len(plan.change), len(plan.close))
    moved = {row["id"]: row for row in plan.change + plan.close}
    result.superseded_edits = await supersede_moved_edits(session, practice_id, sync_id, moved)
    return result


async def _current(session: AsyncSession, connector_id: int) -> dict[str, Current]:
    t = ACCOUNTS
    cols = [t.c.id, t.c.account, t.c.status, *(t.c[f] for f in VALUE_FIELDS)]
    rows = await session.execute(select(*cols).where(t.c.connector_id == connector_id))
    return {r[1]: Current(id=r[0], status=r[2], values=tuple(r[3:])) for r in rows}


async def _claim_sync(session: AsyncSession, practice_id: int, connector_id: int,
                      snapshot: BalanceSnapshot, plan: Plan,
                      problems: list[dict[str, Any]]) -> int:
    last = await session.scalar(
        select(func.max(BalanceSync.seq)).where(BalanceSync.connector_id == connector_id))
    sync_id = await insert_if_absent(
        session, cast(Table, BalanceSync.__table__),
        {"practice_id": practice_id, "connector_id": connector_id, "seq": (last or 0) + 1,
         "source_name": snapshot.source_name[:255], "sha256": snapshot.sha256,
         "created": len(plan.create), "changed": len(plan.change), "closed": len(plan.close),
         "problems": problems},
        ["connector_id", "seq"])
    if sync_id is None:
        raise Failure(f"another balance sync of connector {connector_id} ran at the same "
                      "time; this one wrote nothing")
    return sync_id


async def _write(session: AsyncSession, practice_id: int, connector_id: int, sync_id: int,
                 plan: Plan) -> None:
    t = ACCOUNTS
    history: list[dict[str, Any]] = []
    for part in _chunks(plan.create):
        rows = [{**r, "practice_id": practice_id, "connector_id": connector_id,
                 "status": "open", "last_sync_id": sync_id} for r in part]
        ids = await session.execute(insert(t).returning(t.c.id, t.c.account), rows)
        by_account = {a: i for i, a in ids}
        history += [_history(by_account[r["account"]], sync_id, "created", r) for r in part]
    values: dict[str, Any] = {f: bindparam(f"v_{f}") for f in VALUE_FIELDS}
    stmt = update(t).where(t.c.id == bindparam("row_id")).values(
        **values, status=bindparam("new_status"), last_sync_id=sync_id)
    for change, rows_of in (("changed", plan.change), ("closed", plan.close)):
        status = "open" if change == "changed" else "closed"
        for part in _chunks(rows_of):
            params = [{**{f"v_{f}": r[f] for f in VALUE_FIELDS}, "row_id": r["id"],
                       "new_status": status} for r in part]
            await session.execute(stmt, params)
            history += [_history(r["id"], sync_id, change, r) for r in part]
    for part in _chunks(history):
        await session.execute(insert(HISTORY), part)


async def _record_totals(session: AsyncSession, connector_id: int, sync_id: int) -> None:
    """The open balance by bucket after this sync, kept on the sync for the A/R trend."""
    t = ACCOUNTS
    fields = ("total", *BUCKET_FIELDS)
    row = (await session.execute(select(*(func.coalesce(func.sum(t.c[f]), 0) for f in fields))
                                 .where(t.c.connector_id == connector_id,
                                        t.c.status == "open"))).one()
    totals = {f: str(v) for f, v in zip(fields, row, strict=True)}  # Decimals (Money sums)
    await session.execute(update(BalanceSync).where(BalanceSync.id == sync_id)
                          .values(totals=totals))


def _history(account_id: int, sync_id: int, change: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"account_balance_id": account_id, "sync_id": sync_id, "change": change,
            **{f: row[f] for f in MONEY_VALUE_FIELDS}}


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i:i + CHUNK] for i in range(0, len(rows), CHUNK)]
