"""Import receipts from an .xlsx workbook.

Columns (first sheet, header row first; names matched loosely, order free): Patient ID (chart
number), Statement ID, Date, Amount, Type, Method, Check/Trace Number, Comment. Patient ID,
Date and Amount are required.

* A file that cannot be read as a workbook, or lacks a required column, is rejected whole
  (UserError naming the file and why) before anything is written.
* A row with a problem (bad date, amount, type or method) is listed by its spreadsheet row
  number and skipped; the other rows are imported. Fix the rows and import the file again:
  the rows already in are recognised as duplicates.
* The same receipt (chart number, date, amount, check/trace number) is never imported twice:
  a unique constraint on the receipt's dedupe key decides, also across gateway processes.
* A chart number that matches no patient makes a receipt with the patient not known (an
  Error for a biller), listed in `patient_not_known`.
* The new receipts are reconciled at once.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.admin.practices import get_practice
from gateway.core.errors import UserError
from gateway.core.money import MoneyError
from gateway.core.offload import rows_in_process
from gateway.core.spreadsheet import check_workbook
from gateway.db.models import Patient
from gateway.db.upsert import insert_if_absent
from gateway.receipts.amounts import exact_cents, range_problem
from gateway.receipts.common import MessageRow, loose_key, write_messages
from gateway.receipts.enums import ReceiptStatus, Source
from gateway.receipts.receipt_types import TypeTable, type_table
from gateway.receipts.reconcile import reconcile
from gateway.receipts.recording import METHOD_ALIASES, RECEIPTS, dedupe_key
from gateway.receipts.schemas import ImportResult, RowProblem

COLUMNS: dict[str, tuple[str, ...]] = {
    "patient": ("patientid", "chartnumber", "chart", "chartno", "patientaccount", "account",
                "accountnumber", "patientnumber"),
    "statement": ("statementid", "statement", "statementnumber"),
    "date": ("date", "receiptdate", "paymentdate", "datereceived", "receivedon"),
    "amount": ("amount", "paymentamount", "payment"),
    "type": ("type", "receipttype", "paymenttype"),
    "method": ("method", "paymentmethod", "tender"),
    "trace": ("checktracenumber", "checknumber", "tracenumber", "check", "trace", "reference",
              "checktrace", "checkno"),
    "comment": ("comment", "comments", "note", "notes", "memo"),
}
REQUIRED = ("patient", "date", "amount")
TITLES = {"patient": "Patient ID", "statement": "Statement ID", "date": "Date",
          "amount": "Amount", "type": "Type", "method": "Method",
          "trace": "Check/Trace Number", "comment": "Comment"}
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%Y/%m/%d", "%d-%b-%Y")


def _text(v: Any) -> str:
    """A cell as text: whole numbers without ".0" (chart and check numbers come as numbers)."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    return str(v).strip()


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = _text(v)
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {s!r}" if s else "the date is missing")


def read_rows(data: bytes, filename: str) -> tuple[dict[str, int], list[tuple[int, list[Any]]]]:
    """(column index by field, [(row number, cells)]) of the first sheet; UserError if the file
    is not a readable workbook or lacks a required column."""
    from python_calamine import CalamineWorkbook

    check_workbook(data, filename)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not wb.sheet_names:
            raise ValueError("the workbook has no sheet")
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several types for a broken file
        raise UserError(f"not a readable .xlsx workbook ({exc})", where=filename) from exc
    header_at = next((i for i, row in enumerate(rows) if any(_text(c) for c in row)), None)
    if header_at is None:
        raise UserError("the workbook is empty", where=filename)
    names = [loose_key(c) for c in rows[header_at]]
    columns: dict[str, int] = {}
    for field, aliases in COLUMNS.items():
        for i, name in enumerate(names):
            if name in aliases:
                columns[field] = i
                break
    missing = [TITLES[f] for f in REQUIRED if f not in columns]
    if missing:
        raise UserError(f"missing column(s) {', '.join(missing)} in the header row",
                        where=f"{filename}: row {header_at + 1}")
    body = [(i + 1, list(row)) for i, row in enumerate(rows) if i > header_at
            and any(_text(c) for c in row)]
    return columns, body


@dataclass
class _Sheet:
    """The columns found in the header and the practice's receipt types."""

    columns: dict[str, int]
    types: TypeTable

    def cell(self, row: Sequence[Any], field: str) -> Any:
        i = self.columns.get(field)
        return row[i] if i is not None and i < len(row) else None

    def text(self, row: Sequence[Any], field: str) -> str:
        return _text(self.cell(row, field))


