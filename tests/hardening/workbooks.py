"""Hostile workbooks built in the test (nothing large is stored in the repository)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"


def receipts_workbook(rows: int = 1) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Date", "Chart Number", "Amount", "Type"])
    for n in range(rows):
        ws.append(["2026-11-02", f"C{n}", "10.00", "General Payment"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rewrite(data: bytes, member: str, text: bytes | Iterator[bytes], level: int = 6) -> bytes:
    """`data` (a zip) with `member` replaced by `text` (streamed if an iterator)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst:
        for info in src.infolist():
            if info.filename != member:
                dst.writestr(info, src.read(info))
        info = zipfile.ZipInfo(member)
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = level  # type: ignore[attr-defined]  # ZipInfo has no public knob
        with dst.open(info, "w", force_zip64=True) as stream:
            for part in ([text] if isinstance(text, bytes) else text):
                stream.write(part)
    return out.getvalue()


def far_cell_workbook() -> bytes:
    """A ~6 KB workbook whose sheet declares, and holds a cell at, XFD1048576."""
    base = receipts_workbook()
    sheet = zipfile.ZipFile(io.BytesIO(base)).read(SHEET)
    sheet = sheet.replace(b'<dimension ref="A1:D2"/>', b'<dimension ref="A1:XFD1048576"/>')
    sheet = sheet.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v>'
                                           b"</c></row></sheetData>")
    assert b"XFD1048576" in sheet
    return _rewrite(base, SHEET, sheet)


def zip_bomb_workbook(inflated: int = 600 * 1024 * 1024) -> bytes:
    """A small workbook with a member that inflates to `inflated` bytes of zeros."""
    chunk = b"\0" * (4 * 1024 * 1024)
    parts = (chunk for _ in range(inflated // len(chunk)))
    return _rewrite(receipts_workbook(), "xl/media/padding.bin", parts, level=1)


def many_rows_workbook(rows: int, amount_title: bytes = b"Amount") -> bytes:
    """A receipts sheet of `rows` data rows, written as raw XML (openpyxl is too slow)."""
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData>"
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c>'
            b'<c r="B1" t="inlineStr"><is><t>Chart Number</t></is></c>'
            b'<c r="C1" t="inlineStr"><is><t>' + amount_title + b"</t></is></c>"
            b'<c r="D1" t="inlineStr"><is><t>Type</t></is></c></row>')

    def body() -> Iterator[bytes]:
        yield head
        batch: list[bytes] = []
        for n in range(2, rows + 2):
            batch.append(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>2026-11-02</t></is></c>'
                         b'<c r="B%d" t="inlineStr"><is><t>ZZ%d</t></is></c>'
                         b'<c r="C%d"><v>10</v></c>'
                         b'<c r="D%d" t="inlineStr"><is><t>General Payment</t></is></c></row>'
                         % (n, n, n, n, n, n))
            if len(batch) == 5000:
                yield b"".join(batch)
                batch = []
        yield b"".join(batch) + b"</sheetData></worksheet>"

    return _rewrite(receipts_workbook(), SHEET, body())
