"""Cell converters of the practice-data reader: one per field type of `layout.FIELDS`.

Each takes a cell (text, or a number / date from a workbook) and returns the value, None for
a blank, or raises ValueError saying why (the reader turns that into a located RowProblem).
The date, money and rank parsers are the aging reader's, so every import reads them alike.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.aging.cells import cell_text, money, parse_date, parse_rank
from gateway.core.money import MoneyError

_SPLIT = re.compile(r"[,;|\s]+")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?", re.I)
_TRUE = {"y", "yes", "true", "1", "x", "billed", "sent", "t"}
_FALSE = {"n", "no", "false", "0", "f", "unbilled", "not billed"}
_SEX = {"m": "M", "male": "M", "f": "F", "female": "F", "u": "U", "unknown": "U", "o": "U"}
_BILLING = {"e": "electronic", "electronic": "electronic", "edi": "electronic",
            "elec": "electronic", "p": "paper", "paper": "paper", "hcfa": "paper",
            "cms1500": "paper", "cms-1500": "paper"}


def text(value: Any, today: dt.date) -> str | None:
    return cell_text(value) or None


def date(value: Any, today: dt.date) -> dt.date | None:
    return parse_date(value, today)


def time_of_day(value: Any, today: dt.date) -> dt.time | None:
    """"9:30 AM", "14:05", "14:05:00", an Excel day fraction, or a datetime's time."""
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    if isinstance(value, float) and 0 <= value < 1:
        seconds = round(value * 86400)
        return dt.time(seconds // 3600, seconds // 60 % 60)
    s = cell_text(value)
    if not s:
        return None
    m = _TIME.fullmatch(s)
    if not m:
        raise ValueError(f"not a time of day: {s!r}")
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if m.group(4):
        if not 1 <= hour <= 12:
            raise ValueError(f"not a time of day: {s!r}")
        hour = hour % 12 + (12 if m.group(4).lower().startswith("p") else 0)
    return dt.time(hour, minute, second)


def date_time(value: Any, today: dt.date) -> dt.datetime | None:
    """A date and time ("2026-12-01T09:30", "12/01/2026 9:30 AM"), or a date alone (midnight).
    A time without an offset is taken as UTC."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    s = cell_text(value)
    if not s:
        return None
    try:
        parsed = dt.datetime.fromisoformat(s)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    except ValueError:
        pass
    day_part, _, time_part = s.partition(" ")
    day = parse_date(day_part, today) if time_part else parse_date(value, today)
    if day is None:
        return None
    clock = time_of_day(time_part.strip(), today) if time_part.strip() else dt.time()
    return dt.datetime.combine(day, clock or dt.time(), dt.UTC)


def amount(value: Any, today: dt.date) -> Decimal | None:
    if cell_text(value) == "":
        return None
    try:
        return money(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc


def units(value: Any, today: dt.date) -> Decimal | None:
    s = cell_text(value)
    if not s:
        return None
    try:
        d = Decimal(s)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {s!r}") from exc
    if d <= 0 or d != d.quantize(Decimal("0.001")):
        raise ValueError(f"units must be positive with at most 3 decimals: {s!r}")
    return d


def integer(value: Any, today: dt.date) -> int | None:
    s = cell_text(value)
    if not s:
        return None
    if not s.isdigit():
        raise ValueError(f"not a whole number: {s!r}")
    return int(s)


def rank(value: Any, today: dt.date) -> int | None:
    s = cell_text(value)
    if not s:
        return None
    found = parse_rank(s)
    if found is None:
        raise ValueError(f"not a payer rank (1-3, P/S/T, primary/secondary/tertiary): {s!r}")
    return found


def flag(value: Any, today: dt.date) -> bool | None:
    s = cell_text(value).lower()
    if not s:
        return None
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f"not yes/no: {s!r}")


def items(value: Any, today: dt.date) -> tuple[str, ...] | None:
    s = cell_text(value)
    return tuple(p.upper() for p in _SPLIT.split(s) if p) if s else None


def pointers(value: Any, today: dt.date) -> tuple[int, ...] | None:
    """"1,2", "1 2", "AB" or "A,B" (letters A-L as on the CMS-1500)."""
    parts = items(value, today)
    if not parts:
        return None
    if len(parts) == 1 and parts[0].isalpha():
        parts = tuple(parts[0])
    out = []
    for p in parts:
        n = ord(p) - 64 if len(p) == 1 and p.isalpha() else int(p) if p.isdigit() else 0
        if not 1 <= n <= 12:
            raise ValueError(f"not a diagnosis pointer (1-12 or A-L): {p!r}")
        out.append(n)
    return tuple(out)


def _choice(value: Any, choices: dict[str, str], what: str) -> str | None:
    s = cell_text(value).lower()
    if not s:
        return None
    if s not in choices:
        raise ValueError(f"not a {what}: {s!r}")
    return choices[s]


def sex(value: Any, today: dt.date) -> str | None:
    return _choice(value, _SEX, "sex (M/F/U)")


def billing(value: Any, today: dt.date) -> str | None:
    return _choice(value, _BILLING, "billing method (electronic/paper)")


CONVERTERS: dict[str, Callable[[Any, dt.date], Any]] = {
    "text": text, "date": date, "datetime": date_time, "time": time_of_day, "money": amount,
    "units": units, "int": integer, "rank": rank, "bool": flag, "list": items, "ints": pointers,
    "sex": sex, "billing": billing,
}
