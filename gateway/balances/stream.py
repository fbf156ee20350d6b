"""A snapshot handed over whole (`BalanceSnapshot.rows`, e.g. a third-party plugin or a test)
read like a streamed export, so the sync has one path.

Its fingerprints digest the parsed values (the CSV reader's digest the cells); the two never
meet because each is keyed by its kind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from gateway.balances.diff import values_of
from gateway.core.records import BalanceLine, BalanceProblem, BalanceRow, BalanceSnapshot

CHUNK = 5000
_KEY = b"balance-rows-1"


def values_fingerprint(row: BalanceRow) -> int:
    digest = hashlib.blake2b(repr(values_of(row)).encode(), digest_size=8, key=_KEY).digest()
    return int.from_bytes(digest, "big", signed=True)


class RowsStream:
    """`BalanceStream` over rows already in memory (their problems were found by the plugin)."""

    def __init__(self, snapshot: BalanceSnapshot) -> None:
        self.rows = snapshot.rows

    def chunks(self) -> Iterator[list[BalanceLine]]:
        for start in range(0, len(self.rows), CHUNK):
            yield [(start + i + 1, row.account, values_fingerprint(row), row)
                   for i, row in enumerate(self.rows[start:start + CHUNK])]

    def parse(self, line: BalanceLine) -> tuple[BalanceRow, BalanceProblem | None]:
        row: BalanceRow = line[3]
        return row, None

    def close(self) -> None:
        pass
