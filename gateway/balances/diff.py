"""What a snapshot changes, worked out without the database (so it runs in a worker thread).

Current accounts come in as `account -> Current`; the snapshot's rows go out as the accounts
to create, the ones whose values changed (or that reopen), and the open ones it no longer
lists, which close at zero. Accounts with a row problem are held: neither changed nor closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.balances.models import VALUE_FIELDS
from gateway.core.records import BalanceRow

ZERO = Decimal("0.00")
MONEY_VALUE_FIELDS = tuple(f for f in VALUE_FIELDS if f not in (
    "location", "payer_name", "last_statement", "last_payment"))


@dataclass(frozen=True)
class Current:
    id: int
    status: str
    values: tuple[Any, ...]  # VALUE_FIELDS order


@dataclass
class Plan:
    create: list[dict[str, Any]] = field(default_factory=list)
    change: list[dict[str, Any]] = field(default_factory=list)  # with "id"
    close: list[dict[str, Any]] = field(default_factory=list)  # with "id"
    held: int = 0

    @property
    def empty(self) -> bool:
        return not (self.create or self.change or self.close)


def values_of(row: BalanceRow) -> tuple[Any, ...]:
    return tuple(getattr(row, f) for f in VALUE_FIELDS)


def named(values: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(VALUE_FIELDS, values, strict=True))


def plan_changes(current: dict[str, Current], rows: Iterable[BalanceRow],
                 held_accounts: set[str]) -> Plan:
    """The creates, changes and closes that turn `current` into the snapshot."""
    plan = Plan()
    seen: set[str] = set()
    for row in rows:
        seen.add(row.account)
        if row.account in held_accounts:
            plan.held += 1
            continue
        values = values_of(row)
        now = current.get(row.account)
        if now is None:
            plan.create.append({"account": row.account, **named(values)})
        elif now.status != "open" or now.values != values:
            plan.change.append({"id": now.id, "account": row.account, **named(values)})
    for account, now in current.items():
        if now.status == "open" and account not in seen:
            kept = named(now.values)
            kept.update({f: ZERO for f in MONEY_VALUE_FIELDS})
            plan.close.append({"id": now.id, "account": account, **kept})
    return plan