def _amount(value: Any) -> tuple[Decimal | None, str | None]:
    """(amount, None) or (None, why it is not a receipt amount): never rounded."""
    try:
        amount = exact_cents(value)
    except MoneyError as exc:
        return None, str(exc)
    why = range_problem(amount)
    return (None, why) if why is not None else (amount, None)


def _parse_row(sheet: _Sheet, row: Sequence[Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The receipt fields of one row and its problems by field (nothing is guessed)."""
    problems: dict[str, str] = {}
    account = sheet.text(row, "patient")
    if not account:
        problems["patient"] = "the chart number is missing"
    elif len(account) > 80:
        problems["patient"] = "the chart number is longer than 80 characters"
    received: dt.date | None = None
    try:
        received = _date(sheet.cell(row, "date"))
    except ValueError as exc:
        problems["date"] = str(exc)
    amount, why = _amount(sheet.cell(row, "amount"))
    if why is not None:
        problems["amount"] = why
    type_text = sheet.text(row, "type") or "General Payment"
    hit = sheet.types.get(loose_key(type_text))
    if hit is None:
        problems["type"] = f"unknown receipt type {type_text!r}"
    trace = sheet.text(row, "trace") or None
    method_text = sheet.text(row, "method") or ("check" if trace else "other")
    method = METHOD_ALIASES.get(loose_key(method_text))
    if method is None:
        problems["method"] = f"unknown payment method {method_text!r}"
    statement = sheet.text(row, "statement") or None
    for field, value in (("trace", trace), ("statement", statement)):
        if value and len(value) > 80:
            problems[field] = "longer than 80 characters"
    if problems or received is None or amount is None or hit is None or method is None:
        return {}, problems
    return {
        "patient_account": account, "received_on": received, "type_name": hit[0],
        "behaviour": hit[1], "method": method, "source": Source.IMPORT,
        "check_number": trace, "statement_id": statement,
        "comment": sheet.text(row, "comment") or None, "amount": amount,
        "status": ReceiptStatus.NEW, "dedupe_key": dedupe_key(account, received, amount, trace),
    }, problems


async def _patients(session: AsyncSession, practice_id: int,
                    accounts: set[str]) -> dict[str, int]:
    """Patient id by chart number, for the chart numbers that match a patient."""
    wanted = sorted(accounts)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        found.update((await session.execute(
            select(Patient.account, Patient.id).where(
                Patient.practice_id == practice_id,
                Patient.account.in_(wanted[start:start + 500]))
        )).tuples().all())
    return found


def parse_workbook(data: bytes, filename: str, types: TypeTable,
                   ) -> tuple[tuple[int, list[RowProblem]], list[tuple[int, dict[str, Any]]]]:
    """((rows, problems), [(row number, receipt fields)]): read and checked in a worker
    process (gateway.core.offload), so the server's process does no parsing."""
    columns, body = read_rows(data, filename)
    sheet = _Sheet(columns, types)
    problems: list[RowProblem] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, row in body:
        values, found = _parse_row(sheet, row)
        problems.extend(RowProblem(row=number, field=TITLES[f], message=m)
                        for f, m in found.items())
        if not found:
            parsed.append((number, values))
    return (len(body), problems), parsed


async def import_receipts(
    session: AsyncSession, practice_id: int, data: bytes, *, filename: str = "receipts.xlsx",
    actor: str, today: dt.date | None = None, location_id: int | None = None,
) -> ImportResult:
    """Import a receipts workbook (see the module docstring for what happens to what)."""
    await get_practice(session, practice_id)
    types = await type_table(session, practice_id)
    (rows, problems), parsed = await rows_in_process(parse_workbook, data, filename, types)
    result = ImportResult(rows=rows, problems=problems)
    patients = await _patients(session, practice_id, {v["patient_account"] for _, v in parsed})
    messages: list[MessageRow] = []
    for number, values in parsed:
        values.update(practice_id=practice_id, location_id=location_id, created_by=actor,
                      patient_id=patients.get(values["patient_account"]))
        new_id = await insert_if_absent(session, RECEIPTS, values, ["practice_id", "dedupe_key"])
        if new_id is None:
            result.duplicates.append(number)
            continue
        result.created.append(new_id)
        if values["patient_id"] is None:
            result.patient_not_known.append(number)
        messages.append((new_id, actor, ReceiptStatus.NEW,
                         f"Imported from {filename}, row {number}.", today))
    await write_messages(session, messages)
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.import",
                object_type="receipt", detail={
                    "file": filename, "rows": result.rows, "created": len(result.created),
                    "duplicates": len(result.duplicates), "problems": len(result.problems)})
    if result.created:
        result.reconcile = await reconcile(session, practice_id, result.created, today=today,
                                           actor="engine")
        result.reconcile.results = []  # the receipts are listed by id in `created`
    return result
