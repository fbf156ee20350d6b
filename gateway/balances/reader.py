"""The one reader of PMS balance exports (CSV): a vendor's `BalanceLayout` in, the export
streamed in chunks out (`CsvBalanceStream`), or read whole (`read_balances`).

A file that is not the vendor's export at all (no header row with the required columns, not
text, an amount or date that cannot be read) is a `UserError` naming file, row and field:
nothing of it is used. A row that reads but does not add up (buckets against the total,
portions against the total) is a `BalanceProblem`: the core keeps that account as it was.

Speed: a line is first only split and fingerprinted (CRC-32 and Adler-32 of its text, keyed
by the layout's column map: 63 bits, and any small edit of a line changes its CRC); the core
parses amounts and dates only of lines whose fingerprint it has not stored, so an unchanged
re-sync costs about one CSV split. A line without a quote character is split with
`str.split` (exactly what the csv module would make of it); one with quotes goes through the
csv module. Amounts in the plain form ("1234.56") take a fast path, everything else
`parse_money`; dates are parsed once per distinct text.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import re
import zlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from operator import itemgetter
from typing import Any, BinaryIO

from gateway.aging.reader import parse_date
from gateway.balances.claims import parse_claims
from gateway.balances.layout import (
    BUCKET_FIELDS,
    CLAIMS_FIELD,
    DATE_FIELDS,
    MONEY_FIELDS,
    REQUIRED,
    TEXT_FIELDS,
    BalanceLayout,
)
from gateway.core.errors import UserError
from gateway.core.money import CENT, ZERO, parse_money
from gateway.core.records import BalanceLine, BalanceProblem, BalanceRow, BalanceSnapshot

HEADER_SEARCH_ROWS = 20
CHUNK = 5000
READER_VERSION = b"balances-csv-1"  # bump when parsing changes: stored fingerprints then miss
_PLAIN_MONEY = re.compile(r"\d{1,13}(?:\.\d{0,2})?")
_PLAIN_AMOUNTS = re.compile(r"(?:\d{1,13}(?:\.\d{0,2})?)?(?:\x1f(?:\d{1,13}(?:\.\d{0,2})?)?)*")
_SCAN = 1 << 20
BLOCK = 1 << 20  # bytes of lines read at once
_HIGH_BIT = 1 << 31
_FIRST_BYTE = itemgetter(0)


class CsvBalanceStream:
    """One spooled CSV export of one vendor layout, read in chunks of `CHUNK` lines.

    The header is found (and the encoding decided) when the stream is made, so an export that
    is not the vendor's fails in the plugin, before the core starts."""

    def __init__(self, layout: BalanceLayout, name: str, path: str, *,
                 remove: bool = False) -> None:
        self.layout, self.name, self.path, self.remove = layout, name, path, remove
        self.encoding = _encoding(name, path)
        # lines past the first are decoded without the BOM check (a C codec, not a wrapper)
        self.line_encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        with open(path, encoding=self.encoding, newline="") as fh:
            self.columns, self.header_row = _find_header(layout, name, csv.reader(
                fh, delimiter=layout.delimiter))
        self._plan = _ParsePlan(self.columns)
        layout_key = READER_VERSION + repr(sorted(self.columns.items())).encode()
        self._seeds = (zlib.crc32(layout_key), zlib.adler32(layout_key))
        self._today = dt.date.today()
        self._dates: dict[str, dt.date | None] = {}

    def chunks(self) -> Iterator[list[BalanceLine]]:
        with self._body() as fh:
            number = self.header_row
            while (block := _next_block(fh)) is not None:
                lines = self._lines(*block, number)
                number += len(lines)
                for start in range(0, len(lines), CHUNK):
                    chunk = [line for line in lines[start:start + CHUNK] if line[1]]
                    if len(chunk) < len(lines[start:start + CHUNK]):
                        chunk = self._blank_or_error(lines[start:start + CHUNK])
                    if chunk:
                        yield chunk

    def digest(self) -> tuple[int, int, int]:
        """The lines with an account, and the sums of their fingerprints' high and low 32
        bits (`gateway.balances.unchanged`), the same as summing `chunks()` but in C loops
        over a block of plain lines whose account (the first column) is never empty."""
        count = high = low = 0
        crc_seed, adler_seed = self._seeds
        starts = self.layout.delimiter.encode() + b"\r\n \t"
        plain_ok = self._plan.account == 0 and len(starts) == 5  # a one-byte delimiter
        with self._body() as fh:
            number = self.header_row
            while (block := _next_block(fh)) is not None:
                raws, quoted = block
                if quoted or not plain_ok or _may_lack_first_cell(raws, starts):
                    lines = self._lines(raws, quoted, number)
                    number += len(lines)
                    kept = self._blank_or_error(lines)
                    count += len(kept)
                    high += sum(line[2] >> 32 for line in kept)
                    low += sum(line[2] & 0xFFFFFFFF for line in kept)
                    continue
                number += len(raws)
                count += len(raws)
                adlers = list(map(zlib.adler32, raws, itertools.repeat(adler_seed)))
                high += sum(adlers) - (sum(map(_HIGH_BIT.__le__, adlers)) << 31)
                low += sum(map(zlib.crc32, raws, itertools.repeat(crc_seed)))
        return count, high, low

    @contextlib.contextmanager
    def _body(self) -> Iterator[BinaryIO]:
        """The file open at the first line after the header row."""
        with open(self.path, "rb") as fh:
            texts = (raw.decode(self.encoding) for raw in fh)
            preamble = csv.reader(texts, delimiter=self.layout.delimiter)
            for _ in range(self.header_row):  # the csv module reads a record's lines only
                next(preamble)
            yield fh

    def _lines(self, raws: list[bytes], quoted: bool, number: int) -> list[BalanceLine]:
        return self._quoted_lines(raws, number) if quoted else self._plain_lines(raws, number)

    def _plain_lines(self, raws: list[bytes], number: int) -> list[BalanceLine]:
        """Lines without a quote: exactly what the csv module would split, far cheaper (only
        the account is split out; the rest waits for `parse`)."""
        at, split_at = self._plan.account, self.layout.delimiter.encode()
        encoding = self.line_encoding
        crc_seed, adler_seed = self._seeds
        crc32, adler32 = zlib.crc32, zlib.adler32
        return [(n, parts[at].strip().decode(encoding) if at < len(parts) else "",
                 ((adler32(raw, adler_seed) & 0x7FFFFFFF) << 32) | crc32(raw, crc_seed), raw)
                for n, raw, parts in zip(itertools.count(number + 1), raws,
                                         (r.split(split_at, at + 1) for r in raws))]

    def _quoted_lines(self, raws: list[bytes], number: int) -> list[BalanceLine]:
        """A block with quotes: lines without one go as plain lines do; a quoted record (maybe
        over several lines) is split by the csv module. Either way the fingerprint digests
        the record's bytes, so a line's fingerprint never depends on its neighbours."""
        lines: list[BalanceLine] = []
        pending: list[bytes] = []
        for raw in raws:
            if not pending and b'"' not in raw:
                lines += self._plain_lines([raw], number + len(lines))
                continue
            pending.append(raw)
            record = b"".join(pending)
            if record.count(b'"') % 2 and raw is not raws[-1]:
                continue  # a quoted cell goes on to the next line
            pending = []
            rows = list(csv.reader(io.StringIO(record.decode(self.line_encoding), newline=""),
                                   delimiter=self.layout.delimiter))
            for cells in rows:
                data = record if len(rows) == 1 else "\x1f".join(cells).encode()
                lines.append((number + len(lines) + 1, self._account_of(cells),
                              self._fingerprint(data), cells))
        return lines

    def _account_of(self, cells: list[str]) -> str:
        at = self._plan.account
        return cells[at].strip() if at < len(cells) else ""

    def _fingerprint(self, data: bytes) -> int:
        crc_seed, adler_seed = self._seeds
        return ((zlib.adler32(data, adler_seed) & 0x7FFFFFFF) << 32) | zlib.crc32(data, crc_seed)

    def _blank_or_error(self, lines: list[BalanceLine]) -> list[BalanceLine]:
        """Lines with no account are blank lines (skipped) or a located error."""
        kept = []
        for line in lines:
            if line[1]:
                kept.append(line)
                continue
            payload = line[3]
            text = payload.decode(self.line_encoding) if isinstance(payload, bytes) else "".join(
                payload)
            if text.replace(self.layout.delimiter, "").strip():
                raise UserError("the account is empty",
                                where=f"{self.name}, row {line[0]}, field account")
        return kept

    def parse(self, line: BalanceLine) -> tuple[BalanceRow, BalanceProblem | None]:
        number, account, _, payload = line
        plan = self._plan
        if isinstance(payload, bytes):
            cells = payload.decode(self.line_encoding).rstrip("\r\n").split(self.layout.delimiter)
        else:
            cells = list(payload)
        if len(cells) < plan.width:
            cells += [""] * (plan.width - len(cells))
        values: dict[str, Any] = {"account": account}
        for name, at in plan.text:
            values[name] = cells[at].strip() or None
        amounts = plan.amount_cells(cells)
        if _PLAIN_AMOUNTS.fullmatch("\x1f".join(amounts)):  # all plain: no check can fail
            parsed = [Decimal(c).quantize(CENT) if c else ZERO for c in amounts]
        else:
            parsed = [self._money(c, number, name)
                      for c, name in zip(amounts, plan.amount_names, strict=True)]
        if plan.folded:
            for name, amount in zip(plan.amount_names, parsed, strict=True):
                values[name] = values[name] + amount if name in values else amount
        else:
            values.update(zip(plan.amount_names, parsed, strict=True))
        for name, at in plan.dates:
            values[name] = self._date(cells[at], number, name)
        if plan.claims is not None and cells[plan.claims].strip():
            values["claims"] = parse_claims(
                cells[plan.claims], f"{self.name}, row {number}, field claims",
                lambda text: self._date(text, number, "claims"))
        row = BalanceRow(**values)
        return row, check_row(row, number)

    def _money(self, cell: str, number: int, name: str) -> Decimal:
        if not cell:
            return ZERO
        if _PLAIN_MONEY.fullmatch(cell):
            return Decimal(cell).quantize(CENT)
        return parse_money(cell, where=f"{self.name}, row {number}, field {name}")

    def _date(self, cell: str, number: int, name: str) -> dt.date | None:
        try:
            return self._dates[cell]
        except KeyError:
            pass
        try:
            value = parse_date(cell, self._today)
        except ValueError as exc:
            raise UserError(str(exc), where=f"{self.name}, row {number}, field {name}") from exc
        if len(self._dates) < 10_000:
            self._dates[cell] = value
        return value

    def close(self) -> None:
        if self.remove:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


