"""Request and response shapes of the posting domain (API bodies, CLI JSON)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Money = Decimal
ResolveAction = Literal[
    "link_claim", "link_procedure", "payment_type", "allocate", "exclude", "ignore",
    "link_payer", "set_trace",
]


class DepositOut(msgspec.Struct, kw_only=True):
    id: int
    type: str
    status: str
    posted_status: str
    deposit_date: dt.date
    issued_date: dt.date | None
    created_at: dt.datetime | None
    check_trace_id: str | None
    payer_id: int | None
    payer: str | None  # the practice payer's name, else the ERA's
    era_payer_name: str | None
    era_payer_id: str | None
    payment_method: str | None
    payment_type: str | None
    amount: Decimal
    owner: str | None
    era_id: str | None
    file_name: str | None
    imported_file_id: int | None
    duplicate_of_id: int | None
    claims: int
    posted_claims: int
    payments: Decimal  # sum of claim payments (not excluded)
    adjustments: Decimal  # the claims' adjustments that change balances (write-offs...)
    plb_adjustments: Decimal  # provider-level adjustments (PLB)
    exclusions: Decimal  # payments of excluded claims
    difference: Decimal  # amount - (payments + exclusions - plb_adjustments)
    open_errors: int


class AdjustmentOut(msgspec.Struct, kw_only=True):
    id: int
    level: str
    group: str
    reason: str
    amount: Decimal
    payment_type: str | None
    payment_type_source: str | None
    reference: str | None = None
    allocations: dict[str, str] | None = None
    applied: bool = False
    plb_claim_id: int | None = None


class ProcedureOut(msgspec.Struct, kw_only=True):
    id: int
    sequence: int
    procedure_code: str
    modifiers: list[str]
    original_code: str | None
    charged: Decimal
    paid: Decimal
    allowed: Decimal | None
    units: Decimal | None
    claim_line_id: int | None
    excluded: bool
    adjustments: list[AdjustmentOut]


class DepositClaimOut(msgspec.Struct, kw_only=True):
    id: int
    sequence: int
    claim_xref: str
    claim_id: int | None
    match_method: str | None
    payer_claim_number: str | None
    remit_status: str
    charged: Decimal
    paid: Decimal
    allowed: Decimal | None
    deductible: Decimal
    coinsurance: Decimal
    copay: Decimal
    adjustments: Decimal
    denied: Decimal
    information: Decimal
    patient_responsibility: Decimal
    excluded: bool
    state: str
    credit: bool
    result_level: str | None
    result_status: str | None
    result_sub_status: str | None
    crossover_payer_name: str | None
    claim_adjustments: list[AdjustmentOut]
    procedures: list[ProcedureOut]


class DepositDetail(msgspec.Struct, kw_only=True):
    deposit: DepositOut
    claims: list[DepositClaimOut]
    provider_adjustments: list[AdjustmentOut]
    errors: list[PostingErrorOut]


class PostingErrorOut(msgspec.Struct, kw_only=True):
    id: int
    deposit_id: int
    deposit_claim_id: int | None
    deposit_procedure_id: int | None
    deposit_adjustment_id: int | None
    level: str
    type: str
    message: str
    detail: dict
    created_at: dt.datetime | None
    resolved_at: dt.datetime | None
    resolved_by: str | None
    resolution: str | None
    claim_xref: str | None = None
    claim_id: int | None = None
    actions: list[str] = []


class ResolveIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    action: ResolveAction
    claim_id: int | None = None
    claim_line_id: int | None = None
    payment_type: str | None = None
    save_rule: bool = False
    allocations: dict[str, Decimal] | None = None
    payer_id: int | None = None
    check_trace_id: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class ResolveOut(msgspec.Struct, kw_only=True):
    error: PostingErrorOut
    reposted: bool
    posted_status: str | None = None


class EobAdjustmentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=10)]
    amount: Decimal
    group: Annotated[str, msgspec.Meta(min_length=2, max_length=3)] = "SL"


class EobLineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    claim_line_id: int
    paid: Decimal
    allowed: Decimal | None = None
    adjustments: list[EobAdjustmentIn] = []


class EobClaimIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    claim_id: int
    lines: Annotated[list[EobLineIn], msgspec.Meta(min_length=1)]
    remit_status: Literal["1", "2", "3", "4", "19", "20", "21"] = "1"
    payer_claim_number: Annotated[str, msgspec.Meta(max_length=50)] | None = None


class EobIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    payer_id: int
    deposit_date: dt.date
    amount: Decimal
    claims: Annotated[list[EobClaimIn], msgspec.Meta(min_length=1)]
    check_trace_id: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | None = None
    issued_date: dt.date | None = None
    payment_method: Literal["CHK", "ACH", "NON", "CASH", "CARD"] = "CHK"


class RuleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: Literal["reason", "remit_status", "plb"]
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=10)]
    payer_id: int | None = None
    group: Annotated[str, msgspec.Meta(max_length=3)] = ""
    outcome: Literal["", "zero_balance", "next_insurance", "no_insurance"] = ""
    payment_type: str | None = None
    denial: bool = False
    claim_status: Annotated[str, msgspec.Meta(max_length=60)] | None = None
    claim_level: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    claim_sub_status: Annotated[str, msgspec.Meta(max_length=60)] | None = None
    plb_action: Literal["report", "apply"] | None = None


class RuleOut(msgspec.Struct, kw_only=True):
    id: int | None
    kind: str
    source: str  # default / practice / payer
    code: str
    payer_id: int | None = None
    group: str = ""
    outcome: str = ""
    payment_type: str | None = None
    denial: bool = False
    claim_status: str | None = None
    claim_level: str | None = None
    claim_sub_status: str | None = None
    plb_action: str | None = None
