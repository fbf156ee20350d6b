"""The database side of a sync's compare, set-based: a chunk's (account, fingerprint) pairs go
to the database in one parameter and only the accounts that moved come back (new, closed, or
holding another fingerprint). An unchanged chunk returns no row at all.

SQLite reads the pairs with `json_each`, PostgreSQL with `unnest` over two arrays; both join
on the unique `(connector_id, account)`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.balances.diff import Current
from gateway.balances.models import VALUE_FIELDS, AccountBalance
from gateway.core.records import BalanceLine

ACCOUNTS = cast(Table, AccountBalance.__table__)
PAGE = 5000

_MOVED_SQLITE = text("""
SELECT j.key, a.id, a.status FROM json_each(:pairs) AS j
LEFT JOIN account_balances AS a ON a.connector_id = :connector_id AND a.account = j.key
WHERE a.id IS NULL OR a.status <> 'open' OR a.fingerprint IS NOT j.value
""")
_MOVED_POSTGRES = text("""
SELECT t.account, a.id, a.status
FROM unnest(CAST(:accounts AS varchar[]), CAST(:fingerprints AS bigint[])) AS t(account, fp)
LEFT JOIN account_balances AS a ON a.connector_id = :connector_id AND a.account = t.account
WHERE a.id IS NULL OR a.status <> 'open' OR a.fingerprint IS DISTINCT FROM t.fp
""")


class Moved:
    """A line whose account is new, closed or holds another fingerprint."""

    __slots__ = ("line", "account_id", "status")

    def __init__(self, line: BalanceLine, account_id: int | None, status: str | None) -> None:
        self.line, self.account_id, self.status = line, account_id, status


async def moved_lines(session: AsyncSession, connector_id: int,
                      chunk: list[BalanceLine]) -> list[Moved]:
    """The lines of `chunk` the database does not already hold as they are."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        result = await conn.execute(_MOVED_POSTGRES, {
            "accounts": [line[1] for line in chunk],
            "fingerprints": [line[2] for line in chunk], "connector_id": connector_id})
    else:
        pairs = json.dumps(dict(sorted((line[1], line[2]) for line in chunk)))  # index order
        result = await conn.execute(_MOVED_SQLITE, {"pairs": pairs,
                                                    "connector_id": connector_id})
    rows = result.all()
    if not rows:
        return []
    by_account = {line[1]: line for line in chunk}
    return [Moved(by_account[account], account_id, status)
            for account, account_id, status in rows]


async def current_of(session: AsyncSession, ids: list[int]) -> dict[int, Current]:
    """The stored values of these accounts."""
    if not ids:
        return {}
    t = ACCOUNTS
    rows = await session.execute(select(t.c.id, t.c.status, *(t.c[f] for f in VALUE_FIELDS))
                                 .where(t.c.id.in_(ids)))
    return {r[0]: Current(id=r[0], status=r[1], values=tuple(r[2:])) for r in rows}


async def open_count(session: AsyncSession, connector_id: int) -> int:
    t = ACCOUNTS
    return int(await session.scalar(select(func.count()).select_from(t).where(
        t.c.connector_id == connector_id, t.c.status == "open")) or 0)


async def open_accounts(session: AsyncSession, connector_id: int
                        ) -> AsyncIterator[list[tuple[str, Current]]]:
    """The connector's open accounts, a page at a time (by id, so memory stays flat)."""
    t = ACCOUNTS
    after = 0
    while True:
        rows = (await session.execute(
            select(t.c.id, t.c.account, t.c.status, *(t.c[f] for f in VALUE_FIELDS))
            .where(t.c.connector_id == connector_id, t.c.status == "open", t.c.id > after)
            .order_by(t.c.id).limit(PAGE))).all()
        if not rows:
            return
        after = rows[-1][0]
        page: list[tuple[str, Current]] = [
            (r[1], Current(id=r[0], status=r[2], values=tuple(r[3:]))) for r in rows]
        yield page
