"""The shapes claims are created in (API body, `gateway claims import` file) and shown in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]


class PatientIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    account: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    first_name: str | None = None
    last_name: str | None = None
    dob: dt.date | None = None


class ClaimLineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    procedure_code: Code
    charge: Decimal
    modifiers: Annotated[list[str], msgspec.Meta(max_length=4)] = []
    units: Decimal = Decimal("1")
    diagnosis_pointers: Annotated[list[int], msgspec.Meta(max_length=4)] = []
    copay: bool = False
    service_date: dt.date | None = None


class ClaimIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    patient: PatientIn
    service_date_from: dt.date
    lines: Annotated[list[ClaimLineIn], msgspec.Meta(min_length=1, max_length=50)]
    patient_control_number: Annotated[str, msgspec.Meta(min_length=1, max_length=38)] | None = (
        None
    )
    service_date_to: dt.date | None = None
    location_id: int | None = None
    appointment_id: int | None = None
    payer_id: int | None = None
    payer_rank: Annotated[int, msgspec.Meta(ge=1, le=3)] = 1
    billing: Literal["electronic", "paper"] = "electronic"
    diagnosis_codes: Annotated[list[str], msgspec.Meta(max_length=12)] = []
    status: str = "Open"
    level: str = "Primary"
    invoice_date: dt.date | None = None
    # the PMS's own claim / ticket number (CLM01 it billed with, CLP01 coming back)
    source_claim_id: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | None = None
    # True when the PMS already sent this claim to the payer: it is `billed` and never batched
    billed_by_pms: bool = False


StatusText = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]


class ClaimUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PATCH /api/claims/{id}: the workflow fields a biller may change (omitted = unchanged;
    `sub_status` and `invoice_date` may be set to null explicitly)."""

    status: StatusText | msgspec.UnsetType = msgspec.UNSET
    level: str | msgspec.UnsetType = msgspec.UNSET
    sub_status: StatusText | None | msgspec.UnsetType = msgspec.UNSET
    invoice_date: dt.date | None | msgspec.UnsetType = msgspec.UNSET


class ReleaseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /api/claims/{id}/release: what the biller corrected (kept in the audit log)."""

    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class ClaimLineOut(msgspec.Struct, kw_only=True):
    id: int
    line_number: int
    procedure_code: str
    modifiers: list[str]
    units: Decimal
    charge: Decimal
    diagnosis_pointers: list[int]
    copay: bool
    balances: dict[str, Decimal]


class ClaimOut(msgspec.Struct, kw_only=True):
    id: int
    patient_control_number: str | None
    patient_id: int
    patient_account: str
    location_id: int | None
    payer_id: int | None
    payer_rank: int
    service_date_from: dt.date
    service_date_to: dt.date | None
    billing: str
    level: str
    status: str
    sub_status: str | None
    invoice_date: dt.date | None
    diagnosis_codes: list[str]
    source_claim_id: str | None
    billing_state: str
    billed_by: str | None
    billed_at: dt.datetime | None
    rejection_reason: str | None
    origin: str
    charges: Decimal
    insurance_paid: Decimal
    adjustments: Decimal
    patient_paid: Decimal
    insurance_balance: Decimal
    patient_balance: Decimal
    balance: Decimal
    lines: list[ClaimLineOut] = []
