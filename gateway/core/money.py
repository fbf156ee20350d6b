"""Money as `Decimal`, quantized to cents at the boundary. Never `float`.

One parser for every path (835, aging, claims, receipts, API): `parse_money` reads the forms
vendors write ("$1,234.56", "(12.00)", "-12.00", "12-", blank for zero); `parse_amount` reads
the plain wire form only ("-1234.56", as X12 and JSON carry it). Both accept ASCII digits only
(Python's `Decimal` takes any Unicode digit: "١٢" would be 12), at most two decimals (a sub-cent
amount is a mistake to report, never to round away), no Infinity or NaN, and amounts below
2^63 cents in size (what an integer-cents column holds). Each refusal is a `MoneyError` -- a
`UserError` that says why, located by the caller's `where`.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from gateway.core.errors import UserError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_CENTS = 2**63 - 1  # the largest |amount| in cents a BIGINT money column holds
MAX_AMOUNT = Decimal(MAX_CENTS) / 100

# ASCII only: `\d` (and `str.isdigit`) would accept Arabic-Indic and other Unicode digits.
_PLAIN = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_BLANKS = frozenset({"-", "--", "$-", "$ -"})
# A float's shortest repr may carry binary noise below a cent (0.1 + 0.2): within this of a
# cent it is that cent, otherwise it really has sub-cent digits.
_FLOAT_NOISE = Decimal("0.000001")


class MoneyError(UserError, ValueError):
    """Text that is not an amount of money (why, and where when the caller knows)."""


def cents(value: Decimal | int | str) -> Decimal:
    """Quantize to cents, rounding half up (the way statements and EOBs round)."""
    if isinstance(value, float):  # pragma: no cover - defensive: floats are a bug
        raise TypeError("money must not be float")
    amount = Decimal(value)
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise MoneyError(f"not a finite amount below {MAX_AMOUNT:,.0f}: {str(value)[:40]!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def checked(value: Decimal, raw: object, where: str | None = None) -> Decimal:
    """`value` in cents, refused when not finite, finer than a cent or too large."""
    if not value.is_finite():
        raise MoneyError(f"not an amount: {raw!r}", where=where)
    if abs(value) > MAX_AMOUNT:
        raise MoneyError(f"too large an amount: {raw!r} (at most {MAX_AMOUNT})", where=where)
    q = value.quantize(CENT)
    if q != value:
        raise MoneyError(f"more than two decimals: {raw!r} has a part of a cent "
                         "(amounts are in whole cents and never rounded)", where=where)
    return q


def parse_amount(text: str, *, where: str | None = None) -> Decimal:
    """The plain form only: an optional minus, ASCII digits, an optional point and at most two
    decimals (trailing zeros beyond them are allowed: "1.500")."""
    if not _PLAIN.fullmatch(text):
        raise MoneyError(f"not an amount: {text!r}", where=where)
    return checked(Decimal(text), text, where)


def parse_money(text: object, *, where: str | None = None) -> Decimal:
    """Parse an amount as written in an export or a request; blank is zero."""
    if text is None:
        return ZERO
    if isinstance(text, bool):
        raise MoneyError(f"not an amount: {text!r}", where=where)
    if isinstance(text, Decimal):
        return checked(text, text, where)
    if isinstance(text, int):
        return checked(Decimal(text), text, where)
    if isinstance(text, float):
        return _from_float(text, where)
    raw = str(text).strip()
    if not raw or raw in _BLANKS:
        return ZERO
    s = raw.replace("$", "").replace(",", "").replace(" ", "").replace("\u00a0", "")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("-"):
        negative, s = not negative, s[:-1]
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    elif s.startswith("+"):
        s = s[1:]
    if not s or s.startswith("-") or not _PLAIN.fullmatch(s):
        raise MoneyError(f"not an amount: {raw!r}", where=where)
    value = checked(Decimal(s), raw, where)
    return -value if negative else value


def _from_float(value: float, where: str | None) -> Decimal:
    """A spreadsheet cell's binary float: its shortest repr, binary noise below a cent
    forgiven, real sub-cent digits refused."""
    d = Decimal(repr(value))
    if not d.is_finite():
        raise MoneyError(f"not an amount: {value!r}", where=where)
    near = d.quantize(CENT, rounding=ROUND_HALF_UP)
    return checked(near if abs(d - near) < _FLOAT_NOISE else d, value, where)


def format_money(value: Decimal) -> str:
    """Two decimals, leading minus for negatives: the wire format of every amount we print."""
    q = cents(value)
    if q == 0:
        q = ZERO  # never "-0.00"
    return f"{q:.2f}"
