"""Apply a balance snapshot in one transaction: create, change and close accounts, keep each
change as history tied to the sync, and supersede manual edits the PMS has moved past.

The export is read a chunk at a time (memory stays flat in the account count): each chunk's
fingerprints are compared with the stored ones in the database, and only the lines that moved
are parsed and written. A snapshot that changes nothing writes nothing (no sync row either),
and is mostly recognised before any line is compared (`gateway.balances.unchanged`).
Two nodes applying a snapshot of one connector at once are kept apart by the unique
`(connector_id, seq)` of the sync row: the loser writes nothing and says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, cast

import msgspec
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.balances.compare import current_of, moved_lines, open_accounts, open_count
from gateway.balances.diff import HISTORY_FIELDS, Current, closed_values, plan_chunk
from gateway.balances.edits import supersede_moved_edits
from gateway.balances.layout import BUCKET_FIELDS
from gateway.balances.models import VALUE_FIELDS, AccountBalance, AccountBalanceHistory, BalanceSync
from gateway.balances.reader import CsvBalanceStream
from gateway.balances.stream import RowsStream
from gateway.balances.unchanged import digest_columns, digest_of, export_digest
from gateway.core.errors import Failure, UserError
from gateway.core.records import BalanceLine, BalanceSnapshot, BalanceStream
from gateway.db.upsert import insert_if_absent

ACCOUNTS = cast(Table, AccountBalance.__table__)
HISTORY = cast(Table, AccountBalanceHistory.__table__)
_SET: dict[str, Any] = {f: bindparam(f"v_{f}") for f in VALUE_FIELDS}


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


class _Run:
    """One sync in progress: the seen accounts (hashes only), counts, the claimed sync row."""

    def __init__(self, session: AsyncSession, practice_id: int, connector_id: int,
                 snapshot: BalanceSnapshot, stream: BalanceStream) -> None:
        self.session, self.practice_id, self.connector_id = session, practice_id, connector_id
        self.snapshot, self.stream = snapshot, stream
        self.seen: set[int] = set()
        self.seen_open = 0  # snapshot accounts that were open before this sync
        self.held_accounts = frozenset(p.account for p in snapshot.problems if p.account)
        self.sync_id: int | None = None
        self.result = SyncResult(sync_id=None, source_name=snapshot.source_name, accounts=0,
                                 problems=[msgspec.to_builtins(p) for p in snapshot.problems])

    async def claim(self) -> int:
        if self.sync_id is None:
            self.sync_id = await _claim_sync(self.session, self.practice_id, self.connector_id,
                                             self.snapshot)
            self.result.sync_id = self.sync_id
        return self.sync_id


async def apply_snapshot(session: AsyncSession, practice_id: int, connector_id: int,
                         snapshot: BalanceSnapshot) -> SyncResult:
    """Make the connector's accounts what the snapshot says (the caller commits; on an error
    the caller's rollback leaves the last good snapshot in place)."""
    stream = snapshot.stream if snapshot.stream is not None else RowsStream(snapshot)
    same = await _unchanged(session, connector_id, snapshot, stream)
    if same is not None:
        stream.close()
        return same
    run = _Run(session, practice_id, connector_id, snapshot, stream)
    try:
        open_before = await open_count(session, connector_id)
        chunks = stream.chunks()
        while (chunk := await asyncio.to_thread(_next_chunk, run, chunks)) is not None:
            await _apply_chunk(run, chunk)
        if open_before > run.seen_open:
            await _close_absent(run)
    finally:
        stream.close()
    if run.sync_id is not None:
        await _record_totals(run)
        session.expire_all()  # the writes were bulk statements: loaded accounts are stale now
    return run.result


async def _unchanged(session: AsyncSession, connector_id: int, snapshot: BalanceSnapshot,
                     stream: BalanceStream) -> SyncResult | None:
    """The answer of a snapshot that changes nothing, found without comparing line by line.

    The file the connector's last applied sync read, again (by the SHA-256 the transport took
    while spooling it): nothing can have moved since (only syncs write accounts, and one that
    changes nothing leaves no sync row), so its answer stands. Or an export whose digest is
    the one that sync left (`gateway.balances.unchanged`): every line is as stored."""
    last = (await session.execute(
        select(BalanceSync.sha256, BalanceSync.accounts, BalanceSync.held, BalanceSync.problems,
               BalanceSync.digest)
        .where(BalanceSync.connector_id == connector_id)
        .order_by(BalanceSync.seq.desc()).limit(1))).first()
    if last is None:
        return None
    if last.sha256 == snapshot.sha256 and isinstance(stream, CsvBalanceStream):
        return SyncResult(sync_id=None, source_name=snapshot.source_name,
                          accounts=last.accounts, held=last.held, problems=list(last.problems))
    if last.digest is None or snapshot.problems:
        return None
    if await asyncio.to_thread(export_digest, stream) != last.digest:
        return None
    return SyncResult(sync_id=None, source_name=snapshot.source_name, accounts=last.digest[0])


