"""Is a new export the snapshot already applied, rows in any order? One digest answers it.

A day's export of unchanged balances arrives as a new file (new bytes, often another row
order), so the same-file answer (by SHA-256) misses it, and comparing it account by account
costs a keyed lookup per line. Instead the export's line fingerprints are summed (a multiset
digest: order does not matter) and set beside the same sums over the connector's open
accounts, which each sync works out in the aggregate it runs anyway and keeps on its row
(`BalanceSync.digest`). Equal count and equal sums: every line says what its account already
holds, so nothing is parsed and nothing written.

Only syncs write accounts; a run that only refreshes fingerprints (same amounts, other text)
leaves no sync row, so the kept digest is then the one before: it still stands for the same
values, and the refreshed text simply misses it (line by line, correct, slower).

The sums are kept in two halves (the high and the low 32 bits of each fingerprint) so neither
overflows a 64-bit integer in SQLite; together they are the exact sum of the fingerprints.
An open account without a fingerprint leaves no digest (the sync compares line by line).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, literal_column

from gateway.balances.models import AccountBalance
from gateway.balances.reader import CsvBalanceStream
from gateway.core.records import BalanceStream

ACCOUNTS = cast(Table, AccountBalance.__table__)
_LOW = 0xFFFFFFFF

Digest = list[int]  # lines, sum of high halves, sum of low halves


def digest_columns() -> list[ColumnElement[Any]]:
    """The aggregate over open accounts whose row `digest_of` turns into a digest (the shift
    is a literal: PostgreSQL has no `bigint >> bigint`)."""
    fp = ACCOUNTS.c.fingerprint
    high = fp.op(">>")(literal_column("32"))
    return [func.count(), func.count(fp), func.coalesce(func.sum(high), 0),
            func.coalesce(func.sum(fp.op("&")(_LOW)), 0)]


def digest_of(accounts: int, with_fingerprint: int, high: Any, low: Any) -> Digest | None:
    if accounts != with_fingerprint:
        return None
    return [int(accounts), int(high), int(low)]  # PostgreSQL sums bigints as numeric


def export_digest(stream: BalanceStream) -> Digest:
    """The same digest of an export's lines (run in a worker thread; memory stays one chunk).
    An account listed twice cannot match (the stored accounts are unique, and its lines would
    have to stand in for a missing account's), so the line-by-line sync finds it."""
    if isinstance(stream, CsvBalanceStream):
        return list(stream.digest())  # the same sums, in C loops
    lines = high = low = 0
    for chunk in stream.chunks():
        for _, _, fingerprint, _ in chunk:
            high += fingerprint >> 32
            low += fingerprint & _LOW
        lines += len(chunk)
    return [lines, high, low]
