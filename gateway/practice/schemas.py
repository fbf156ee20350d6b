"""The API's shapes for practice data: what a caller sends (the PMS's ids are the keys) and
what it gets back (with the gateway's ids)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Rank = Annotated[int, msgspec.Meta(ge=1, le=3)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Name = Annotated[str, msgspec.Meta(max_length=100)]


class PatientIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pms_patient_id: Id
    account_number: Id | None = None
    last_name: Name | None = None
    first_name: Name | None = None
    dob: dt.date | None = None
    sex: Literal["M", "F", "U"] | None = None
    address_line1: Short | None = None
    address_line2: Short | None = None
    city: Name | None = None
    state: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    zip: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class PatientOut(msgspec.Struct, kw_only=True):
    id: int
    pms_patient_id: str | None
    account: str
    last_name: str | None
    first_name: str | None
    dob: dt.date | None
    sex: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    zip: str | None


class CoverageIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pms_patient_id: Id
    rank: Rank
    payer_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    payer_id: Id | None = None
    member_id: Id | None = None
    group_number: Id | None = None
    subscriber_name: Short | None = None
    subscriber_relationship: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


class CoverageOut(msgspec.Struct, kw_only=True):
    id: int
    patient_id: int
    rank: int
    payer_id: int
    member_id: str | None
    group_number: str | None
    subscriber_name: str | None
    subscriber_relationship: str | None
    effective_from: dt.date | None
    effective_to: dt.date | None


class AppointmentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pms_appointment_id: Id
    pms_patient_id: Id
    starts_at: dt.datetime
    status: Annotated[str, msgspec.Meta(min_length=1, max_length=30)] = "Scheduled"
    location: Short | None = None
    provider: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    pms_claim_id: Id | None = None


class AppointmentOut(msgspec.Struct, kw_only=True):
    id: int
    pms_appointment_id: str | None
    patient_id: int
    location_id: int | None
    starts_at: dt.datetime
    status: str
    provider: str | None
    pms_claim_id: str | None


class PmsClaimLineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    procedure_code: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    charge: Decimal
    modifiers: Annotated[list[str], msgspec.Meta(max_length=4)] = []
    units: Decimal = Decimal("1")
    diagnosis_pointers: Annotated[list[int], msgspec.Meta(max_length=4)] = []
    service_date: dt.date | None = None


class PmsClaimIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A claim keyed on the PMS's claim id and payer rank (created, or updated in place)."""

    pms_claim_id: Id
    pms_patient_id: Id
    service_date_from: dt.date
    lines: Annotated[list[PmsClaimLineIn], msgspec.Meta(min_length=1, max_length=50)]
    payer_rank: Rank = 1
    patient_control_number: Annotated[str, msgspec.Meta(min_length=1, max_length=38)] | None = (
        None
    )
    service_date_to: dt.date | None = None
    diagnosis_codes: Annotated[list[str], msgspec.Meta(max_length=12)] = []
    billing: Literal["electronic", "paper"] = "electronic"
    billed_by_pms: bool = False
    location: Short | None = None
