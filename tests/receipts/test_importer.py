"""The .xlsx receipts import: row problems by row number, a bad file rejected whole, never the
same receipt twice."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from gateway.core.errors import UserError
from gateway.receipts import service
from gateway.receipts.importer import import_receipts
from gateway.receipts.models import Receipt, ReceiptMessage
from gateway.receipts.schemas import ReceiptSearch
from tests.receipts import helpers as h

HEADER = ["Patient ID", "Statement ID", "Date", "Amount", "Type", "Method",
          "Check/Trace Number", "Comment"]
TODAY = dt.date(2026, 3, 10)


def workbook(*rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = [
    ("A1", "S-100", dt.date(2026, 3, 9), D("25.00"), "Co-Pay", "Check", 1001, "front desk"),
    (1234, None, "03/08/2026", "$40.50", "General Payment", "Visa", None, None),
]


async def count(session) -> int:
    return await session.scalar(select(func.count()).select_from(Receipt))


async def test_import_creates_reconciles_and_never_twice(session, practice):
    pid = practice.practice_id
    cid, (l1,) = await h.claim(session, pid, "A1", dt.date(2026, 3, 9), "30.00")
    await h.patient(session, pid, "1234")
    data = workbook(*GOOD)
    res = await import_receipts(session, pid, data, filename="march.xlsx", actor="user:1",
                                today=TODAY)
    assert (res.rows, len(res.created), res.duplicates, res.problems) == (2, 2, [], [])
    assert res.reconcile is not None and res.reconcile.completed == 1
    first = await service.show(session, pid, res.created[0])
    assert (first.patient_account, first.check_number, first.method, first.source,
            first.statement_id, first.comment, first.status) == (
        "A1", "1001", "check", "import", "S-100", "front desk", "Completed")
    assert first.messages[0].text == "Imported from march.xlsx, row 2."
    second = await service.show(session, pid, res.created[1])
    assert (second.patient_account, second.amount, second.method, second.type,
            second.received_on) == ("1234", D("40.50"), "card", "General Payment",
                                    dt.date(2026, 3, 8))
    again = await import_receipts(session, pid, data, filename="march.xlsx", actor="user:1",
                                  today=TODAY)
    assert (again.created, again.duplicates) == ([], [2, 3])
    assert await count(session) == 2


async def test_row_problems_are_listed_by_row_and_the_good_rows_imported(session, practice):
    pid = practice.practice_id
    data = workbook(
        GOOD[0],
        ("A2", None, "yesterday", "12.00", None, None, None, None),
        ("A3", None, dt.date(2026, 3, 9), "twelve", "Co-Pay", "cash", None, None),
        (),
        ("", None, dt.date(2026, 3, 9), "-5.00", "Gift", "barter", None, None),
        ("A4", None, dt.date(2026, 3, 9), "5.00", None, None, None, None),
    )
    res = await import_receipts(session, pid, data, actor="user:1", today=TODAY)
    got = [(p.row, p.field) for p in res.problems]
    assert got == [(3, "Date"), (4, "Amount"), (6, "Patient ID"), (6, "Amount"), (6, "Type"),
                   (6, "Method")]
    assert "twelve" in res.problems[1].message
    assert len(res.created) == 2 and res.patient_not_known == [2, 7]
    # the blank type and method default to a general payment of unknown method
    d = await service.show(session, pid, res.created[1])
    assert (d.type, d.method, d.status) == ("General Payment", "other", "Error")


async def test_unreadable_file_is_rejected_whole_with_nothing_written(session, practice):
    pid = practice.practice_id
    before = await session.scalar(select(func.count()).select_from(ReceiptMessage))
    with pytest.raises(UserError, match="bad.xlsx: not a readable .xlsx workbook"):
        await import_receipts(session, pid, b"PK\x03\x04 not really a zip", filename="bad.xlsx",
                              actor="user:1", today=TODAY)
    with pytest.raises(UserError, match=r"cols.xlsx: row 1: missing column\(s\) Amount"):
        await import_receipts(session, pid, workbook(("A1", "2026-03-09"),
                                                     header=["Chart Number", "Date"]),
                              filename="cols.xlsx", actor="user:1", today=TODAY)
    with pytest.raises(UserError, match="empty"):
        await import_receipts(session, pid, workbook(header=[]), filename="e.xlsx",
                              actor="user:1", today=TODAY)
    assert await count(session) == 0
    assert await session.scalar(select(func.count()).select_from(ReceiptMessage)) == before


async def test_import_recognises_a_practice_type_and_header_aliases(session, practice):
    from gateway.receipts.schemas import ReceiptTypeIn

    pid = practice.practice_id
    await service.create_type(session, pid, ReceiptTypeIn(name="CL Deposit", behaviour="prepay"),
                              actor="user:1")
    data = workbook(("Z9", "2026-03-01", "100", "cl deposit", "ACH", "T-1"),
                    header=["Chart #", "Payment Date", "Payment Amount", "Receipt Type",
                            "Payment Method", "Trace Number"])
    res = await import_receipts(session, pid, data, actor="user:1", today=TODAY)
    assert res.problems == [] and len(res.created) == 1
    (r,) = await service.search(session, pid, ReceiptSearch(status=["all"]))
    assert (r.type, r.behaviour, r.method, r.check_number, r.amount) == (
        "CL Deposit", "prepay", "ach", "T-1", D("100.00"))


async def test_sub_cent_and_odd_amounts_are_row_problems_never_rounded(session, practice):
    # issue 16: 12.345 and 10.005 were rounded silently while the API refused 10.005
    pid = practice.practice_id
    day = dt.date(2026, 3, 9)
    data = workbook(
        ("A1", None, day, 12.345, None, None, None, None),
        ("A1", None, day, "10.005", None, None, None, None),
        ("A1", None, day, D("10.005"), None, None, None, None),
        ("A1", None, day, "\u0661\u0662.00", None, None, None, None),  # Arabic-Indic digits
        ("A1", None, day, "Infinity", None, None, None, None),
        ("A1", None, day, 1e20, None, None, None, None),
        ("A1", None, day, "10.000", None, None, None, None),  # whole cents, more zeros
        ("A1", None, day, 12.34, None, None, None, None),
    )
    res = await import_receipts(session, pid, data, actor="user:1", today=TODAY)
    assert [(p.row, p.field) for p in res.problems] == [
        (2, "Amount"), (3, "Amount"), (4, "Amount"), (5, "Amount"), (6, "Amount"),
        (7, "Amount")]
    assert all("part of a cent" in p.message for p in res.problems[:3])
    assert "too large an amount" in res.problems[5].message  # the one money parser's refusal
    assert len(res.created) == 2
    amounts = sorted([(await service.show(session, pid, i)).amount for i in res.created])
    assert amounts == [D("10.00"), D("12.34")]