def _next_chunk(run: _Run, chunks: Iterator[list[BalanceLine]]) -> list[BalanceLine] | None:
    """The next chunk (read in a worker thread); an account seen before is a located error."""
    chunk = next(chunks, None)
    if chunk is None:
        return None
    seen = run.seen
    for number, account, _, _ in chunk:
        key = hash(account)
        if key in seen:
            raise UserError(f"account {account} appears again",
                            where=f"{run.snapshot.source_name}, row {number}, field account")
        seen.add(key)
    run.result.accounts += len(chunk)
    return chunk


async def _apply_chunk(run: _Run, chunk: list[BalanceLine]) -> None:
    moved = await moved_lines(run.session, run.connector_id, chunk)
    run.seen_open += len(chunk) - sum(1 for m in moved if m.status != "open")
    if not moved:
        return
    current = await current_of(run.session, [m.account_id for m in moved if m.account_id])
    pairs = [(m.line, current.get(m.account_id) if m.account_id else None) for m in moved]
    plan = await asyncio.to_thread(plan_chunk, run.stream, pairs, run.held_accounts)
    run.result.held += plan.held
    run.result.problems += [msgspec.to_builtins(p) for p in plan.problems]
    if plan.refresh:  # same amounts written differently: remember the new text's fingerprint
        await run.session.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == bindparam("row_id"))
                                  .values(fingerprint=bindparam("new_fingerprint")),
                                  plan.refresh)
    if not plan.writes:
        return
    sync_id = await run.claim()
    await _create(run, sync_id, plan.create)
    await _update(run, sync_id, "changed", plan.change)


async def _close_absent(run: _Run) -> None:
    """Open accounts the snapshot does not list close at zero (a page at a time)."""
    seen = run.seen
    async for page in open_accounts(run.session, run.connector_id):
        closing = [(account, now) for account, now in page if hash(account) not in seen]
        if closing:
            rows = [{"id": now.id, "account": account, "fingerprint": None,
                     **closed_values(now)} for account, now in closing]
            await _update(run, await run.claim(), "closed", rows)


async def _create(run: _Run, sync_id: int, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    t = ACCOUNTS
    values = [{**r, "practice_id": run.practice_id, "connector_id": run.connector_id,
               "status": "open", "last_sync_id": sync_id} for r in rows]
    ids = await run.session.execute(insert(t).returning(t.c.id, t.c.account), values)
    by_account = {a: i for i, a in ids}
    await run.session.execute(insert(HISTORY), [
        _history(by_account[r["account"]], sync_id, "created", r) for r in rows])
    run.result.created += len(rows)


async def _update(run: _Run, sync_id: int, change: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    t = ACCOUNTS
    stmt = update(t).where(t.c.id == bindparam("row_id")).values(
        **_SET, status=bindparam("new_status"), fingerprint=bindparam("new_fingerprint"),
        last_sync_id=sync_id)
    status = "closed" if change == "closed" else "open"
    await run.session.execute(stmt, [
        {**{f"v_{f}": r[f] for f in VALUE_FIELDS}, "row_id": r["id"], "new_status": status,
         "new_fingerprint": r["fingerprint"]} for r in rows])
    await run.session.execute(insert(HISTORY), [
        _history(r["id"], sync_id, change, r) for r in rows])
    if change == "closed":
        run.result.closed += len(rows)
    else:
        run.result.changed += len(rows)
    run.result.superseded_edits += await supersede_moved_edits(
        run.session, run.practice_id, sync_id, {r["id"]: r for r in rows})


async def _claim_sync(session: AsyncSession, practice_id: int, connector_id: int,
                      snapshot: BalanceSnapshot) -> int:
    last = await session.scalar(
        select(func.max(BalanceSync.seq)).where(BalanceSync.connector_id == connector_id))
    sync_id = await insert_if_absent(
        session, cast(Table, BalanceSync.__table__),
        {"practice_id": practice_id, "connector_id": connector_id, "seq": (last or 0) + 1,
         "source_name": snapshot.source_name[:255], "sha256": snapshot.sha256,
         "created": 0, "changed": 0, "closed": 0, "problems": []},
        ["connector_id", "seq"])
    if sync_id is None:
        raise Failure(f"another balance sync of connector {connector_id} ran at the same "
                      "time; this one wrote nothing")
    return sync_id


async def _record_totals(run: _Run) -> None:
    """The counts, and the open balance by bucket after this sync (kept on the sync for the
    A/R trend) with the open accounts' digest."""
    t = ACCOUNTS
    fields = ("total", *BUCKET_FIELDS)
    row = (await run.session.execute(
        select(*(func.coalesce(func.sum(t.c[f]), 0) for f in fields), *digest_columns())
        .where(t.c.connector_id == run.connector_id, t.c.status == "open"))).one()
    totals = {f: str(v) for f, v in zip(fields, row, strict=False)}  # Decimals (Money sums)
    r = run.result
    await run.session.execute(update(BalanceSync).where(BalanceSync.id == run.sync_id).values(
        totals=totals, created=r.created, changed=r.changed, closed=r.closed,
        accounts=r.accounts, held=r.held, problems=r.problems,
        digest=digest_of(*row[len(fields):])))


def _history(account_id: int, sync_id: int, change: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"account_balance_id": account_id, "sync_id": sync_id, "change": change,
            **{f: row[f] for f in HISTORY_FIELDS}}


__all__ = ["Current", "SyncResult", "apply_snapshot"]