def _next_block(fh: BinaryIO) -> tuple[list[bytes], bool] | None:
    """About `BLOCK` bytes of whole records, and whether any has a quote character."""
    raws = fh.readlines(BLOCK)
    if not raws:
        return None
    if b'"' not in b"".join(raws):
        return raws, False
    while b"".join(raws).count(b'"') % 2 and (more := fh.readline()):
        raws.append(more)  # a quoted cell goes on: take the rest of it
    return raws, True


def _may_lack_first_cell(raws: list[bytes], starts: bytes) -> bool:
    """Whether a line of the block may start with an empty first cell (a blank line, or one
    without an account: its first byte is one of `starts`); only those need the exact look."""
    firsts = bytes(map(_FIRST_BYTE, raws))
    return any(start in firsts for start in starts)


class _ParsePlan:
    """Which cells feed which canonical field (bucket fields may fold several columns)."""

    def __init__(self, columns: dict[int, str]) -> None:
        by_field: dict[str, list[int]] = {}
        for at, name in sorted(columns.items()):
            by_field.setdefault(name, []).append(at)
        self.account = by_field["account"][0]
        self.text = [(n, by_field[n][0]) for n in TEXT_FIELDS[1:] if n in by_field]
        slots = [(n, at) for n in MONEY_FIELDS if n in by_field for at in by_field[n][:1]]
        slots += [(n, at) for n in BUCKET_FIELDS if n in by_field for at in by_field[n]]
        self.amount_names = [n for n, _ in slots]
        indexes = [at for _, at in slots]
        self.amount_cells: Callable[[list[str]], tuple[str, ...]] = (
            itemgetter(*indexes) if len(indexes) > 1 else lambda cells: (cells[indexes[0]],))
        self.folded = len(set(self.amount_names)) < len(self.amount_names)
        self.dates = [(n, by_field[n][0]) for n in DATE_FIELDS if n in by_field]
        self.claims = by_field[CLAIMS_FIELD][0] if CLAIMS_FIELD in by_field else None
        self.width = max(columns) + 1


