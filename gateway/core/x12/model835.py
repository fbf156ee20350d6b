"""The 835 (Health Care Claim Payment/Advice, 005010X221A1) as msgspec Structs.

One `Remittance` per 835 transaction set (ST..SE): the payment (BPR), its trace (TRN), payer
and payee, the claims paid (CLP loop 2100) with their service lines (SVC loop 2110), and the
provider-level adjustments (PLB). Money is `Decimal` exactly as written in the file (not
re-rounded); dates are `datetime.date`.

Balancing is reported, never raised: `Remittance.problems` lists what does not add up (the
payment, a claim, a service line), `Remittance.balanced` is true when that list is empty.

    BPR02 = sum(CLP04) - sum(PLB amounts)
    CLP03 - CLP04 = sum(claim CAS) + sum(line CAS)       per claim
    SVC02 - SVC03 = sum(its CAS)                         per service line

All Structs are plain trees (no cycles), so they opt out of the cyclic GC (``gc=False``):
a large file builds millions of them. Repeated fields that are usually empty are tuples
(default ``()``, no allocation); the ones the reader appends to while reading are lists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

ZERO = Decimal("0.00")


class Adjustment(msgspec.Struct, gc=False):
    """One CAS triple: group (CO, PR, OA, PI, CR), reason code (CARC), amount, quantity."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


class Reference(msgspec.Struct, gc=False):
    """A REF segment: qualifier (REF01) and value (REF02)."""

    qualifier: str
    value: str


class Amount(msgspec.Struct, gc=False):
    """An AMT segment: qualifier (AMT01, e.g. AU coverage, B6 allowed, DY per diem), amount."""

    qualifier: str
    amount: Decimal


class Remark(msgspec.Struct, gc=False):
    """An LQ segment: code list qualifier (HE = remittance advice remark code, RX) and code."""

    qualifier: str
    code: str


class Party(msgspec.Struct, gc=False):
    """An NM1 in the claim loop.

    entity: QC patient, IL insured, 74 corrected patient/insured, 82 rendering provider,
    TT crossover carrier, PR corrected priority payer, GB other subscriber.
    """

    entity: str
    last_name: str = ""  # or organization name
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    id_qualifier: str = ""  # MI member id, HN, XX NPI, FI TIN, ...
    id: str = ""
    entity_type: str = ""  # 1 person, 2 non-person


class Payer(msgspec.Struct, gc=False):
    """N1*PR loop 1000A. `id` is N104 when given, else REF*2U; `additional_ids` all REFs."""

    name: str = ""
    id_qualifier: str = ""
    id: str = ""
    payer_identifier: str = ""  # REF*2U
    additional_ids: list[Reference] = msgspec.field(default_factory=list)


class Payee(msgspec.Struct, gc=False):
    """N1*PE loop 1000B: the provider paid. `npi` when N103 = XX, `tin` when FI (or REF*TJ)."""

    name: str = ""
    id_qualifier: str = ""
    id: str = ""
    npi: str = ""
    tin: str = ""
    additional_ids: list[Reference] = msgspec.field(default_factory=list)


class OutpatientAdjudication(msgspec.Struct, gc=False):
    """MOA: outpatient adjudication information (remark codes MOA03-MOA07)."""

    reimbursement_rate: Decimal | None = None
    hcpcs_payable_amount: Decimal | None = None
    remark_codes: list[str] = msgspec.field(default_factory=list)
    esrd_payment_amount: Decimal | None = None
    nonpayable_professional_component: Decimal | None = None


class InpatientAdjudication(msgspec.Struct, gc=False):
    """MIA: inpatient adjudication. The commonly used fields, plus every element as written."""

    covered_days_or_visits: Decimal | None = None
    pps_operating_outlier_amount: Decimal | None = None
    lifetime_psychiatric_days: Decimal | None = None
    drg_amount: Decimal | None = None
    remark_codes: list[str] = msgspec.field(default_factory=list)  # MIA05, MIA20-MIA23
    elements: list[str] = msgspec.field(default_factory=list)  # MIA01..MIA24 as written


class ServiceLine(msgspec.Struct, gc=False):
    """SVC loop 2110: one service line as adjudicated.

    `procedure_qualifier`/`procedure_code`/`modifiers` come from SVC01 (HC, AD, ER, IV, N4,
    NU, WK...); `original_*` from SVC06 when the payer restated (bundled/unbundled) the code.
    `units` is SVC05 (paid units; None when not sent, which means 1).
    """

    procedure_qualifier: str
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    revenue_code: str = ""  # SVC04 (NUBC revenue code)
    units: Decimal | None = None
    segment: int = 0  # segment number of the SVC in the file
    original_procedure_qualifier: str = ""
    original_procedure_code: str = ""
    original_modifiers: tuple[str, ...] = ()
    original_units: Decimal | None = None  # SVC07
    service_date: dt.date | None = None  # DTM*472
    service_start: dt.date | None = None  # DTM*150
    service_end: dt.date | None = None  # DTM*151
    adjustments: list[Adjustment] = msgspec.field(default_factory=list)
    control_number: str = ""  # REF*6R (the line item control number we sent)
    location_number: str = ""  # REF*LU
    references: tuple[Reference, ...] = ()  # other REFs
    allowed: Decimal | None = None  # AMT*B6
    amounts: tuple[Amount, ...] = ()  # other AMTs
    remarks: tuple[Remark, ...] = ()  # LQ


