"""Tables out of uploaded bytes, whatever the file name says.

Aging reports arrive as BIFF `.xls` (Excel 97-2003), `.xlsx`, an HTML table or SpreadsheetML
2003 XML saved with an `.xls` name, or CSV/TSV text (UTF-8 with or without BOM, UTF-16,
Windows-1252; `,` `;` tab or `|`; quoted fields with delimiters and newlines). `open_tables`
sniffs the bytes and yields each sheet as an iterator of `(row_number, cells)`, row numbers
1-based as a spreadsheet shows them. Text is read as a stream: a CSV is never held in memory
as rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

from gateway.core.errors import UserError

Cell = Any  # str, or int/float/date/datetime/bool from a workbook
Rows = Iterator[tuple[int, list[Cell]]]

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
SS_NS = "urn:schemas-microsoft-com:office:spreadsheet"

csv.field_size_limit(10 * 1024 * 1024)


class Sheet:
    """One table of a file: a name (for messages) and its rows."""

    def __init__(self, name: str, rows: Rows) -> None:
        self.name = name
        self.rows = rows


def sniff(content: bytes) -> str:
    """The real format of the bytes: xls, xlsx, html, spreadsheetml or text."""
    if not content or not content.strip():
        raise UserError("the file is empty", where="file")
    head = content[:4096]
    if head.startswith(OLE2):
        return "xls"
    if head.startswith(ZIP):
        return "xlsx"
    if head.startswith(b"%PDF"):
        raise UserError(
            "this is a PDF; expected the report exported as Excel (.xls/.xlsx) or CSV",
            where="file",
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text_head = head.decode("utf-16", errors="ignore")
    else:
        if b"\x00" in head:
            raise UserError(
                f"not a spreadsheet or text file (binary bytes {head[:8].hex(' ')} at the start); "
                "expected Excel (.xls/.xlsx), an HTML or XML spreadsheet, or CSV",
                where="file",
            )
        text_head = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    low = text_head.lstrip("\ufeff \t\r\n").lower()
    if low.startswith("<"):
        if SS_NS in low or "<workbook" in low:
            return "spreadsheetml"
        if "<html" in low or "<table" in low or "<!doctype html" in low:
            return "html"
        if low.startswith("<?xml"):
            raise UserError(
                "an XML file that is not an Excel 2003 XML spreadsheet (no Workbook element)",
                where="file",
            )
        if "<tr" in low or "<td" in low:
            return "html"
    return "text"


def open_tables(content: bytes, kind: str | None = None) -> Iterator[Sheet]:
    """The sheets of the file, in order."""
    kind = kind or sniff(content)
    if kind in ("xls", "xlsx"):
        yield from _workbook_sheets(content, kind)
    elif kind == "html":
        yield Sheet("table", _html_rows(content))
    elif kind == "spreadsheetml":
        yield from _spreadsheetml_sheets(content)
    else:
        yield Sheet("text", _text_rows(content))


def open_file_tables(path: str) -> Iterator[Sheet]:
    """The sheets of a file on disk. Text (CSV/TSV) is streamed from the file, never held
    whole; a workbook or markup file is read into memory (its parsers need all of it)."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    kind = sniff(head)
    if kind != "text":
        with open(path, "rb") as fh:
            content = fh.read()
        yield from open_tables(content, kind)
        return
    yield Sheet("text", _text_file_rows(path, head))


def _file_encoding(path: str, head: bytes) -> tuple[str, int]:
    """`_encoding` of a file, read in blocks: (encoding, bytes to skip)."""
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _encoding(head)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252", 0
    return "utf-8", 0


def _text_file_rows(path: str, head: bytes) -> Rows:
    encoding, skip = _file_encoding(path, head)
    delim = _delimiter(head[skip:].decode(encoding, errors="ignore"))
    with open(path, "rb") as raw:
        raw.seek(skip)
        stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            yield from enumerate(csv.reader(stream, delimiter=delim), start=1)
        except csv.Error as exc:
            raise UserError(f"the CSV cannot be read: {exc}", where="file") from exc


# --- workbooks (python-calamine) -----------------------------------------------------------


def _workbook_sheets(content: bytes, kind: str) -> Iterator[Sheet]:
    from python_calamine import CalamineWorkbook

    what = "Excel 97-2003 (.xls)" if kind == "xls" else "Excel (.xlsx)"
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(content))
        names = list(wb.sheet_names)
    except Exception as exc:  # calamine raises several types for broken files
        raise UserError(f"cannot read the {what} workbook: {exc}", where="file") from exc
    for name in names:
        try:
            sheet = wb.get_sheet_by_name(name)
        except Exception as exc:
            raise UserError(f"cannot read sheet {name!r}: {exc}", where="file") from exc
        yield Sheet(name, _calamine_rows(sheet))


