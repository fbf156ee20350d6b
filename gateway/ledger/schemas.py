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
    diagnosis_codes: list[str]
    charges: Decimal
    insurance_paid: Decimal
    adjustments: Decimal
    patient_paid: Decimal
    insurance_balance: Decimal
    patient_balance: Decimal
    balance: Decimal
    lines: list[ClaimLineOut] = []
