"""Balance follow-up of a claim whose lines came from the PMS (a PMS pull brought it, or
adopted the aging claim): one claim number is one claim in a practice, so an aging row naming
it updates it instead of adding a second receivable.

The rule (docs/aging.md, "Claims the PMS pull brought"): the PMS's lines are what was
charged, so the aging file never charges such a claim; it brings the claim's *insurance
balance* to the file's with `insurance_payment` rows up to the paid amount (when the file
states one) and an `insurance_adjustment` for the rest — the same `moves` as for aging's own
claims, computed over the whole claim, then spread over its lines in line order, each line
taking at most its own insurance balance (the last line takes what is left). Every row has
`source_type="aging"` and the snapshot as its source, so removing the snapshot reverses it.
"""

from __future__ import annotations

from decimal import Decimal

from gateway.core.money import ZERO
from gateway.core.records import AgingRow

KINDS_LOWERING = ("insurance_payment", "insurance_adjustment", "transfer_to_patient")


def insurance_balance(kinds: dict[str, Decimal]) -> Decimal:
    return kinds.get("charge", ZERO) - sum((kinds.get(k, ZERO) for k in KINDS_LOWERING), ZERO)


def claim_totals(lines: list[dict[str, Decimal]]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = {}
    for kinds in lines:
        for kind, amount in kinds.items():
            total[kind] = total.get(kind, ZERO) + amount
    return total


def spread(amount: Decimal, balances: list[Decimal]) -> list[Decimal]:
    """`amount` over lines with these insurance balances: in line order, each line at most
    its balance (a negative amount, raising the balance, goes to the first line); the last
    line takes the rest, so the parts always sum to `amount`."""
    parts = [ZERO] * len(balances)
    if amount < 0:
        parts[0] = amount
        return parts
    left = amount
    for i, bal in enumerate(balances):
        take = left if i == len(balances) - 1 else min(left, max(bal, ZERO))
        parts[i] = take
        left -= take
    return parts


def follow_moves(lines: list[dict[str, Decimal]], rows: list[AgingRow],
                 has_paid: bool) -> list[list[tuple[str, Decimal]]] | None:
    """Per line (in the given order), the ledger rows that bring the claim's insurance
    balance to the file's; None when the claim has no charge (nothing the file may follow)."""
    from gateway.aging.reconcile import moves

    total = claim_totals(lines)
    if not total.get("charge", ZERO):
        return None
    balance = sum((r.balance for r in rows), ZERO)
    paid = sum((r.paid for r in rows), ZERO) if has_paid else None
    out: list[list[tuple[str, Decimal]]] = [[] for _ in lines]
    current = [dict(kinds) for kinds in lines]
    for kind, amount in moves(total, balance, None, paid):
        if kind == "charge":  # unreachable: billed is None and the claim has charges
            continue
        for i, part in enumerate(spread(amount, [insurance_balance(k) for k in current])):
            if part:
                out[i].append((kind, part))
                current[i][kind] = current[i].get(kind, ZERO) + part
    return out
