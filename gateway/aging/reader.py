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
import re
from dataclasses import dataclass
from itertools import chain

from gateway.aging.cells import cell_text, parse_date
from gateway.aging.profile import BUCKET_FIELDS, REQUIRED, Profile, header_key
from gateway.aging.rows import RowReader
from gateway.aging.sources import Cell, open_tables, sniff
from gateway.core.errors import UserError
from gateway.core.records import AgingContext, AgingExport, AgingSource
from gateway.core.spreadsheet import check_workbook

# the readers that parse cells like this one import these from here too
__all__ = ["Plan", "cell_text", "find_header", "parse_date", "plan_header", "read_aging"]

MIN_HEADER_SCORE = 3
_ANY_DATE = re.compile(r"\b(\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})\b")
_AS_OF = re.compile(r"as\s+of|through|thru|ending|report\s+date|run\s+date|date", re.I)


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


def _no_header_message(profile: Profile,
                       sheets: list[tuple[str, list[tuple[int, list[Cell]]]]]) -> str:
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
                candidates.append((False, cell.date() if isinstance(cell, dt.datetime) else cell))
                continue
            text = cell_text(cell)
            for m in _ANY_DATE.finditer(text):
                try:
                    found = parse_date(m.group(1), ref)
                except ValueError:
                    continue
                if found is not None:
                    candidates.append((bool(_AS_OF.search(text[: m.start()])), found))
    if not candidates:
        return None
    as_of = [d for is_labelled, d in candidates if is_labelled]
    return (as_of or [d for _, d in candidates])[-1]


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