class ClaimPayment(msgspec.Struct, gc=False):
    """CLP loop 2100: one claim as adjudicated by the payer.

    status_code (CLP02): 1/2/3 processed as primary/secondary/tertiary, 4 denied,
    19/20/21 processed and forwarded, 22 reversal of previous payment, 23 not our claim.
    frequency_code (CLP09): 1 original, 7 replacement, 8 void.
    """

    patient_control_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal = ZERO
    filing_indicator: str = ""  # CLP06: MA, MB, MC, 12 (PPO), 13, 14, 15, 16, HM, CI...
    payer_claim_number: str = ""  # CLP07
    facility_type: str = ""  # CLP08
    frequency_code: str = ""  # CLP09
    drg_code: str = ""  # CLP11
    drg_weight: Decimal | None = None  # CLP12
    discharge_fraction: Decimal | None = None  # CLP13
    adjustments: list[Adjustment] = msgspec.field(default_factory=list)  # claim-level CAS
    patient: Party | None = None  # NM1*QC
    insured: Party | None = None  # NM1*IL
    corrected_patient: Party | None = None  # NM1*74
    rendering_provider: Party | None = None  # NM1*82
    crossover_carrier: Party | None = None  # NM1*TT
    corrected_priority_payer: Party | None = None  # NM1*PR
    other_parties: tuple[Party, ...] = ()  # NM1*GB and others
    inpatient: InpatientAdjudication | None = None  # MIA
    outpatient: OutpatientAdjudication | None = None  # MOA
    statement_start: dt.date | None = None  # DTM*232
    statement_end: dt.date | None = None  # DTM*233
    received_date: dt.date | None = None  # DTM*050
    coverage_expiration: dt.date | None = None  # DTM*036
    amounts: tuple[Amount, ...] = ()  # AMT (AU, D8, DY, F5, I, NL, T...)
    references: tuple[Reference, ...] = ()  # REF (1L, 1W, EA, F8, ...)
    lines: list[ServiceLine] = msgspec.field(default_factory=list)
    header_number: str = ""  # LX01 of the header loop the claim is in
    segment: int = 0  # segment number of the CLP in the file

    def adjustment_total(self) -> Decimal:
        """Claim-level plus line-level CAS amounts."""
        total = sum((a.amount for a in self.adjustments), ZERO)
        for line in self.lines:
            total += sum((a.amount for a in line.adjustments), ZERO)
        return total


class ProviderAdjustment(msgspec.Struct, gc=False):
    """One PLB reason/reference/amount triple (PLB03-PLB14).

    `reason` is the adjustment reason (WO overpayment recovery, FB forwarding balance,
    L6 interest, CV capital pass-through, 72 authorized return, ...); `reference` is the
    identifier after the component separator (often the payer claim control number).
    A positive amount reduces the payment, a negative one increases it.
    """

    provider_id: str  # PLB01
    fiscal_period_end: dt.date | None  # PLB02
    reason: str
    reference: str
    amount: Decimal
    segment: int = 0


class Remittance(msgspec.Struct, gc=False):
    """One 835 transaction set: one payment (or non-payment) to one payee."""

    control_number: str  # ST02
    handling_code: str  # BPR01: I remittance+payment, H notification only, C, D, P, U, X
    amount: Decimal  # BPR02 (total actual provider payment)
    credit_debit: str  # BPR03: C credit, D debit
    method: str  # BPR04: ACH, BOP, CHK, FWT, NON
    payment_format: str = ""  # BPR05: CCP, CTX
    payment_date: dt.date | None = None  # BPR16
    trace_number: str = ""  # TRN02: check or EFT trace number
    originator_id: str = ""  # TRN03: payer's company id (1 + TIN)
    originator_supplemental_id: str = ""  # TRN04
    receiver_id: str = ""  # REF*EV
    version_id: str = ""  # REF*F2
    production_date: dt.date | None = None  # DTM*405
    payer: Payer = msgspec.field(default_factory=Payer)
    payee: Payee = msgspec.field(default_factory=Payee)
    claims: list[ClaimPayment] = msgspec.field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = msgspec.field(default_factory=list)
    balanced: bool = True
    problems: list[str] = msgspec.field(default_factory=list)
    interchange_control_number: str = ""  # ISA13
    interchange_sender: str = ""  # ISA06 (trimmed)
    interchange_receiver: str = ""  # ISA08 (trimmed)
    group_control_number: str = ""  # GS06
    implementation: str = ""  # GS08, e.g. 005010X221A1
    first_segment: int = 0  # segment number of the ST
    last_segment: int = 0  # segment number of the SE

    def claim_paid_total(self) -> Decimal:
        return sum((c.paid for c in self.claims), ZERO)

    def provider_adjustment_total(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments), ZERO)


class RemittanceSummary(msgspec.Struct):
    """Totals over a whole 835 file (see `reader835.summarize`)."""

    transaction_count: int = 0
    claim_count: int = 0
    service_line_count: int = 0
    payment_total: Decimal = ZERO  # sum BPR02 (credit positive, debit negative)
    claim_paid_total: Decimal = ZERO
    charge_total: Decimal = ZERO
    patient_responsibility_total: Decimal = ZERO
    provider_adjustment_total: Decimal = ZERO
    claims_by_status: dict[str, int] = msgspec.field(default_factory=dict)
    unbalanced_transactions: int = 0
    problems: list[str] = msgspec.field(default_factory=list)
