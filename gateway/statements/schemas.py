"""Statement ePayment shapes: what the API and the CLI take in and show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

Ids = Annotated[list[int], msgspec.Meta(min_length=1, max_length=1000)]


class FileResult(msgspec.Struct, kw_only=True):
    """What became of one payment file. `status`: imported, duplicate (this content was
    imported before: nothing changed) or rejected (`why` says file, line, field and why;
    nothing of it was written)."""

    imported_file_id: int | None
    name: str
    status: Literal["imported", "duplicate", "rejected"]
    why: str | None = None
    payments: int = 0
    new_payments: int = 0
    new_statuses: int = 0
    posted: int = 0
    reversed: int = 0
    unprocessed: int = 0
    deposit_id: int | None = None


class RunResult(msgspec.Struct, kw_only=True):
    """One fetch of a connector: the files seen and what became of each."""

    seen: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    files: list[FileResult] = []


class EventOut(msgspec.Struct, kw_only=True):
    status: str
    reported_on: dt.date
    imported_file_id: int | None
    file_row: int | None
    deposit_id: int | None
    outcome: str
    at: dt.datetime


class PaymentOut(msgspec.Struct, kw_only=True):
    """A payment as the Statement ePayments view lists it: what it became and why."""

    id: int
    transaction_id: str
    status: str
    state: str
    reason: str | None
    patient_account: str
    patient_id: int | None
    statement_id: str | None
    amount: Decimal
    debit: bool
    paid_on: dt.date
    settle_on: dt.date | None
    method: str
    trace_number: str | None
    receipt_id: int | None
    reversal_receipt_id: int | None
    reviewed_at: dt.datetime | None
    reviewed_by: str | None


class PaymentDetail(PaymentOut, kw_only=True):
    history: list[EventOut] = []


class PaymentSearch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """No dates: the unprocessed payments not yet reviewed. A date range (payment date):
    every payment of the range, processed ones too, with what each became."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    state: str | None = None
    patient_account: str | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 500
    offset: Annotated[int, msgspec.Meta(ge=0)] = 0


class ReviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ids: Ids


class ReviewResult(msgspec.Struct, kw_only=True):
    reviewed: list[int]
    already_reviewed: list[int] = []


class StatementIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A statement mailed to a patient, so its ePayments can be tied to it."""

    statement_id: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    patient_account: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    statement_date: dt.date | None = None
    amount_due: Decimal | None = None


def summary(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(obj)
    return out


class RetryResult(msgspec.Struct, kw_only=True):
    """Post again: the payments now posted, and those still unprocessed (see their reason)."""

    posted: list[int]
    still_unprocessed: list[int] = []
