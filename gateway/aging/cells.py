"""Cells of an aging report (and of every other spreadsheet import): text, money, dates,
payer ranks and aging buckets, read the same way by every reader that imports them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from gateway.aging.sources import Cell
from gateway.core.money import ZERO, cents, parse_money

EXCEL_EPOCH = dt.date(1899, 12, 30)

_SIMPLE_MONEY = re.compile(r"-?\d+(\.\d{1,2})?")
_CENTS = re.compile(r"-?\d+\.\d\d")
_MDY = re.compile(r"(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4}|\d{2})(?:\s.*)?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s].*)?")
_YMD8 = re.compile(r"(\d{4})(\d{2})(\d{2})")
_NAMED_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %Y")
_RANKS = {
    "1": 1, "2": 2, "3": 3, "p": 1, "s": 2, "t": 3, "pri": 1, "sec": 2, "ter": 3, "tert": 3,
    "primary": 1, "secondary": 2, "tertiary": 3, "1st": 1, "2nd": 2, "3rd": 3,
}


def cell_text(value: Cell) -> str:
    """A cell as text: numbers without a spurious ".0", dates as ISO."""
    t = type(value)
    if t is str:
        return value.strip()
    if t is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        return ""
    if t is int:
        return str(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def money(value: Cell) -> Decimal:
    """`parse_money` with fast paths for blanks and plain amounts ("123.45", "-7")."""
    if type(value) is str:
        if not value:
            return ZERO
        if _CENTS.fullmatch(value):
            return Decimal(value)
        if _SIMPLE_MONEY.fullmatch(value):
            return cents(Decimal(value))
        return parse_money(value.strip())
    return parse_money(value)


def bucket_for_days(days: int) -> str:
    """The canonical bucket of an item `days` past its date of service."""
    if days <= 30:
        return "bucket_0_30"
    if days <= 60:
        return "bucket_31_60"
    if days <= 90:
        return "bucket_61_90"
    if days <= 120:
        return "bucket_91_120"
    return "bucket_120_plus"


def bucket_for_label(label: str) -> str | None:
    """The canonical bucket of a label such as "0-30", "31-45", "90-120", ">120", "120+",
    "Over 120", "Current": a range goes by its upper end, so finer splits fold in."""
    s = label.strip().lower().replace("\u2013", "-").replace(" days", "").replace("days", "")
    if not s:
        return None
    if s in ("current", "curr", "cur", "0"):
        return "bucket_0_30"
    m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", s)
    if m:
        return bucket_for_days(int(m.group(2)))
    m = re.fullmatch(r"(?:>\s*|over\s+|above\s+)(\d+)|(\d+)\s*\+"
                     r"|(\d+)\s*(?:and|or)\s*(?:over|up|more)", s)
    if m:
        return bucket_for_days(int(next(g for g in m.groups() if g)) + 1)
    return None


def two_digit_year(yy: int, ref: dt.date) -> int:
    """20yy unless that is more than a year after `ref`, then 19yy (DOBs of older patients)."""
    return 2000 + yy if 2000 + yy <= ref.year + 1 else 1900 + yy


def parse_date(value: Cell, ref: dt.date) -> dt.date | None:
    """A date cell: a date, an Excel serial, MM/DD/YYYY, M/D/YY, ISO, YYYYMMDD, "Jan 5, 2026".
    None for blank; ValueError for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value)
    s = str(value).strip()
    if not s:
        return None
    m = _MDY.fullmatch(s)
    if m:
        month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if len(m.group(3)) == 2:
            year = two_digit_year(year, ref)
        return dt.date(year, month, day)
    m = _ISO.fullmatch(s)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _YMD8.fullmatch(s)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if s.replace(".", "", 1).isdigit():
        return _serial(int(s.split(".", 1)[0] or "0"))  # the fraction is the time of day
    for fmt in _NAMED_DATE_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {s!r}")


def _serial(n: object) -> dt.date:
    """An Excel serial day number (spreadsheet cells arrive as numbers; only the day counts)."""
    if not isinstance(n, int | float) or not 1 <= n < 2958466:
        raise ValueError(f"not a date: {n!r}")
    return EXCEL_EPOCH + dt.timedelta(days=int(n))


def parse_rank(text: str) -> int | None:
    s = text.strip().lower().rstrip(".")
    if not s:
        return 1
    return _RANKS.get(s) or _RANKS.get(s[:3])
