"""The Data Media ePayment file: one place for its layout (README.md shows it with an example).

No public specification exists; the layout is modelled on PaySimple's payment export (the
processor behind Data Media's payment portal) plus the statement and patient account the
payment was made against. A CSV file (UTF-8, comma separated, RFC 4180 quoting):

    HDR,DMEPAY,1,<client id>,<file date YYYY-MM-DD>
    PMT,<16 payment fields, PAYMENT_FIELDS below>
    ...
    TRL,<payment count>,<net total>

The trailer's total is credits minus debits of every PMT line (amounts are absolute, the
debit flag gives the direction). Anything that does not read (a trailer that disagrees with
the rows, an amount that is not whole cents, a status code that is not PaySimple's) rejects
the whole file with a `UserError` naming the file, line and field.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO, get_args

from gateway.core.errors import UserError
from gateway.core.records import StatementPayment, StatementPaymentStatus

FILE_TYPE = "DMEPAY"
LAYOUT_VERSION = "1"

# PaySimple's payment status codes (its API's Status field) and their names.
STATUS_CODES: dict[int, StatementPaymentStatus] = {
    0: "Pending",
    1: "Posted",
    2: "Settled",
    3: "Failed",
    5: "Voided",
    6: "Reversed",
    9: "ReversePosted",
    10: "ChargeBack",
    12: "Authorized",
    13: "Returned",
    15: "ReverseNSF",
    17: "RefundSettled",
}
assert set(STATUS_CODES.values()) == set(get_args(StatementPaymentStatus))

# The PMT line after its record type, in order. Names follow PaySimple's export.
PAYMENT_FIELDS = (
    "payment_id",  # PaySimple payment Id: the transaction id, unique, repeated on updates
    "status_code",  # STATUS_CODES key
    "status",  # its name; must agree with the code
    "payment_date",  # YYYY-MM-DD
    "estimated_settle_date",  # YYYY-MM-DD or blank
    "is_debit",  # 0 = money from the patient, 1 = money back to the patient
    "amount",  # absolute, two decimals: 25.00
    "payment_type",  # CC (card) or ACH
    "customer_id",  # PaySimple customer Id
    "customer_first_name",
    "customer_last_name",
    "authorization_trace",  # card authorization code or ACH trace number
    "invoice_number",  # Data Media's statement invoice number
    "statement_id",  # the statement the payment was made against
    "patient_account",  # the practice's patient account (chart) number on the statement
    "narration",  # PaySimple description, free text
)
METHODS = {"CC": "card", "ACH": "ach"}
_AMOUNT = re.compile(r"\d{1,9}\.\d{2}")
_SIGNED_AMOUNT = re.compile(r"-?\d{1,12}\.\d{2}")


@dataclass
class PaymentFile:
    """What a file holds: its header's client id and date, its payments, and their count and
    net total (credits minus debits), which the trailer agreed with."""

    client_id: str = ""
    file_date: dt.date | None = None
    payments: list[StatementPayment] = field(default_factory=list)
    count: int = 0
    total: Decimal = Decimal("0.00")


def _fail(name: str, line: int, field: str | None, why: str) -> UserError:
    where = f"{name}, line {line}" + (f", field {field}" if field else "")
    return UserError(why, where=where)


def _date(name: str, line: int, field: str, text: str, required: bool) -> dt.date | None:
    if not text:
        if required:
            raise _fail(name, line, field, "is blank; expected a date YYYY-MM-DD")
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _fail(name, line, field, f"{text!r} is not a date YYYY-MM-DD") from None


def _status(name: str, line: int, code: str, label: str) -> StatementPaymentStatus:
    if not code.isdigit() or int(code) not in STATUS_CODES:
        known = ", ".join(f"{k} {v}" for k, v in STATUS_CODES.items())
        raise _fail(name, line, "status_code", f"{code!r} is not a PaySimple status ({known})")
    status = STATUS_CODES[int(code)]
    if label and label.replace(" ", "").lower() != status.lower():
        raise _fail(name, line, "status", f"{label!r} does not match status code {code} "
                    f"({status})")
    return status


def _payment(name: str, line: int, cells: list[str]) -> StatementPayment:
    if len(cells) != len(PAYMENT_FIELDS):
        raise _fail(name, line, None, f"a PMT line has {len(PAYMENT_FIELDS)} fields after the "
                    f"record type, this one {len(cells)}")
    v = dict(zip(PAYMENT_FIELDS, (c.strip() for c in cells), strict=True))
    for required in ("payment_id", "patient_account"):
        if not v[required]:
            raise _fail(name, line, required, "is blank")
    if not _AMOUNT.fullmatch(v["amount"]) or Decimal(v["amount"]) == 0:
        raise _fail(name, line, "amount", f"{v['amount']!r} is not an absolute amount with two "
                    "decimals (like 25.00), more than zero")
    if v["is_debit"] not in ("0", "1"):
        raise _fail(name, line, "is_debit", f"{v['is_debit']!r}: expected 0 or 1")
    method = METHODS.get(v["payment_type"].upper())
    if method is None:
        raise _fail(name, line, "payment_type", f"{v['payment_type']!r}: expected CC or ACH")
    first, last = v["customer_first_name"], v["customer_last_name"]
    paid_on = _date(name, line, "payment_date", v["payment_date"], True)
    assert paid_on is not None
    return StatementPayment(
        row=line, transaction_id=v["payment_id"],
        status=_status(name, line, v["status_code"], v["status"]),
        patient_account=v["patient_account"], statement_id=v["statement_id"] or None,
        amount=Decimal(v["amount"]), debit=v["is_debit"] == "1", paid_on=paid_on,
        settle_on=_date(name, line, "estimated_settle_date", v["estimated_settle_date"], False),
        method=method, customer_id=v["customer_id"] or None,
        payer_name=" ".join(p for p in (first, last) if p) or None,
        trace_number=v["authorization_trace"] or None,
        invoice_number=v["invoice_number"] or None, narration=v["narration"] or None,
    )


def _header(name: str, line: int, cells: list[str], out: PaymentFile) -> None:
    if len(cells) < 4 or cells[0] != "HDR" or cells[1] != FILE_TYPE:
        raise _fail(name, line, None, f"not a Data Media ePayment file: expected a first line "
                    f"'HDR,{FILE_TYPE},{LAYOUT_VERSION},<client id>,<file date>'")
    if cells[2] != LAYOUT_VERSION:
        raise _fail(name, line, "version", f"layout version {cells[2]!r}; this gateway reads "
                    f"version {LAYOUT_VERSION}")
    out.client_id = cells[3]
    out.file_date = _date(name, line, "file_date", cells[4] if len(cells) > 4 else "", False)


def _check_trailer(name: str, line: int, cells: list[str], seen: PaymentFile) -> None:
    if len(cells) != 3:
        raise _fail(name, line, None, "the trailer is 'TRL,<count>,<total>'")
    count, total = cells[1].strip(), cells[2].strip()
    if not count.isdigit():
        raise _fail(name, line, "count", f"{count!r} is not a number")
    if not _SIGNED_AMOUNT.fullmatch(total):
        raise _fail(name, line, "total", f"{total!r} is not an amount with two decimals")
    if int(count) != seen.count:
        raise _fail(name, line, "count", f"the trailer says {count} payments, the file has "
                    f"{seen.count}")
    if Decimal(total) != seen.total:
        raise _fail(name, line, "total", f"the trailer says {total}, the payments add up to "
                    f"{seen.total} (credits minus debits)")


def iter_payments(name: str, lines: Iterable[str], seen: PaymentFile) -> Iterator[StatementPayment]:
    """Each payment of the file as it is read, one line at a time (nothing kept); `seen` gets
    the header and the running count and total. The trailer is checked when the generator
    is exhausted: a consumer acts on the payments only once it ran to the end."""
    trailer_at: int | None = None
    header_seen = False
    reader = csv.reader(lines)
    for cells in reader:
        line = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        if trailer_at is not None:
            raise _fail(name, line, None, f"a line after the trailer (line {trailer_at})")
        kind = cells[0].strip()
        if not header_seen:
            _header(name, line, [c.strip() for c in cells], seen)
            header_seen = True
        elif kind == "PMT":
            p = _payment(name, line, cells[1:])
            seen.count += 1
            seen.total += -p.amount if p.debit else p.amount
            yield p
        elif kind == "TRL":
            _check_trailer(name, line, cells, seen)
            trailer_at = line
        else:
            raise _fail(name, line, "record type", f"{kind!r}: expected HDR, PMT or TRL")
    if trailer_at is None:
        raise _fail(name, reader.line_num or 1, None, "no trailer (TRL line): the file is "
                    "incomplete")


def read_lines(name: str, lines: Iterable[str]) -> PaymentFile:
    """Every payment of the file with the header and the trailer-checked count and total
    (small files and tests; an import streams with `check_file` and `read_chunks`)."""
    seen = PaymentFile()
    seen.payments = list(iter_payments(name, lines, seen))
    return seen


class _Hashing(io.RawIOBase):
    """A binary file that hashes and counts every byte read through it."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self.sha256.update(memoryview(buffer)[:n])
            self.size += n
        return n


