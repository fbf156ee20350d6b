"""Money as `Decimal`, quantized to cents at the boundary. Never `float`.

Vendors write money every way a spreadsheet can: "$1,234.56", "(12.00)", "-12.00", "12-",
blank for zero. `parse_money` reads all of them or raises `MoneyError` with the text it saw.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("1e13")
"""Larger than any amount an eye-care practice sees, small enough for a 64-bit cents column."""


class MoneyError(ValueError):
    """Text that is not an amount of money."""


def cents(value: Decimal | int | str) -> Decimal:
    """Quantize to cents, rounding half up (the way statements and EOBs round)."""
    if isinstance(value, float):  # pragma: no cover - defensive: floats are a bug
        raise TypeError("money must not be float")
    amount = Decimal(value)
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise MoneyError(f"not a finite amount below {MAX_AMOUNT:,.0f}: {str(value)[:40]!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(text: object) -> Decimal:
    """Parse an amount as written in an export; blank is zero."""
    if text is None:
        return ZERO
    if isinstance(text, Decimal):
        return cents(text)
    if isinstance(text, int) and not isinstance(text, bool):
        return cents(text)
    if isinstance(text, float):
        # Spreadsheet cells arrive as binary floats; repr gives the shortest exact decimal.
        return cents(Decimal(repr(text)))
    raw = str(text).strip()
    if not raw or raw in {"-", "--", "$-", "$ -"}:
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
    s = s.replace("$", "")
    if not s or not all(c.isdigit() or c == "." for c in s) or s.count(".") > 1:
        raise MoneyError(f"not an amount: {raw!r}")
    try:
        value = Decimal(s)
    except InvalidOperation as exc:  # pragma: no cover - guarded above
        raise MoneyError(f"not an amount: {raw!r}") from exc
    return cents(-value if negative else value)


def format_money(value: Decimal) -> str:
    """Two decimals, leading minus for negatives: the wire format of every amount we print."""
    q = cents(value)
    if q == 0:
        q = ZERO  # never "-0.00"
    return f"{q:.2f}"
