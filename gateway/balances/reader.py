"""The one reader of PMS balance exports (CSV): a vendor's `BalanceLayout` in, a
`BalanceSnapshot` out.

A file that is not the vendor's export at all (no header row with the required columns, not
text, an amount or date that cannot be read) is a `UserError` naming file, row and field:
nothing of it is used. A row that reads but does not add up (buckets against the total,
portions against the total) is a `BalanceProblem`: the core keeps that account as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from decimal import Decimal

from gateway.aging.reader import parse_date
from gateway.balances.layout import (
    BUCKET_FIELDS,
    DATE_FIELDS,
    MONEY_FIELDS,
    REQUIRED,
    TEXT_FIELDS,
    BalanceLayout,
)
from gateway.core.errors import UserError
from gateway.core.money import ZERO, parse_money
from gateway.core.records import BalanceProblem, BalanceRow, BalanceSnapshot

HEADER_SEARCH_ROWS = 20


def read_balances(layout: BalanceLayout, name: str, content: bytes) -> BalanceSnapshot:
    """The whole export as a snapshot (rows in file order, problems beside them)."""
    text = _decode(name, content)
    lines = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
    columns, header_row = _find_header(layout, name, lines)
    rows: list[BalanceRow] = []
    problems: list[BalanceProblem] = []
    seen: dict[str, int] = {}
    for number, cells in _data_rows(lines, header_row):
        where = f"{name}, row {number}"
        values = _fields(columns, cells)
        account = str(values.get("account") or "").strip()
        if not account:
            raise UserError("the account is empty", where=f"{where}, field account")
        if account in seen:
            raise UserError(f"account {account} appears again (first on row {seen[account]})",
                            where=f"{where}, field account")
        seen[account] = number
        row = _row(values, account, where)
        problem = _check(row, number)
        if problem is not None:
            problems.append(problem)
        rows.append(row)
    return BalanceSnapshot(source_name=name, sha256=hashlib.sha256(content).hexdigest(),
                           rows=rows, problems=problems)


def _decode(name: str, content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UserError("not a text (CSV) export", where=name)


def _find_header(layout: BalanceLayout, name: str,
                 lines: Iterator[list[str]]) -> tuple[dict[int, str], int]:
    """Column index -> canonical field, from the first row naming every required field."""
    for number, cells in enumerate(lines, 1):
        if number > HEADER_SEARCH_ROWS:
            break
        columns = {i: f for i, c in enumerate(cells) if (f := layout.field_of(c)) is not None}
        if all(f in columns.values() for f in REQUIRED):
            return columns, number
    raise UserError(
        f"no header row with the columns of a {layout.vendor} {layout.report} export "
        f"(needs {', '.join(REQUIRED)}) in the first {HEADER_SEARCH_ROWS} rows", where=name)


def _data_rows(lines: Iterator[list[str]], header_row: int) -> Iterator[tuple[int, list[str]]]:
    for number, cells in enumerate(lines, header_row + 1):
        if any(c.strip() for c in cells):
            yield number, cells


def _fields(columns: dict[int, str], cells: list[str]) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {}
    for index, name in columns.items():
        cell = cells[index] if index < len(cells) else ""
        if name in BUCKET_FIELDS:
            parts = values.setdefault(name, [])
            assert isinstance(parts, list)
            parts.append(cell)
        else:
            values.setdefault(name, cell)
    return values


def _row(values: dict[str, str | list[str]], account: str, where: str) -> BalanceRow:
    kwargs: dict[str, object] = {"account": account}
    for name in TEXT_FIELDS[1:]:
        text = str(values.get(name) or "").strip()
        kwargs[name] = text or None
    for name in MONEY_FIELDS:
        kwargs[name] = parse_money(values.get(name), where=f"{where}, field {name}")
    for name in BUCKET_FIELDS:
        cells = values.get(name) or []
        kwargs[name] = sum((parse_money(c, where=f"{where}, field {name}") for c in cells), ZERO)
    for name in DATE_FIELDS:
        kwargs[name] = _date(values.get(name), f"{where}, field {name}")
    return BalanceRow(**kwargs)  # type: ignore[arg-type]  # fields built by name above


def _date(value: object, where: str) -> dt.date | None:
    try:
        return parse_date(value, dt.date.today())
    except ValueError as exc:
        raise UserError(str(exc), where=where) from exc


def _check(row: BalanceRow, number: int) -> BalanceProblem | None:
    """Buckets, and portions when given, must add up to the total."""
    buckets = sum((getattr(row, b) for b in BUCKET_FIELDS), Decimal("0.00"))
    if buckets != row.total:
        return BalanceProblem(row=number, account=row.account, field="buckets",
                              message=f"buckets add up to {buckets}, the balance is {row.total}")
    portions = row.patient_portion + row.insurance_portion
    if portions != row.total:
        return BalanceProblem(row=number, account=row.account, field="portions",
                              message=f"portions add up to {portions}, the balance is {row.total}")
    return None
