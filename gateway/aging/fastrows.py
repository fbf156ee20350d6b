"""The aging reader's hot path: runs of plain detail rows, compiled by Cython when built.

Almost every row of an aging export is a *plain* detail row: a claim number that starts with a
digit, every amount readable, buckets that add up, a payer, an account, a date of service. For a
run of such rows `plain_rows` builds the `AgingRow`s and moves the running totals; it stops at
the first row that is anything else (a group header, a total, a row with a problem), and the
reader's general path (`gateway.aging.rows.RowReader.row`) takes that row. So this module only
ever builds a row the general path would build identically *and* with no problem to report,
which `tests/aging/test_fastrows.py` checks by reading files both ways.

This file is plain Python and correct when interpreted; the build compiles it with Cython
(types in `fastrows.pxd`), which is what makes it fast. The reader uses it only compiled
(`COMPILED`), since interpreted it is no faster than the general path.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gateway.core.money import CENT, ZERO
from gateway.core.records import AgingRow

COMPILED = not __file__.endswith((".py", ".pyc"))


class Columns:
    """Where the reader finds each field (-1: no such column) and the helpers it shares with the
    general path (caches and the slow converters), prepared once per sheet."""

    def __init__(self, **kw: Any) -> None:
        self.width: int = kw["width"]
        self.claim: int = kw["claim"]
        self.balance: int = kw["balance"]
        self.account: int = kw["account"]
        self.name: int = kw["name"]
        self.dob: int = kw["dob"]
        self.dos: int = kw["dos"]
        self.payer: int = kw["payer"]
        self.payer_id: int = kw["payer_id"]
        self.plan: int = kw["plan"]
        self.rank: int = kw["rank"]
        self.location: int = kw["location"]
        self.status: int = kw["status"]
        self.proc: int = kw["proc"]
        self.billed: int = kw["billed"]
        self.paid: int = kw["paid"]
        self.adjustments: int = kw["adjustments"]
        # one list of columns per canonical bucket (empty: the file has no such bucket column)
        self.buckets: list[list[int]] = kw["buckets"]
        self.has_buckets: bool = any(self.buckets)
        self.check_duplicates: bool = kw["check_duplicates"]
        self.ref: dt.date = kw["ref"]
        self.dates: dict[Any, dt.date | None] = kw["dates"]  # cell -> date, shared cache
        self.noise: Any = kw["noise"]  # compiled regex (search) of page stamps
        self.group: Any = kw["group"]  # compiled regex (match) of group headers, or None
        self.money: Any = kw["money"]  # the general money(cell) -> Decimal, raises when bad
        self.cell_text: Any = kw["cell_text"]
        self.parse_date: Any = kw["parse_date"]
        self.parse_rank: Any = kw["parse_rank"]
        self.bucket_of_label: Any = kw["bucket_of_label"]  # text -> bucket index or -1
        self.label: int = kw["label"]
        self.days: int = kw["days"]


class Totals:
    """The running state both paths share: the carried group payer and the sums that total
    rows are checked against, and the (claim, rank) keys already seen."""

    def __init__(self) -> None:
        self.group_value: str | None = None
        self.group_sum: Decimal = ZERO
        self.all_sum: Decimal = ZERO
        self.seen: dict[tuple[str, int], int] = {}


def _is_cents(s: str) -> bool:
    """`-?[0-9]+\\.[0-9][0-9]`: the amounts exports write, which Decimal reads exactly as
    `money` would (anything else goes to `money`)."""
    n = len(s)
    i = 0
    if n and s[0] == "-":
        i = 1
    if n - i < 4 or s[n - 3] != ".":
        return False
    while i < n:
        if i != n - 3 and not ("0" <= s[i] <= "9"):
            return False
        i += 1
    return True


def _money(cols: Columns, v: Any) -> Decimal | None:
    """A money cell as `money` reads it, or None when `money` would raise."""
    if type(v) is str:
        if not v:
            return ZERO
        if _is_cents(v):
            return Decimal(v)
    elif type(v) is float and v - v == 0.0:  # finite
        return Decimal(repr(v)).quantize(CENT, rounding=ROUND_HALF_UP)
    try:
        return cols.money(v)
    except (ArithmeticError, ValueError):
        return None


def _strip(s: str) -> str:
    """`s.strip()`, without the call when there is nothing to strip (the usual case)."""
    n = len(s)
    if n == 0 or not (s[0].isspace() or s[n - 1].isspace()):
        return s
    return s.strip()


def _text(cols: Columns, cells: list, c: int) -> str:
    if c < 0:
        return ""
    v = cells[c]
    if type(v) is str:
        return _strip(v)
    return cols.cell_text(v)


def _date(cols: Columns, v: Any) -> Any:
    """The cell as a date (None when blank), or False when it is not a date."""
    dates = cols.dates
    d = dates.get(v, False)
    if d is not False:
        return d
    try:
        d = cols.parse_date(v, cols.ref)
    except (ValueError, OverflowError, TypeError):
        return False
    dates[v] = d
    return d


def _blank_text(s: str) -> bool:
    """`not s or s.isspace()`."""
    for ch in s:
        if not ch.isspace():
            return False
    return True


def _blank(c: Any) -> bool:
    if type(c) is str:
        return _blank_text(c)
    return c is None


def plain_rows(block: list, start: int, cols: Columns, totals: Totals, out: list) -> int:
    """Append the rows of `block[start:]` (items `(row_number, cells)`) to `out` up to the first
    row that is not plain, and return that row's index (`len(block)` when all were plain)."""
    width = cols.width
    i = start
    end = len(block)
    group_value = totals.group_value or ""
    group_sum = totals.group_sum
    all_sum = totals.all_sum
    seen = totals.seen
    bucket_cols = cols.buckets
    while i < end:
        item = block[i]
        n = item[0]
        cells = item[1]
        if type(cells) is not list or len(cells) < width:
            break
        # the first non-empty cell must not be a page stamp or a group header, and there must
        # be a second one (a lone cell is a group header)
        found = 0
        first: Any = None
        all_text = True
        for c in cells:
            if type(c) is not str:
                all_text = False
            if found < 2 and not _blank(c):
                found += 1
                if found == 1:
                    first = c
        if found < 2:
            break
        first_text = _strip(first) if type(first) is str else cols.cell_text(first)
        ch = first_text[0]
        if not ("0" <= ch <= "9"):
            # labels and stamps start with a letter or "*", never a digit
            if cols.noise.search(first_text):
                break
            if cols.group is not None and cols.group.match(first_text):
                break
        claim = _text(cols, cells, cols.claim)
        if not claim:
            break
        ch = claim[0]
        if not ch.isdigit():
            break
        payer = _text(cols, cells, cols.payer)
        if not payer:
            payer = group_value
            if not payer:
                break
        rank = 1
        if cols.rank >= 0:
            r = cols.parse_rank(_text(cols, cells, cols.rank))
            if r is None:
                break
            rank = r
        key = None
        if cols.check_duplicates:
            key = (claim, rank)
            if key in seen:
                break
        account = _text(cols, cells, cols.account)
        if not account:
            break
        bcell = cells[cols.balance]
        balance = _money(cols, bcell)
        if balance is None:
            break
        if type(bcell) is str:
            balance_blank = _blank(bcell)
        else:
            balance_blank = bcell is None
        billed = paid = adjustments = ZERO
        if cols.billed >= 0:
            amount = _money(cols, cells[cols.billed])
            if amount is None:
                break
            billed = amount
        if cols.paid >= 0:
            amount = _money(cols, cells[cols.paid])
            if amount is None:
                break
            paid = amount
        if cols.adjustments >= 0:
            amount = _money(cols, cells[cols.adjustments])
            if amount is None:
                break
            adjustments = amount
        dos = None
        if cols.dos >= 0:
            dos = _date(cols, cells[cols.dos])
            if dos is None or dos is False:
                break
        dob = None
        if cols.dob >= 0:
            dob = _date(cols, cells[cols.dob])
            if dob is False:
                break
        b = [ZERO, ZERO, ZERO, ZERO, ZERO]
        if cols.has_buckets:
            # sums as the general path's `ZERO + a + ...`, without adding the ZERO of blank
            # cells: once a sum is not ZERO (never -0.00) adding 0.00 changes nothing
            bad = False
            bucket_total = ZERO
            for k in range(5):
                total = ZERO
                for c in bucket_cols[k]:
                    a = _money(cols, cells[c])
                    if a is None:
                        bad = True
                        break
                    if a is not ZERO:
                        total = total + a
                if bad:
                    break
                if total is not ZERO:
                    b[k] = total
                    bucket_total = bucket_total + total
            if bad:
                break
            if balance_blank and bucket_total:
                balance = bucket_total
            elif bucket_total != balance:
                break
        else:
            k = -1
            if cols.label >= 0:
                label = _text(cols, cells, cols.label)
                if label:
                    k = cols.bucket_of_label(label)
                    if k < 0:
                        break
            if k < 0 and cols.days >= 0 and _text(cols, cells, cols.days):
                break  # days-past columns take the general path
            if k < 0:
                if dos is None:
                    break
                days = (cols.ref - dos).days
                k = 0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else (
                    3 if days <= 120 else 4)
            b[k] = balance
        # the row is plain: commit it
        if cols.check_duplicates:
            seen[(claim, rank)] = n
        group_sum += balance
        all_sum += balance
        # by position, in AgingRow's field order (keywords cost msgspec far more)
        out.append(AgingRow(
            n,  # source_row
            account,  # patient_account
            claim,  # claim_id
            payer,  # payer_name
            _text(cols, cells, cols.name) or None,  # patient_name
            dob,  # patient_dob
            dos,  # service_date
            _text(cols, cells, cols.payer_id) or None,  # payer_id
            _text(cols, cells, cols.plan) or None,  # plan_name
            rank,  # payer_rank
            _text(cols, cells, cols.location) or None,  # location
            _text(cols, cells, cols.status) or None,  # status
            _text(cols, cells, cols.proc) or None,  # procedure_code
            billed,
            paid,
            adjustments,
            balance,
            b[0],  # bucket_0_30
            b[1],  # bucket_31_60
            b[2],  # bucket_61_90
            b[3],  # bucket_91_120
            b[4],  # bucket_120_plus
            cells if all_text else [v if type(v) is str else cols.cell_text(v) for v in cells],
        ))
        i += 1
    totals.group_sum = group_sum
    totals.all_sum = all_sum
    return i
