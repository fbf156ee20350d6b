"""A write-only .xlsx export: one sheet, a header row, then rows whose money and dates are
typed cells (numbers with two decimals, dates as dates), so a spreadsheet sums and sorts
them. What the receipts and the Statement ePayments exports share."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

MONEY = "#,##0.00"
DATE = "yyyy-mm-dd"


class Sheet:
    """One sheet written row by row (openpyxl's write-only mode: rows are not kept)."""

    def __init__(self, title: str, columns: Iterable[str]) -> None:
        from openpyxl import Workbook

        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title)
        self._sheet.append(list(columns))

    def cell(self, value: Any, number_format: str) -> Any:
        """`value` as a cell with its number format (None stays an empty cell)."""
        from openpyxl.cell import WriteOnlyCell

        if value is None:
            return None
        c = WriteOnlyCell(self._sheet, value=value)
        c.number_format = number_format
        return c

    def money(self, value: Decimal | None) -> Any:
        return self.cell(value, MONEY)

    def date(self, value: dt.date | None) -> Any:
        return self.cell(value, DATE)

    def append(self, row: list[Any]) -> None:
        self._sheet.append(row)

    def save(self) -> bytes:
        buf = io.BytesIO()
        self._book.save(buf)
        return buf.getvalue()