def _calamine_rows(sheet: Any) -> Rows:
    # iter_rows yields every row from the first of the sheet (leading empty rows included),
    # so the position is the spreadsheet's row number; columns start at the first used one.
    yield from enumerate(sheet.iter_rows(), start=1)


# --- text (CSV / TSV) ----------------------------------------------------------------------


def _encoding(content: bytes) -> tuple[str, int]:
    """(encoding, bytes to skip) for a text export."""
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if content.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if content.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(content)
    try:
        for i in range(0, len(content), 1 << 20):
            decoder.decode(view[i : i + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252", 0
    return "utf-8", 0


def _delimiter(sample: str) -> str:
    """The delimiter whose rows agree most on a field count (title lines have one field)."""
    best, best_score = ",", (-1, -1)
    for delim in (",", "\t", ";", "|"):
        counts: dict[int, int] = {}
        try:
            for i, row in enumerate(csv.reader(io.StringIO(sample), delimiter=delim)):
                if i >= 60:
                    break
                if len(row) > 1:
                    counts[len(row)] = counts.get(len(row), 0) + 1
        except csv.Error:
            continue
        if not counts:
            continue
        width, agree = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = (agree, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _text_rows(content: bytes) -> Rows:
    encoding, skip = _encoding(content)
    sample = content[skip : skip + 65536].decode(encoding, errors="ignore")
    delim = _delimiter(sample)
    stream = io.TextIOWrapper(
        io.BytesIO(content[skip:] if skip else content), encoding=encoding, newline=""
    )
    try:
        yield from enumerate(csv.reader(stream, delimiter=delim), start=1)
    except csv.Error as exc:
        raise UserError(f"the CSV cannot be read: {exc}", where="file") from exc


# --- HTML tables ---------------------------------------------------------------------------


class _TableParser(HTMLParser):
    """Rows of every <tr> in the document, cells from <td>/<th>, colspans kept as blanks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._close_row()
            self._row = []
        elif tag in ("td", "th"):
            self._close_cell()
            if self._row is None:
                self._row = []
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() and 0 < int(span) < 100 else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._close_cell()
        elif tag in ("tr", "table"):
            self._close_row()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _close_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).replace("\xa0", " ").split()))
            self._row.extend([""] * (self._span - 1))
        self._cell = None
        self._span = 1

    def _close_row(self) -> None:
        self._close_cell()
        if self._row is not None:
            self.rows.append(self._row)
        self._row = None


def _html_rows(content: bytes) -> Rows:
    text = _decode_markup(content)
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    parser._close_row()
    yield from enumerate(parser.rows, start=1)


def _decode_markup(content: bytes) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")
    m = re.search(rb"charset=[\"']?([A-Za-z0-9_\-]+)", content[:4096])
    for enc in ([m.group(1).decode()] if m else []) + ["utf-8-sig", "cp1252"]:
        try:
            return content.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return content.decode("latin-1")


# --- SpreadsheetML 2003 --------------------------------------------------------------------


def _spreadsheetml_sheets(content: bytes) -> Iterator[Sheet]:
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise UserError(f"the XML spreadsheet is not well-formed: {exc}", where="file") from exc
    ns = {"ss": SS_NS}
    sheets = root.findall("ss:Worksheet", ns)
    if not sheets:
        raise UserError("the XML spreadsheet has no Worksheet", where="file")
    for ws in sheets:
        name = ws.get(f"{{{SS_NS}}}Name") or "Sheet"
        table = ws.find("ss:Table", ns)
        yield Sheet(name, _ssml_rows(table) if table is not None else iter(()))


def _ssml_rows(table: ET.Element) -> Rows:
    n = 0
    for row in table.findall(f"{{{SS_NS}}}Row"):
        idx = row.get(f"{{{SS_NS}}}Index")
        n = int(idx) if idx and idx.isdigit() else n + 1
        cells: list[Cell] = []
        for cell in row.findall(f"{{{SS_NS}}}Cell"):
            cidx = cell.get(f"{{{SS_NS}}}Index")
            if cidx and cidx.isdigit():
                cells.extend([""] * (int(cidx) - 1 - len(cells)))
            data = cell.find(f"{{{SS_NS}}}Data")
            value: Cell = "" if data is None else "".join(data.itertext())
            if data is not None and data.get(f"{{{SS_NS}}}Type") == "DateTime" and value:
                try:
                    value = dt.datetime.fromisoformat(value[:19]).date()
                except ValueError:
                    pass
            cells.append(value)
            across = cell.get(f"{{{SS_NS}}}MergeAcross")
            if across and across.isdigit():
                cells.extend([""] * int(across))
        yield n, cells
