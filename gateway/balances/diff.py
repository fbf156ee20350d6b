"""What the moved lines of one chunk change, worked out without the database (so it runs in a
worker thread beside the parsing).

The core hands over the lines whose fingerprint it does not hold, each with the account's
current row when there is one. Out come the accounts to create, the ones whose values changed
(or that reopen), the ones whose values are the same but whose fingerprint is new (the text
moved, the amounts did not: only the fingerprint is refreshed), and the count held back by a
row problem (neither changed nor closed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.balances.claims import claims_json
from gateway.balances.models import VALUE_FIELDS
from gateway.core.records import BalanceLine, BalanceProblem, BalanceRow, BalanceStream

ZERO = Decimal("0.00")
MONEY_VALUE_FIELDS = tuple(f for f in VALUE_FIELDS if f not in (
    "location", "payer_name", "last_statement", "last_payment", "claims"))
# what history keeps of each change: the money and the claims detail
HISTORY_FIELDS = (*MONEY_VALUE_FIELDS, "claims")


@dataclass(frozen=True)
class Current:
    id: int
    status: str
    values: tuple[Any, ...]  # VALUE_FIELDS order


@dataclass
class Plan:
    create: list[dict[str, Any]] = field(default_factory=list)  # with "fingerprint"
    change: list[dict[str, Any]] = field(default_factory=list)  # with "id", "fingerprint"
    refresh: list[dict[str, Any]] = field(default_factory=list)  # "id", "fingerprint" only
    problems: list[BalanceProblem] = field(default_factory=list)
    held: int = 0

    @property
    def writes(self) -> bool:
        return bool(self.create or self.change)


_PLAIN_FIELDS = VALUE_FIELDS[:-1]
assert VALUE_FIELDS[-1] == "claims"  # the one value stored in another form than the row's


def values_of(row: BalanceRow) -> tuple[Any, ...]:
    """The row's VALUE_FIELDS as stored (the claims as their JSON)."""
    return (*(getattr(row, f) for f in _PLAIN_FIELDS), claims_json(row.claims))


def named(values: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(VALUE_FIELDS, values, strict=True))


def plan_chunk(stream: BalanceStream, moved: list[tuple[BalanceLine, Current | None]],
               held_accounts: frozenset[str] = frozenset()) -> Plan:
    """Parse the moved lines and sort them into creates, changes and refreshes."""
    plan = Plan()
    for line, now in moved:
        row, problem = stream.parse(line)
        if problem is not None:
            plan.problems.append(problem)
        if problem is not None or row.account in held_accounts:
            plan.held += 1
            continue
        values = values_of(row)
        fingerprint = line[2]
        if now is None:
            plan.create.append({"account": row.account, "fingerprint": fingerprint,
                                **named(values)})
        elif now.status != "open" or now.values != values:
            plan.change.append({"id": now.id, "account": row.account,
                                "fingerprint": fingerprint, **named(values)})
        else:
            plan.refresh.append({"row_id": now.id, "new_fingerprint": fingerprint})
    return plan


def closed_values(now: Current) -> dict[str, Any]:
    """An account the snapshot no longer lists: its money at zero, the rest kept."""
    kept = named(now.values)
    kept.update({f: ZERO for f in MONEY_VALUE_FIELDS})
    kept["claims"] = []
    return kept