def read_balances(layout: BalanceLayout, name: str, path: str) -> BalanceSnapshot:
    """The whole export parsed in memory (tests, benchmarks, small files): rows in file order,
    problems beside them."""
    stream = CsvBalanceStream(layout, name, path)
    rows: list[BalanceRow] = []
    problems: list[BalanceProblem] = []
    seen: dict[str, int] = {}
    for chunk in stream.chunks():
        for line in chunk:
            first = seen.setdefault(line[1], line[0])
            if first != line[0]:
                raise UserError(f"account {line[1]} appears again (first on row {first})",
                                where=f"{name}, row {line[0]}, field account")
            row, problem = stream.parse(line)
            rows.append(row)
            if problem is not None:
                problems.append(problem)
    return BalanceSnapshot(source_name=name, sha256=file_sha256(path), rows=rows,
                           problems=problems)


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_SCAN):
            digest.update(block)
    return digest.hexdigest()


def _encoding(name: str, path: str) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes so, else cp1252; a NUL byte
    means it is not a text export. Read in blocks, never whole."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                while block := fh.read(_SCAN):
                    if b"\x00" in block:
                        raise UserError("not a text (CSV) export", where=name)
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
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


def check_row(row: BalanceRow, number: int) -> BalanceProblem | None:
    """Buckets, and portions when given, must add up to the total."""
    buckets = (row.bucket_0_30 + row.bucket_31_60 + row.bucket_61_90 + row.bucket_91_120
               + row.bucket_120_plus)
    if buckets != row.total:
        return BalanceProblem(row=number, account=row.account, field="buckets",
                              message=f"buckets add up to {buckets}, the balance is {row.total}")
    portions = row.patient_portion + row.insurance_portion
    if portions != row.total:
        return BalanceProblem(row=number, account=row.account, field="portions",
                              message=f"portions add up to {portions}, the balance is {row.total}")
    return None
