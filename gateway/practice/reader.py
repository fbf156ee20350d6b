"""The one practice-data reader the five PMS plugins and the hand imports share: a file's
bytes and a `FileLayout` -> the records of `gateway.core.records` and the row problems.

The format comes from the bytes (`gateway.aging.sources`: CSV/TSV, .xlsx, .xls, HTML or XML
spreadsheets) or is a JSON array of objects keyed by the canonical field names. The header is
the first of the top rows that shows every required field; a file without one cannot be read
and raises `UserError` (nothing of it is used). A row that cannot be read whole becomes a
`RowProblem` (file, row, column header, why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from itertools import chain, islice
from typing import Any

import msgspec

from gateway.aging.cells import cell_text
from gateway.aging.sources import open_file_tables, open_tables
from gateway.core.errors import UserError
from gateway.core.records import (
    AppointmentRecord,
    ClaimLineRecord,
    ClaimRecord,
    CoverageRecord,
    PatientRecord,
    RowProblem,
)
from gateway.practice.cells import CONVERTERS
from gateway.practice.layout import FIELDS, MAX_LENGTH, REQUIRED, FileLayout

HEADER_SEARCH_ROWS = 20
MAX_PROBLEMS = 1000
CHUNK = 2000  # records per chunk of a streamed file
Record = PatientRecord | CoverageRecord | AppointmentRecord | ClaimRecord


class _Rows:
    """Converted rows of one file, with the problems found on the way."""

    def __init__(self, layout: FileLayout, name: str, today: dt.date) -> None:
        self.layout, self.name, self.today = layout, name, today
        self.problems: list[RowProblem] = []
        # lines numbered so far per claim, kept only for a claims file without line numbers
        # (a claim's lines continue their numbering in a later chunk)
        self.lines_before: dict[tuple[str, int], int] = {}
        self.numbered = True

    def next_line(self, key: tuple[str, int], in_chunk: int) -> int:
        self.numbered = False
        return self.lines_before.get(key, 0) + in_chunk + 1

    def count_lines(self, lines: dict[tuple[str, int], list]) -> None:
        if not self.numbered:
            for key, own in lines.items():
                self.lines_before[key] = self.lines_before.get(key, 0) + len(own)

    def problem(self, row: int | None, column: str | None, why: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(RowProblem(row, column, why, self.name))

    def plan(self, header: list[Any]) -> dict[str, tuple[int, str]]:
        """field -> (column index, header text); the first column of a field wins."""
        found: dict[str, tuple[int, str]] = {}
        for i, cell in enumerate(header):
            name = self.layout.field_of(cell_text(cell))
            if name is not None and name not in found:
                found[name] = (i, cell_text(cell))
        return found

    def convert(self, n: int, cells: list[Any], plan: dict[str, tuple[int, str]]) -> dict | None:
        """The row's fields as values; None (and problems) when a cell cannot be read or a
        required one is blank."""
        fields = FIELDS[self.layout.kind]
        values: dict[str, Any] = {}
        ok = True
        for name, (col, header) in plan.items():
            cell = cells[col] if col < len(cells) else None
            try:
                value = CONVERTERS[fields[name][0]](cell, self.today)
            except (ValueError, ArithmeticError) as exc:
                self.problem(n, header, str(exc))
                ok = False
                continue
            why = _refused_text(value, MAX_LENGTH.get(name))
            if why is not None:
                self.problem(n, header, why)
                ok = False
                continue
            if value is not None:
                values[name] = value
        for name in REQUIRED[self.layout.kind]:
            if name in plan and name not in values and ok:
                self.problem(n, plan[name][1], "required, but blank")
                ok = False
        return values if ok else None


def _table(source: bytes | str, name: str) -> Iterator[tuple[int, list[Any]]]:
    """The rows of the file's first table (`source`: its bytes, or the path of a local copy,
    streamed when it is text), or of a JSON array of objects (one header row of the keys,
    then one row per object)."""
    if isinstance(source, str):
        with open(source, "rb") as fh:
            is_json = fh.read(4096).lstrip()[:1] == b"["
        if is_json:
            with open(source, "rb") as fh:
                source = fh.read()
    if isinstance(source, bytes) and source.lstrip()[:1] == b"[":
        try:
            objects = msgspec.json.decode(source, type=list[dict[str, Any]])
        except msgspec.ValidationError as exc:
            raise UserError(f"not a JSON array of objects: {exc}", where=name) from exc
        except msgspec.DecodeError as exc:
            raise UserError(f"not JSON: {exc}", where=name) from exc
        keys = list(dict.fromkeys(k for obj in objects for k in obj))
        yield 1, list(keys)
        for i, obj in enumerate(objects, start=2):
            yield i, [_json_cell(obj.get(k)) for k in keys]
        return
    try:
        tables = open_file_tables(source) if isinstance(source, str) else open_tables(source)
        sheet = next(iter(tables))
        yield from sheet.rows
    except UserError as exc:
        raise UserError(str(exc), where=name) from exc
    except StopIteration:
        raise UserError("the file has no table", where=name) from None


def _json_cell(value: Any) -> Any:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def read_rows(layout: FileLayout, name: str, content: bytes | str,
              today: dt.date | None = None) -> tuple[Iterator[tuple[int, dict]], _Rows]:
    """The converted rows (row number, fields) of a file (its bytes or a local path) and the
    problem collector."""
    state = _Rows(layout, name, today or dt.date.today())
    rows = _table(content, name)
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    required = REQUIRED[layout.kind]
    found = next(
        ((i, plan) for i, (_, cells) in enumerate(head)
         if all(r in (plan := state.plan(cells)) for r in required)),
        None,
    )
    if found is None:
        shown = ", ".join(repr(cell_text(c)) for c in (head[0][1] if head else [])[:12] if c)
        wanted = ", ".join(repr(layout.header_of(r)) for r in required)
        raise UserError(
            f"no header row for {layout.kind}: expected columns {wanted}; "
            f"found {shown or 'nothing'}",
            where=name,
        )
    index, plan = found

    def body() -> Iterator[tuple[int, dict]]:
        for n, cells in chain(head[index + 1:], rows):
            if not any(cell_text(c) for c in cells):
                continue
            values = state.convert(n, cells, plan)
            if values is not None:
                yield n, values

    return body(), state


def read_records(layout: FileLayout, name: str, content: bytes,
                 today: dt.date | None = None) -> tuple[list[Record], list[RowProblem]]:
    """All the records of one file, and its row problems (duplicate keys are problems too)."""
    rows, state = read_rows(layout, name, content, today)
    build = _BUILDERS[layout.kind]
    records = build(rows, state)
    return records, state.problems


def _refused_text(value: Any, limit: int | None) -> str | None:
    """Why a text value cannot be stored (PostgreSQL refuses a NUL character, and a COPY
    reaches no bounds check: gateway.db.bounds), or None."""
    if not isinstance(value, str):
        return None
    if "\x00" in value:
        return "holds a NUL character"
    if limit is not None and len(value) > limit:
        return f"longer than {limit} characters"
    return None


def read_chunks(layout: FileLayout, name: str, source: bytes | str, size: int = CHUNK,
                today: dt.date | None = None) -> tuple[Iterator[list[Record]], _Rows]:
    """The records of one file in chunks of about `size` (a claim's adjacent lines are never
    split between chunks), and its problem collector. Duplicates are found within a chunk
    here; across chunks by the caller (`gateway.practice.staging`). The header is read (and
    an unreadable file raises) before this returns."""
    rows, state = read_rows(layout, name, source, today)
    build = _BUILDERS[layout.kind]
    claim_key = layout.kind == "claims"

    def chunks() -> Iterator[list[Record]]:
        batch: list[tuple[int, dict]] = []
        for item in rows:
            if len(batch) >= size and (not claim_key or _claim_key(item[1])
                                       != _claim_key(batch[-1][1])):
                yield build(iter(batch), state)
                batch = []
            batch.append(item)
        if batch:
            yield build(iter(batch), state)

    return chunks(), state


def _claim_key(values: dict) -> tuple[str, int]:
    return values["pms_claim_id"], values.get("payer_rank", 1)


def _keyed(rows: Iterator[tuple[int, dict]], state: _Rows, make: Callable[..., Record],
           key: Callable[[dict], Any], field: str) -> list[Record]:
    """One record per row, a later row repeating a key being a problem (at `field`)."""
    out: list[Record] = []
    seen: dict[Any, int] = {}
    for n, v in rows:
        if not _duplicate(seen, key(v), n, state, field):
            out.append(make(row=n, **v))
    return out


def _patients(rows: Iterator[tuple[int, dict]], state: _Rows) -> list[Record]:
    return _keyed(rows, state, PatientRecord, lambda v: v["pms_patient_id"], "pms_patient_id")


def _ranked(v: dict) -> tuple[str, int]:
    v.setdefault("rank", 1)
    return v["pms_patient_id"], v["rank"]


def _coverages(rows: Iterator[tuple[int, dict]], state: _Rows) -> list[Record]:
    return _keyed(rows, state, CoverageRecord, _ranked, "rank")


def _timed(v: dict) -> Any:
    clock = v.pop("appointment_time", None)
    if clock is not None:
        v["starts_at"] = dt.datetime.combine(v["starts_at"].date(), clock, dt.UTC)
    return v["pms_appointment_id"]


def _appointments(rows: Iterator[tuple[int, dict]], state: _Rows) -> list[Record]:
    return _keyed(rows, state, AppointmentRecord, _timed, "pms_appointment_id")


_LINE_FIELDS = {"line_number", "procedure_code", "modifiers", "units", "charge",
                "diagnosis_pointers", "line_service_date"}


def _claims(rows: Iterator[tuple[int, dict]], state: _Rows) -> list[Record]:
    """Claim-line rows grouped into claims by (claim id, payer rank), in first-seen order; the
    claim's own fields come from its first row, and a later row disagreeing is a problem."""
    heads: dict[tuple[str, int], dict] = {}
    lines: dict[tuple[str, int], list[ClaimLineRecord]] = {}
    for n, v in rows:
        key = (v["pms_claim_id"], v.get("payer_rank", 1))
        line = {k: v.pop(k) for k in list(v) if k in _LINE_FIELDS}
        head = heads.setdefault(key, {"row": n, **v})
        differs = [f for f in ("pms_patient_id", "service_date_from") if head.get(f) != v.get(f)]
        if differs:
            state.problem(n, state.layout.header_of(differs[0]),
                          f"claim {key[0]}'s lines disagree (row {head['row']} has another "
                          f"{differs[0]})")
            continue
        if line["charge"] < 0:
            state.problem(n, state.layout.header_of("charge"), "a charge cannot be negative")
            continue
        own = lines.setdefault(key, [])
        number = line.pop("line_number", None) or state.next_line(key, len(own))
        if any(existing.line_number == number for existing in own):
            state.problem(n, state.layout.header_of("line_number"),
                          f"line {number} of claim {key[0]} appears twice")
            continue
        line["service_date"] = line.pop("line_service_date", None)
        own.append(ClaimLineRecord(line_number=number, **line))
    state.count_lines(lines)
    return [
        ClaimRecord(lines=tuple(sorted(lines[key], key=lambda x: x.line_number)), **head)
        for key, head in heads.items() if key in lines
    ]


def _duplicate(seen: dict, key: Any, n: int, state: _Rows, field: str) -> bool:
    first = seen.setdefault(key, n)
    if first != n:
        state.problem(n, state.layout.header_of(field), f"repeats the record of row {first}")
        return True
    return False


_BUILDERS = {"patients": _patients, "coverages": _coverages, "appointments": _appointments,
             "claims": _claims}