@contextmanager
def _located(name: str, path: str) -> Iterator[tuple[TextIO, _Hashing]]:
    """The spooled file opened as UTF-8 (a BOM allowed), with what was read of it (hash and
    size); undecodable text or broken CSV is a UserError naming the file."""
    with open(path, "rb") as raw:
        seen = _Hashing(raw)
        text = io.TextIOWrapper(io.BufferedReader(seen), encoding="utf-8-sig", newline="")
        try:
            yield text, seen
        except UnicodeDecodeError as exc:
            raise UserError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                            where=name) from None
        except csv.Error as exc:
            raise UserError(f"not readable as CSV: {exc}", where=name) from None
        finally:
            text.detach()  # the raw file is closed by its own `with`


def check_file(name: str, path: str) -> PaymentFile:
    """The header and the trailer-checked count and total, every line read and checked but
    no payment kept (the first pass: a file that does not read is known before anything of
    it is written)."""
    seen = PaymentFile()
    with _located(name, path) as (fh, _):
        for _ in iter_payments(name, fh, seen):
            pass
    return seen


def read_chunks(name: str, path: str, size: int, *, sha256: str | None = None,
                length: int | None = None) -> Iterator[list[StatementPayment]]:
    """The file's payments `size` at a time, read lazily (the second pass: memory is one
    chunk, whatever the file's length). The last chunk comes after the trailer check and,
    given the checked file's `sha256` and `length`, after the check that the bytes read now
    are those bytes: a spool file that changed between the passes is a UserError naming it,
    even when what it says now would read."""
    chunk: list[StatementPayment] = []
    with _located(name, path) as (fh, seen):
        for p in iter_payments(name, fh, PaymentFile()):
            chunk.append(p)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        fh.read()  # anything after the trailer (blank lines) counts in the hash too
    digest = seen.sha256.hexdigest()
    if (sha256 is not None and digest != sha256) or (length is not None and seen.size != length):
        raise UserError(f"the file changed after it was checked: {seen.size} bytes with "
                        f"sha256 {digest[:16]}..., the checked file was {length} bytes with "
                        f"sha256 {(sha256 or '')[:16]}...", where=name)
    if chunk:
        yield chunk


def read_file(name: str, path: str) -> PaymentFile:
    """`read_lines` over a spooled file (UTF-8, a BOM allowed)."""
    with _located(name, path) as (fh, _):
        return read_lines(name, fh)


def write_file(client_id: str, file_date: dt.date,
               rows: Iterable[dict[str, str]]) -> str:
    """A file in this layout (tests, demos, benchmarks): rows map PAYMENT_FIELDS to text."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["HDR", FILE_TYPE, LAYOUT_VERSION, client_id, file_date.isoformat()])
    count, total = 0, Decimal("0.00")
    for row in rows:
        w.writerow(["PMT", *(row.get(f, "") for f in PAYMENT_FIELDS)])
        count += 1
        amount = Decimal(row["amount"])
        total += -amount if row.get("is_debit") == "1" else amount
    w.writerow(["TRL", count, f"{total:.2f}"])
    return out.getvalue()
