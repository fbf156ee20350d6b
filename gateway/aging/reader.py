"""The shared aging-report reader: bytes + a vendor `Profile` -> canonical `AgingRow`s.

1. The sheets of the file (`gateway.aging.sources`: the format comes from the bytes).
2. The header row: within the first rows of a sheet, the row whose cells match the most
   profile aliases and show at least a claim number and a balance. Rows above it are the
   report's title (an "as of" date there becomes the export date).
3. The body, streamed: group-header rows ("Payor: VSP", or a single text cell) set the payer
   carried into the detail rows below; subtotal and total rows are dropped (and checked against
   the rows above them); repeated headers and page stamps are skipped; every other row with a
   claim number is a detail row.
4. Each detail row: money ("$1,234.56", "(12.00)", "-12.00", blank = 0), dates (MM/DD/YYYY,
   M/D/YY, ISO, Excel serials), the payer rank, and the aging buckets: taken from bucket
   columns (finer splits summed into the five canonical buckets and checked against the
   balance), or from an aging-bucket label, or from a days-past column, or derived from the
   date of service and the export date.

A file the profile cannot read raises `UserError` saying what was expected and what was found;
a row that cannot be read whole becomes a `RowProblem`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import chain, islice

from gateway.aging import fastrows
from gateway.aging.profile import (
    BUCKET_FIELDS,
    NOISE_RE,
    REQUIRED,
    TOTAL_RE,
    Profile,
    header_key,
)
from gateway.aging.sources import Cell, Rows, open_tables, sniff
from gateway.core.errors import UserError
from gateway.core.money import ZERO, MoneyError, cents, format_money, parse_money
from gateway.core.records import (
    AgingContext,
    AgingExport,
    AgingRow,
    AgingSource,
    RowProblem,
)
from gateway.core.spreadsheet import check_workbook

EXCEL_EPOCH = dt.date(1899, 12, 30)
MIN_HEADER_SCORE = 3
MAX_PROBLEMS = 1000

_SIMPLE_MONEY = re.compile(r"-?\d+(\.\d{1,2})?")
_CENTS = re.compile(r"-?\d+\.\d\d")
_MDY = re.compile(r"(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4}|\d{2})(?:\s.*)?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s].*)?")
_YMD8 = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ANY_DATE = re.compile(r"\b(\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})\b")
_AS_OF = re.compile(r"as\s+of|through|thru|ending|report\s+date|run\s+date|date", re.I)
_NAMED_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %Y")
_RANKS = {
    "1": 1, "2": 2, "3": 3, "p": 1, "s": 2, "t": 3, "pri": 1, "sec": 2, "ter": 3, "tert": 3,
    "primary": 1, "secondary": 2, "tertiary": 3, "1st": 1, "2nd": 2, "3rd": 3,
}


# --- cells ---------------------------------------------------------------------------------


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
    m = re.fullmatch(
        r"(?:>\s*|over\s+|above\s+)(\d+)|(\d+)\s*\+|(\d+)\s*(?:and|or)\s*(?:over|up|more)", s
    )
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


# --- header --------------------------------------------------------------------------------


@dataclass
class Plan:
    """Where each canonical field is in the rows of one sheet."""

    header_row: int
    headers: list[str]
    single: dict[str, int]  # field -> column
    buckets: dict[str, list[int]]  # bucket field -> columns summed into it

    def header_of(self, name: str) -> str:
        if name in self.single:
            return self.headers[self.single[name]]
        if name in self.buckets:
            return self.headers[self.buckets[name][0]]
        return name


def plan_header(profile: Profile, row: list[Cell], row_number: int) -> tuple[int, Plan]:
    """The score of `row` as the header and the plan it gives."""
    headers = [cell_text(c) for c in row]
    single: dict[str, int] = {}
    preference: dict[str, int] = {}
    buckets: dict[str, list[int]] = {}
    for col, text in enumerate(headers):
        found = profile.field_of(text)
        if found is None:
            continue
        name, rank = found
        if name in BUCKET_FIELDS:
            buckets.setdefault(name, []).append(col)
        elif name not in single or rank < preference[name]:
            single[name], preference[name] = col, rank
    score = len(single) + len(buckets)
    return score, Plan(row_number, headers, single, buckets)


def find_header(profile: Profile, head: list[tuple[int, list[Cell]]]) -> int | None:
    """Index into `head` of the header row, or None."""
    best: tuple[int, int] | None = None
    for i, (n, row) in enumerate(head):
        score, plan = plan_header(profile, row, n)
        if score < MIN_HEADER_SCORE or any(f not in plan.single for f in REQUIRED):
            continue
        if best is None or score > best[0]:
            best = (score, i)
    return None if best is None else best[1]


def _no_header_message(
    profile: Profile, sheets: list[tuple[str, list[tuple[int, list[Cell]]]]]
) -> str:
    n = profile.header_search_rows
    expected = profile.example_headers()
    found = ""
    best: tuple[int, int, str, Plan] | None = None
    for name, head in sheets:
        for row_number, row in head:
            score, plan = plan_header(profile, row, row_number)
            if best is None or score > best[0]:
                best = (score, row_number, name, plan)
    if best is not None and best[0] > 0:
        score, row_number, name, plan = best
        missing = [profile.aliases[f][0] for f in REQUIRED if f not in plan.single]
        shown = ", ".join(repr(h) for h in plan.headers if h)[:300]
        found = (
            f"the closest was row {row_number}"
            + (f" of sheet {name!r}" if len(sheets) > 1 else "")
            + f" ({shown})"
            + (f", which lacks {', '.join(repr(m) for m in missing)}" if missing else "")
        )
    else:
        texts = [
            ", ".join(repr(cell_text(c)) for c in row if cell_text(c))
            for _, head in sheets
            for _, row in head
            if any(cell_text(c) for c in row)
        ]
        found = ("rows such as " + " | ".join(texts[:3]))[:400] if texts else "no text at all"
    return (
        f"no header row found in the first {n} rows ({profile.vendor} {profile.report!r} "
        f"report): expected columns like {expected}; found {found}"
    )


def _export_date_from_title(rows: list[tuple[int, list[Cell]]], ref: dt.date) -> dt.date | None:
    candidates: list[tuple[bool, dt.date]] = []
    for _, row in rows:
        for cell in row:
            if isinstance(cell, dt.date):
                d = cell.date() if isinstance(cell, dt.datetime) else cell
                candidates.append((False, d))
                continue
            text = cell_text(cell)
            for m in _ANY_DATE.finditer(text):
                try:
                    parsed = parse_date(m.group(1), ref)
                except ValueError:
                    continue
                if parsed is not None:
                    candidates.append((bool(_AS_OF.search(text[: m.start()])), parsed))
    if not candidates:
        return None
    labelled = [d for is_labelled, d in candidates if is_labelled]
    return (labelled or [d for _, d in candidates])[-1]


# --- the reader ----------------------------------------------------------------------------


def read_aging(profile: Profile, source: AgingSource, context: AgingContext) -> AgingExport:
    """Parse an uploaded aging export with a vendor profile.

    The header is found before this returns (a file the profile cannot read raises
    `UserError` here); the rows stream from `AgingExport.iter_rows()`.
    """
    check_workbook(source.content, source.name)
    kind = sniff(source.content)
    today = context.export_date or dt.date.today()
    seen: list[tuple[str, list[tuple[int, list[Cell]]]]] = []
    for sheet in open_tables(source.content, kind):
        rows = iter(sheet.rows)
        head: list[tuple[int, list[Cell]]] = []
        for item in rows:
            head.append(item)
            if len(head) >= profile.header_search_rows:
                break
        index = find_header(profile, head)
        if index is None:
            seen.append((sheet.name, head))
            continue
        n, header_cells = head[index]
        _, plan = plan_header(profile, header_cells, n)
        export_date = context.export_date or _export_date_from_title(head[:index], today) or today
        export = AgingExport(
            vendor=profile.vendor, grain=profile.grain, rows=[], export_date=export_date,
            fields=sorted({*plan.single, *plan.buckets}),
        )
        body = chain(head[index + 1 :], rows)
        title_keys = {header_key(cell_text(c)) for _, row in head[:index] for c in row} - {""}
        export.headers = plan.headers
        row_reader = RowReader(profile, plan, export, title_keys)
        export.stream = chain.from_iterable(row_reader.blocks(body))
        return export
    raise UserError(_no_header_message(profile, seen), where=source.name)


class _Problems:
    """Row problems, capped so a file of garbage does not flood the answer."""

    def __init__(self, export: AgingExport) -> None:
        self.export = export
        self.dropped = 0

    def add(self, row: int | None, column: str | None, why: str) -> None:
        if len(self.export.problems) < MAX_PROBLEMS:
            self.export.problems.append(RowProblem(row, column, why))
        else:
            self.dropped += 1

    def close(self) -> None:
        if self.dropped:
            self.export.problems.append(
                RowProblem(None, None, f"{self.dropped} more problems not shown")
            )


BLOCK_ROWS = 128
BUCKET_INDEX = {name: i for i, name in enumerate(BUCKET_FIELDS)}


def _use_compiled() -> bool:
    return fastrows.COMPILED and os.environ.get("GATEWAY_PURE_PYTHON") != "1"


class RowReader:
    """The body of one sheet, row by row: what each row is (detail, group header, total, noise)
    and the canonical row of each detail row.

    `blocks()` reads the body in blocks; within a block, runs of plain detail rows go to
    `fastrows.plain_rows` when it is compiled and every other row to `row()`, the general
    path, which is the reference for what every row means.
    """

    def __init__(self, profile: Profile, plan: Plan, export: AgingExport,
                 title_keys: set[str]) -> None:
        self.profile, self.plan, self.export = profile, plan, export
        self.fast = _use_compiled()
        self.problems = _Problems(export)
        self.ref = export.export_date or dt.date.today()
        self.headers = plan.headers
        self.width = len(plan.headers)
        col = plan.single.get
        self.c_claim = plan.single["claim_id"]
        self.c_balance = plan.single["balance"]
        self.c_account = col("patient_account")
        self.c_name = col("patient_name")
        self.c_dob = col("patient_dob")
        self.c_dos = col("service_date")
        self.c_payer = col("payer_name")
        self.c_payer_id = col("payer_id")
        self.c_plan = col("plan_name")
        self.c_rank = col("payer_rank")
        self.c_location = col("location")
        self.c_status = col("status")
        self.c_proc = col("procedure_code")
        self.c_days = col("days")
        self.c_label = col("aging_bucket")
        self.money_cols = [(f, plan.single[f]) for f in ("billed", "paid", "adjustments")
                           if f in plan.single]
        self.bucket_cols = list(plan.buckets.items())
        self.check_duplicates = profile.grain != "claim_line"
        self.group_re = re.compile(
            r"^(?:" + "|".join(re.escape(g) for g in profile.group_labels)
            + r")(?:\s*name)?\s*[:\-]\s*(.+)$", re.I,
        ) if profile.group_field else None
        self.header_keys = {header_key(h) for h in self.headers if h} | title_keys
        self.claim_header = self.headers[self.c_claim]
        self.claim_header_key = header_key(self.claim_header)
        self.dates: dict[object, dt.date | None] = {}
        self.labels: dict[str, int] = {}
        self.totals = fastrows.Totals()

    # -- the general path -----------------------------------------------------------------

    def date_of(self, value: Cell, name: str, n: int) -> dt.date | None:
        try:
            return self.dates[value]
        except KeyError:
            pass
        except TypeError:  # unhashable: never for cells, but be safe
            return None
        try:
            d = parse_date(value, self.ref)
        except (ValueError, OverflowError):
            self.problems.add(n, self.plan.header_of(name), f"not a date: {cell_text(value)!r}")
            return None
        self.dates[value] = d
        return d

    @staticmethod
    def text(cells: list[Cell], c: int | None) -> str:
        if c is None or c >= len(cells):
            return ""
        v = cells[c]
        return v.strip() if type(v) is str else cell_text(v)

    def row(self, n: int, cells: list[Cell]) -> AgingRow | None:
        """The canonical row of body row `n`, or None for a row that is not a detail row (its
        problems, if any, are recorded)."""
        problems, headers, totals, text = self.problems, self.headers, self.totals, self.text
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        v = cells[self.c_claim]
        claim = (v.strip() if type(v) is str else cell_text(v))
        # the first two non-empty cells: labels of totals and groups live there
        found = 0
        first: Cell = None
        second: Cell = None
        for c in cells:
            if c is None or c == "" or (type(c) is str and c.isspace()):
                continue
            found += 1
            if found == 1:
                first = c
            elif found == 2:
                second = c
            else:
                break
        if not found:
            return None
        first_text = first.strip() if type(first) is str else cell_text(first)
        labels = [t.strip() for t in (first, second) if type(t) is str]
        c_balance = self.c_balance
        # total and subtotal rows
        if (not claim or not claim[0].isdigit()) and any(TOTAL_RE.search(t) for t in labels) and (
            not claim or TOTAL_RE.search(claim)
        ):
            try:
                stated = money(cells[c_balance])
            except (MoneyError, InvalidOperation):
                stated = None
            if stated is not None and cell_text(cells[c_balance]) and (
                stated not in (totals.group_sum, totals.all_sum)
            ):
                problems.add(
                    n, headers[c_balance],
                    f"total row {first_text!r} says {format_money(stated)} but the rows above add "
                    f"up to {format_money(totals.group_sum)}",
                )
            totals.group_sum = ZERO
            totals.group_value = None
            return None
        if NOISE_RE.search(first_text):
            return None
        # group headers: "Payor: VSP" or a single text cell
        if self.group_re is not None:
            m = self.group_re.match(first_text)
            lone = found == 1 and isinstance(first, str) and any(ch.isalpha() for ch in first_text)
            if m or lone:
                if lone and header_key(first_text) in self.header_keys:
                    return None
                totals.group_value = (m.group(1) if m else first_text).strip()
                totals.group_sum = ZERO
                return None
        # a repeated header (page break in a printed export)
        if claim and not claim[0].isdigit() and (
            claim == self.claim_header or header_key(claim) == self.claim_header_key
        ):
            return None
        c_account = self.c_account
        if not claim:
            if c_account is not None and text(cells, c_account):
                problems.add(n, headers[self.c_claim],
                             "no claim number on a row with a patient account")
            return None  # an unlabelled subtotal or a note
        # payer
        c_payer = self.c_payer
        payer = text(cells, c_payer) if c_payer is not None else ""
        if not payer and totals.group_value:
            payer = totals.group_value
        # rank
        rank = 1
        c_rank = self.c_rank
        if c_rank is not None:
            r = parse_rank(text(cells, c_rank))
            if r is None:
                problems.add(n, headers[c_rank],
                             f"not a payer rank: {text(cells, c_rank)!r}; 1 assumed")
            else:
                rank = r
        key = (claim, rank)
        # balance
        balance_cell = cells[c_balance]
        try:
            balance = money(balance_cell)
        except (MoneyError, InvalidOperation):
            problems.add(
                n, headers[c_balance],
                f"not an amount: {cell_text(balance_cell)!r}; claim {claim} left as it was",
            )
            self.export.unreadable.append(key)
            return None
        balance_blank = cell_text(balance_cell) == ""
        amounts: dict[str, Decimal] = {}
        bad_money = False
        for name, c in self.money_cols:
            try:
                amounts[name] = money(cells[c])
            except (MoneyError, InvalidOperation):
                problems.add(n, headers[c], f"not an amount: {cell_text(cells[c])!r}")
                bad_money = True
        buckets: dict[str, Decimal] = {}
        if self.bucket_cols:
            for field, cols in self.bucket_cols:
                total = ZERO
                for c in cols:
                    try:
                        total += money(cells[c])
                    except (MoneyError, InvalidOperation):
                        problems.add(n, headers[c], f"not an amount: {cell_text(cells[c])!r}")
                        bad_money = True
                buckets[field] = total
            bucket_total = sum(buckets.values(), ZERO)
            if balance_blank and bucket_total:
                balance = bucket_total
            elif bucket_total != balance and not bad_money:
                problems.add(
                    n, headers[c_balance],
                    f"the aging buckets add up to {format_money(bucket_total)} but the balance is "
                    f"{format_money(balance)}",
                )
        c_dos = self.c_dos
        dos = self.date_of(cells[c_dos], "service_date", n) if c_dos is not None else None
        if not self.bucket_cols:
            bucket = None
            c_label, c_days = self.c_label, self.c_days
            if c_label is not None and text(cells, c_label):
                bucket = bucket_for_label(text(cells, c_label))
                if bucket is None:
                    problems.add(n, headers[c_label],
                                 f"not an aging bucket: {text(cells, c_label)!r}")
            if bucket is None and c_days is not None and text(cells, c_days):
                days_text = text(cells, c_days)
                try:
                    bucket = bucket_for_days(int(Decimal(days_text.replace(",", ""))))
                except (InvalidOperation, ValueError):
                    problems.add(n, headers[c_days], f"not a number of days: {days_text!r}")
            if bucket is None and dos is not None:
                bucket = bucket_for_days((self.ref - dos).days)
            if bucket is not None:
                buckets[bucket] = balance
            else:
                problems.add(n, self.plan.header_of("service_date"),
                             "no date of service: cannot age the balance")
        account = text(cells, c_account)
        if not account:
            problems.add(n, self.plan.header_of("patient_account"), "no patient account")
        if dos is None and c_dos is not None and not text(cells, c_dos):
            problems.add(n, headers[c_dos], "no date of service")
        if not payer:
            problems.add(
                n, self.plan.header_of("payer_name"),
                "no payer: no value in the column and no group header above",
            )
        if self.check_duplicates:
            if key in totals.seen:
                problems.add(
                    n, headers[self.c_claim],
                    f"claim {claim} (rank {rank}) is also on row {totals.seen[key]}; "
                    "amounts combined",
                )
            else:
                totals.seen[key] = n
        totals.group_sum += balance
        totals.all_sum += balance
        c_dob = self.c_dob
        return AgingRow(
            source_row=n,
            patient_account=account,
            patient_name=text(cells, self.c_name) or None,
            patient_dob=self.date_of(cells[c_dob], "patient_dob", n) if c_dob is not None else None,
            claim_id=claim,
            service_date=dos,
            payer_name=payer,
            payer_id=text(cells, self.c_payer_id) or None,
            plan_name=text(cells, self.c_plan) or None,
            payer_rank=rank,
            location=text(cells, self.c_location) or None,
            status=text(cells, self.c_status) or None,
            procedure_code=text(cells, self.c_proc) or None,
            balance=balance,
            raw=[v if type(v) is str else cell_text(v) for v in cells],
            **amounts,
            **buckets,
        )

    # -- the loop ---------------------------------------------------------------------------

    def columns(self) -> fastrows.Columns:
        """The plan as `fastrows` takes it."""
        def ix(c: int | None) -> int:
            return -1 if c is None else c

        single = self.plan.single
        return fastrows.Columns(
            width=self.width, claim=self.c_claim, balance=self.c_balance,
            account=ix(self.c_account), name=ix(self.c_name), dob=ix(self.c_dob),
            dos=ix(self.c_dos), payer=ix(self.c_payer), payer_id=ix(self.c_payer_id),
            plan=ix(self.c_plan), rank=ix(self.c_rank), location=ix(self.c_location),
            status=ix(self.c_status), proc=ix(self.c_proc), billed=ix(single.get("billed")),
            paid=ix(single.get("paid")), adjustments=ix(single.get("adjustments")),
            buckets=[list(self.plan.buckets.get(name, ())) for name in BUCKET_FIELDS],
            check_duplicates=self.check_duplicates, ref=self.ref, dates=self.dates,
            noise=NOISE_RE, group=self.group_re, money=money, cell_text=cell_text,
            parse_date=parse_date, parse_rank=parse_rank, bucket_of_label=self.bucket_of_label,
            label=ix(self.c_label), days=ix(self.c_days),
        )

    def bucket_of_label(self, label: str) -> int:
        """Index of the bucket a label names, -1 when it names none (cached: few labels)."""
        try:
            return self.labels[label]
        except KeyError:
            bucket = bucket_for_label(label)
            k = self.labels[label] = -1 if bucket is None else BUCKET_INDEX[bucket]
            return k

    def blocks(self, body: Rows) -> Iterator[list[AgingRow]]:
        """The detail rows of `body`, in order, a block at a time (`chain.from_iterable` hands
        them out one by one without a Python frame per row)."""
        row = self.row
        cols, totals = self.columns() if self.fast else None, self.totals
        plain_rows = fastrows.plain_rows
        while True:
            block = list(islice(body, BLOCK_ROWS))
            if not block:
                break
            out: list[AgingRow] = []
            i, end = 0, len(block)
            while i < end:
                if cols is not None:
                    i = plain_rows(block, i, cols, totals, out)
                    if i == end:
                        break
                r = row(*block[i])
                if r is not None:
                    out.append(r)
                i += 1
            yield out
        self.problems.close()
