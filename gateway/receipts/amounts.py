"""Receipt amounts: whole cents, finite, bounded, never rounded behind the biller's back.

A receipt is money a person counted, so 12.345 is a typing mistake to show, not a value to
round: every path (the API, the workbook import, the CLI import, the search filter) reads an
amount through `exact_cents` or `receipt_amount` and refuses a sub-cent amount with where it
was and why. `gateway.core.money.parse_money` does the reading of vendor-written text.
"""

from __future__ import annotations

import re
from decimal import Decimal

from gateway.core.errors import UserError
from gateway.core.money import MoneyError, parse_money

# The largest receipt the gateway takes: far above any patient payment, far below what the
# integer-cents column holds.
MAX_RECEIPT = Decimal("99999999.99")
_FRACTION = re.compile(r"\.(\d+)")


def _as_written(value: object) -> Decimal | None:
    """The value before any rounding, when it can carry decimals at all."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):  # a spreadsheet cell: repr is the shortest exact decimal
        return Decimal(repr(value))
    if isinstance(value, str):
        found = _FRACTION.search(value)
        return Decimal("0." + found.group(1)) if found else None
    return None


def exact_cents(value: object) -> Decimal:
    """`value` as a Decimal of whole cents; MoneyError (saying why) if it is not an amount,
    is not finite, has ASCII-foreign digits, or has a part of a cent: the one money parser
    (`gateway.core.money.parse_money`) decides, so every path refuses the same things."""
    return parse_money(value)


def receipt_amount(value: Decimal, where: str = "amount") -> Decimal:
    """A receipt's or an application's amount: whole cents, more than zero, at most
    MAX_RECEIPT; UserError at `where` otherwise."""
    try:
        amount = exact_cents(value)
    except MoneyError as exc:
        raise UserError(str(exc), where=where) from exc
    problem = range_problem(amount)
    if problem is not None:
        raise UserError(problem, where=where)
    return amount


def range_problem(amount: Decimal) -> str | None:
    """Why `amount` cannot be a receipt (not more than zero, or above MAX_RECEIPT), or None."""
    if amount <= 0:
        return f"the amount must be more than zero, not {amount}"
    if amount > MAX_RECEIPT:
        return f"the amount {amount} is more than {MAX_RECEIPT}"
    return None
