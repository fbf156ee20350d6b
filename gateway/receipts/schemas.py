"""Receipt shapes: what the API and CLI take in and show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from gateway.receipts.enums import Behaviour, HoldSetBy, Method, ReceiptStatus, Source

Text80 = Annotated[str, msgspec.Meta(max_length=80)]


class ReceiptIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new receipt. The patient is given by chart number (`patient_account`) or id; a chart
    number that matches no patient makes a receipt with the patient not known (an Error for a
    biller to resolve), not a refusal."""

    received_on: dt.date
    amount: Decimal
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=60)] = "General Payment"
    method: Annotated[str, msgspec.Meta(min_length=1, max_length=30)] = "cash"
    source: Source = Source.FRONT_DESK
    patient_account: Text80 | None = None
    patient_id: int | None = None
    check_number: Text80 | None = None
    statement_id: Text80 | None = None
    payer_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    location_id: int | None = None
    appointment_id: int | None = None


class ApplicationOut(msgspec.Struct, kw_only=True):
    id: int
    claim_id: int
    claim_line_id: int
    line_number: int
    procedure_code: str
    amount: Decimal
    credit: bool
    applied_by: str
    applied_at: dt.datetime
    reversed_at: dt.datetime | None


class MessageOut(msgspec.Struct, kw_only=True):
    at: dt.datetime
    actor: str
    status: ReceiptStatus
    text: str


class ReceiptOut(msgspec.Struct, kw_only=True):
    id: int
    patient_id: int | None
    patient_account: str | None
    received_on: dt.date
    type: str
    behaviour: Behaviour
    method: Method
    source: Source
    check_number: str | None
    statement_id: str | None
    payer_name: str | None
    comment: str | None
    location_id: int | None
    appointment_id: int | None
    amount: Decimal
    applied: Decimal
    unapplied: Decimal
    status: ReceiptStatus
    status_reason: str | None
    hold_until: dt.date | None
    hold_set_by: HoldSetBy | None
    reversal_of_id: int | None
    created_by: str
    created_at: dt.datetime


class ReceiptDetail(ReceiptOut, kw_only=True):
    applications: list[ApplicationOut] = []
    messages: list[MessageOut] = []


# a search filter as typed by a person: bounded, no control characters
FilterText = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class ReceiptSearch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Search filters. With no `status` the Error queue is shown; `["all"]` shows every status."""

    status: Annotated[list[FilterText], msgspec.Meta(max_length=20)] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    chart_number: FilterText | None = None
    patient: FilterText | None = None  # part of the patient's first or last name
    payer: FilterText | None = None  # part of who paid
    amount: Decimal | None = None
    receipt_id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)] | None = None
    type: FilterText | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 100
    offset: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)] = 0


class ReconcileIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ids: list[int] = []
    all: bool = False


class ReconcileResult(msgspec.Struct, kw_only=True):
    """What a reconciliation did: counts by the status receipts ended in, the receipts it
    skipped (not New or Hold) and, for selected receipts, each one's outcome."""

    considered: int = 0
    completed: int = 0
    hold: int = 0
    error: int = 0
    unchanged: int = 0
    applied: Decimal = Decimal("0.00")
    applications: int = 0
    skipped: list[dict[str, object]] = []
    results: list[dict[str, object]] = []


class StatusChangeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ids: Annotated[list[int], msgspec.Meta(min_length=1)]
    status: Literal["New", "Hold", "Ignore", "Error"]
    hold_until: dt.date | None = None


class HoldIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    until: dt.date | None = None
    next_appointment: bool = False


class ManualApplicationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    claim_line_id: int
    amount: Decimal
    credit: bool = False  # allow going beyond the line's patient balance, as a credit


class ApplyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    applications: Annotated[list[ManualApplicationIn], msgspec.Meta(min_length=1)]


class IdsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ids: Annotated[list[int], msgspec.Meta(min_length=1)]


class ReceiptTypeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    behaviour: Behaviour


class ReceiptTypeOut(msgspec.Struct, kw_only=True):
    id: int | None  # None for a built-in type
    name: str
    behaviour: Behaviour
    builtin: bool


class RowProblem(msgspec.Struct, kw_only=True):
    row: int
    field: str
    message: str


class ImportResult(msgspec.Struct, kw_only=True):
    rows: int = 0
    created: list[int] = []
    duplicates: list[int] = []  # row numbers already imported before
    problems: list[RowProblem] = []
    patient_not_known: list[int] = []  # row numbers whose chart number matched no patient
    reconcile: ReconcileResult | None = None
