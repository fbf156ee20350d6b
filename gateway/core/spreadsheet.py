"""The one bounded gate in front of every spreadsheet reader.

A workbook is a zip of XML: a 6 KB .xlsx can declare a sheet reaching cell XFD1048576, and
the reader then allocates rows x columns cells (terabytes) and the process aborts; a small
zip can inflate to gigabytes. `check_workbook` looks at the zip directory, each sheet's XML
size, its declared `<dimension>` and the furthest cell it references, streaming the XML in
bounded chunks, before any reader allocates. Each refusal is a `LimitExceeded` naming the
limit: 413 / 422 in the API, exit 2 in the CLI.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from gateway.core.errors import LimitExceeded, UserError

ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 256 * 1024  # small blocks: the regex holds the GIL for one block at a time
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\"")
_ROW_REF = re.compile(rb"\sr=\"[A-Z]{0,3}(\d{1,9})\"")
_WIDE_REF = re.compile(rb"\sr=\"([A-Z]{2,3})\d")  # columns past Z: rare, so scanned apart
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """What one uploaded spreadsheet may hold."""

    max_bytes: int = 50 * 1024 * 1024
    max_uncompressed: int = 512 * 1024 * 1024
    max_members: int = 10_000
    max_sheet_xml: int = 256 * 1024 * 1024
    max_rows: int = 300_000
    max_columns: int = 512
    max_cells: int = 10_000_000


DEFAULT_LIMITS = Limits()


def column_number(letters: bytes) -> int:
    """A1-style column letters as a 1-based number (A=1, XFD=16384)."""
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def check_bytes(size: int, where: str, limits: Limits = DEFAULT_LIMITS) -> None:
    if size > limits.max_bytes:
        raise LimitExceeded(f"the file is {size:,} bytes, over the limit of "
                            f"{limits.max_bytes:,} bytes (max_bytes)", where=where,
                            limit="max_bytes", size=True)


def check_workbook(data: bytes, where: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuses `data` (an upload named `where`) if it is over a limit; a non-zip file is
    checked for its size only (its reader is bounded by that)."""
    check_bytes(len(data), where, limits)
    if not data.startswith(ZIP_MAGIC):
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # not a workbook we could open: its reader says so in its own words
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise LimitExceeded(f"the workbook has {len(members):,} parts, over the limit of "
                                f"{limits.max_members:,} (max_members)", where=where,
                                limit="max_members")
        inflated = sum(m.file_size for m in members)
        if inflated > limits.max_uncompressed:
            raise LimitExceeded(f"the workbook unpacks to {inflated:,} bytes, over the limit of "
                                f"{limits.max_uncompressed:,} (max_uncompressed)", where=where,
                                limit="max_uncompressed", size=True)
        for member in members:
            if _SHEET.match(member.filename):
                _check_sheet(archive, member, where, limits)


def _check_sheet(archive: zipfile.ZipFile, member: zipfile.ZipInfo, where: str,
                 limits: Limits) -> None:
    sheet = f"{where}: {member.filename.rsplit('/', 1)[-1]}"
    if member.file_size > limits.max_sheet_xml:
        raise LimitExceeded(f"the sheet's XML is {member.file_size:,} bytes, over the limit of "
                            f"{limits.max_sheet_xml:,} (max_sheet_xml)", where=sheet,
                            limit="max_sheet_xml")
    max_row = max_col = 0
    read = 0
    tail = b""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                read += len(chunk)
                if read > limits.max_sheet_xml:  # the directory lied about the size
                    raise LimitExceeded(f"the sheet's XML is over {limits.max_sheet_xml:,} "
                                        "bytes (max_sheet_xml)", where=sheet,
                                        limit="max_sheet_xml")
                block = tail + chunk
                if read == len(chunk):
                    max_row, max_col = _declared(block)
                rows = _ROW_REF.findall(block)
                if rows:
                    max_row = max(max_row, max(map(int, rows)))
                wide = set(_WIDE_REF.findall(block))
                if wide:
                    max_col = max(max_col, max(map(column_number, wide)))
                _check_extent(max_row, max_col, sheet, limits)
                tail = block[-256:]
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
        raise UserError(f"not a readable workbook ({type(exc).__name__})", where=sheet) from exc


def _declared(head: bytes) -> tuple[int, int]:
    """(rows, columns) the sheet's `<dimension ref="A1:XFD1048576">` declares, else (0, 0)."""
    found = _DIMENSION.search(head[:64 * 1024])
    if not found:
        return 0, 0
    start_col, start_row, end_col, end_row = found.groups()
    col = end_col or start_col
    row = end_row or start_row
    return (int(row) if row else 0), (column_number(col) if col else 0)


def _check_extent(rows: int, columns: int, sheet: str, limits: Limits) -> None:
    if rows > limits.max_rows:
        raise LimitExceeded(f"the sheet reaches row {rows:,}, over the limit of "
                            f"{limits.max_rows:,} rows (max_rows)", where=sheet,
                            limit="max_rows")
    if columns > limits.max_columns:
        raise LimitExceeded(f"the sheet reaches column {columns:,}, over the limit of "
                            f"{limits.max_columns:,} columns (max_columns)", where=sheet,
                            limit="max_columns")
    if rows * columns > limits.max_cells:
        raise LimitExceeded(f"the sheet spans {rows * columns:,} cells, over the limit of "
                            f"{limits.max_cells:,} cells (max_cells)", where=sheet,
                            limit="max_cells")
