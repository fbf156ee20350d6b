"""835 element values: amounts of money, other numbers and dates, read as both readers read
them, and `diagnose`, which names the element and the reason when a conversion failed.

The readers convert without checking first (the common, valid form is the fast one) and call
`diagnose` only on failure, which re-reads the segment to locate the error.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from decimal import Decimal, InvalidOperation

from gateway.core.money import MoneyError, checked
from gateway.core.x12.errors import X12Error

# ASCII digits only (`\d` would take Arabic-Indic and other Unicode digits, as `Decimal` does).
_NUMBER = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)\Z")
# An amount's text as X12's R type may write it (a sign, an exponent); its value is then held
# to the money rules of `gateway.core.money` (finite, whole cents, below 2^63 cents).
_AMOUNT_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?\Z")
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})
_PLAIN_CENTS = re.compile(r"-?[0-9]{1,15}(\.[0-9]{0,2})?\Z")  # the common form: no more checks
# Amounts are parsed with a private context: exact up to 34 digits (more raises Inexact rather
# than rounding silently), and `create_decimal` is cheaper than `Decimal(str)`.
_CTX = decimal.Context(prec=34, traps=[decimal.InvalidOperation, decimal.Inexact])
_D = _CTX.create_decimal
_PAD = [""] * 32

# Which elements of which segment are numbers / dates, for error diagnosis.
_NUMERIC: dict[str, tuple[int, ...]] = {
    "BPR": (2,),
    "CLP": (3, 4, 5, 12, 13),
    "SVC": (2, 3, 5, 7),
    "CAS": (3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19),
    "AMT": (2,),
    "PLB": (4, 6, 8, 10, 12, 14),
    "MOA": (1, 2, 8, 9),
    "MIA": (1, 2, 3, 4),
    "QTY": (2,),
}
# ...and which of them are money (the rest are units, quantities, weights, percentages).
_MONEY: dict[str, tuple[int, ...]] = {
    "BPR": (2,), "CLP": (3, 4, 5), "SVC": (2, 3), "CAS": (3, 6, 9, 12, 15, 18), "AMT": (2,),
    "PLB": (4, 6, 8, 10, 12, 14),
}
_DATES: dict[str, tuple[int, ...]] = {"DTM": (2,), "PLB": (2,)}
_REQUIRED: dict[str, tuple[int, ...]] = {
    "BPR": (1, 2, 3, 4), "CLP": (1, 2, 3, 4), "SVC": (1, 2, 3), "CAS": (1, 2, 3), "AMT": (1, 2),
    "DTM": (1, 2), "REF": (1, 2), "TRN": (1, 2), "LQ": (1, 2), "PLB": (1, 2), "N1": (1,),
    "NM1": (1,),
}


def _date(text: str) -> dt.date:
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"not a date (CCYYMMDD): {text!r}")
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _date_or_none(text: str) -> dt.date | None:
    try:
        return _date(text) if text else None
    except ValueError:
        return None


def _money_problem(text: str) -> str | None:
    """Why `text` is not an amount of money in an 835 (None when it is one)."""
    if not _AMOUNT_TEXT.match(text):
        if text.strip("+-").lower() in _NOT_FINITE:
            return f"not a number (NaN or Infinity): {text!r}"
        return f"not a number: {text!r}"
    try:
        _CTX.create_decimal(text)
    except decimal.Inexact:
        return f"an amount has more than 34 digits: {text!r}"
    try:
        checked(Decimal(text), text)
    except MoneyError as exc:
        return str(exc)
    return None


def _M(text: str) -> Decimal:
    """An amount of money (CLP03, SVC02, CAS amounts, PLB, BPR02, AMT02...)."""
    if _PLAIN_CENTS.match(text):
        return _D(text)
    why = _money_problem(text)
    if why is not None:
        raise MoneyError(why)
    return _D(text)


def _Q(text: str) -> Decimal:
    """A number that is not money (units, quantities, DRG weights): ASCII digits, finite."""
    if not _AMOUNT_TEXT.match(text):
        raise ValueError(f"not a number: {text!r}")
    return _D(text)


def _opt_num(text: str) -> Decimal | None:
    if not text:
        return None
    if not _NUMBER.match(text):
        raise ValueError(f"not a number: {text!r}")
    return Decimal(text)


def _diagnose(e: list[str], number: int, file: str | None, exc: BaseException) -> X12Error:
    """Turn a conversion failure inside the hot loop into a located `X12Error`."""
    tag = e[0] if e else ""
    for pos in _REQUIRED.get(tag, ()):
        if pos >= len(e) or not e[pos]:
            return X12Error("required element is missing", segment=number, segment_id=tag,
                            element=pos, file=file)
    for pos in _MONEY.get(tag, ()):
        why = _money_problem(e[pos]) if pos < len(e) and e[pos] else None
        if why is not None:
            return X12Error(why, segment=number, segment_id=tag, element=pos, file=file)
    for pos in _NUMERIC.get(tag, ()):
        if pos < len(e) and e[pos] and not _AMOUNT_TEXT.match(e[pos]):
            return X12Error(f"not a number: {e[pos]!r}", segment=number, segment_id=tag,
                            element=pos, file=file)
    for pos in _DATES.get(tag, ()):
        if pos < len(e) and e[pos]:
            try:
                _date(e[pos])
            except ValueError:
                return X12Error(f"not a date (CCYYMMDD): {e[pos]!r}", segment=number,
                                segment_id=tag, element=pos, file=file)
    if isinstance(exc, IndexError):
        return X12Error(f"too few elements ({len(e) - 1}): a required element is missing",
                        segment=number, segment_id=tag, file=file)
    if isinstance(exc, decimal.Inexact):
        return X12Error("an amount has more than 34 digits", segment=number, segment_id=tag,
                        file=file)
    if isinstance(exc, InvalidOperation):
        return X12Error("an amount of this claim is not a number (NaN or Infinity)",
                        segment=number, segment_id=tag, file=file)
    return X12Error(f"{type(exc).__name__}: {exc}", segment=number, segment_id=tag, file=file)
