"""837P (professional claim, 005010X222A1) writer.

    batch = ClaimBatchInput(submitter=..., receiver=..., billing_provider=..., claims=[...])
    out = write_837p(batch, next_control_number)
    out.text                      # the interchange, one segment per line
    out.interchange_control_number, out.group_control_number, out.transaction_control_number

Input is plain msgspec Structs (no database); control numbers come from the injected
`next_control_number(kind) -> int` with kind "interchange" (ISA13, 1..999999999), "group"
(GS06) or "transaction" (ST02), so the caller decides how they are persisted (the claim batch
service allocates them in the database; tests use `InMemoryControlNumbers`).

HL hierarchy: 20 billing provider -> 22 subscriber (one per claim) -> 23 patient when the
patient is not the subscriber. Secondary claims carry the prior payer (loop 2320/2330) and its
line adjudication (2430 SVD/CAS/DTP*573). Money is written with two decimals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import msgspec

from gateway.core.edi_records import EdiAddress, EdiBillingProvider, EdiRenderingProvider
from gateway.core.errors import UserError
from gateway.core.money import format_money

IMPLEMENTATION = "005010X222A1"
_FORBIDDEN = str.maketrans({c: " " for c in "*~:^|>\r\n"})


# the EDI party records are the core's (a connector's config holds the billing provider)
Address = EdiAddress
BillingProvider = EdiBillingProvider
RenderingProvider = EdiRenderingProvider


class Submitter(msgspec.Struct, frozen=True, kw_only=True):
    """Loop 1000A: who sends the file (the practice or its billing service)."""

    name: str
    id: str  # ETIN given by the clearinghouse
    contact_name: str
    phone: str  # 10 digits


class Receiver(msgspec.Struct, frozen=True, kw_only=True):
    """Loop 1000B: the clearinghouse or payer receiving the file."""

    name: str
    id: str


class Person(msgspec.Struct, frozen=True, kw_only=True):
    last_name: str
    first_name: str = ""
    middle_name: str = ""
    member_id: str = ""  # NM109 (MI) for a subscriber
    address: Address | None = None
    birth_date: dt.date | None = None
    gender: str = "U"  # M, F, U


class Payer(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    payer_id: str  # NM109 (PI)
    address: Address | None = None


class AdjustmentInput(msgspec.Struct, frozen=True):
    """A prior payer's adjustment (CAS): group (CO, PR, OA, PI), reason code, amount."""

    group: str
    reason: str
    amount: Decimal


class LineAdjudication(msgspec.Struct, frozen=True, kw_only=True):
    """How the prior payer paid one line (2430): SVD, CAS, DTP*573."""

    paid: Decimal
    adjustments: tuple[AdjustmentInput, ...] = ()
    adjudication_date: dt.date
    units: Decimal = Decimal(1)


class OtherPayer(msgspec.Struct, frozen=True, kw_only=True):
    """Loop 2320/2330: the payer that already adjudicated this claim (for secondary claims)."""

    payer: Payer
    subscriber: Person
    responsibility: str = "P"  # SBR01 of that payer: P primary, S secondary, T tertiary
    relationship: str = "18"  # SBR02: 18 self, 01 spouse, 19 child, G8 other
    group_number: str = ""
    filing_indicator: str = "CI"
    paid: Decimal  # AMT*D: what that payer paid on the claim
    patient_responsibility: Decimal | None = None  # AMT*EAF, as that payer stated it
    adjustments: tuple[AdjustmentInput, ...] = ()  # claim-level CAS of that payer
    adjudication_date: dt.date | None = None


class ServiceLineInput(msgspec.Struct, frozen=True, kw_only=True):
    procedure_code: str
    modifiers: tuple[str, ...] = ()
    charge: Decimal
    units: Decimal = Decimal(1)
    diagnosis_pointers: tuple[int, ...] = (1,)  # 1-based into ClaimInput.diagnosis_codes
    service_date: dt.date
    place_of_service: str = ""  # only when it differs from the claim's
    control_number: str = ""  # REF*6R: echoed back on the 835 line
    prior_payment: LineAdjudication | None = None


class ClaimInput(msgspec.Struct, frozen=True, kw_only=True):
    patient_control_number: str  # CLM01, echoed back in the 835 CLP01 (max 20 chars)
    payer: Payer
    subscriber: Person
    patient: Person | None = None  # None: the subscriber is the patient
    relationship: str = "19"  # PAT01 when patient is not the subscriber: 01 spouse, 19 child
    responsibility: str = "P"  # SBR01: P primary, S secondary, T tertiary
    group_number: str = ""
    filing_indicator: str = "CI"  # SBR09: CI commercial, MB Medicare B, MC Medicaid, BL, ...
    place_of_service: str = "11"
    frequency_code: str = "1"  # 1 original, 7 replacement, 8 void
    payer_claim_number: str = ""  # REF*F8 (required for frequency 7 and 8)
    prior_authorization: str = ""  # REF*G1
    diagnosis_codes: tuple[str, ...]  # ICD-10-CM, first is principal; dots are removed
    lines: tuple[ServiceLineInput, ...]
    rendering_provider: RenderingProvider | None = None
    other_payers: tuple[OtherPayer, ...] = ()

    @property
    def total_charge(self) -> Decimal:
        return sum((ln.charge for ln in self.lines), Decimal(0))


class ClaimBatchInput(msgspec.Struct, frozen=True, kw_only=True):
    submitter: Submitter
    receiver: Receiver
    billing_provider: BillingProvider
    claims: tuple[ClaimInput, ...]
    sender_id: str  # ISA06 / GS02
    receiver_id: str  # ISA08 / GS03
    created: dt.datetime
    production: bool = True  # ISA15 P, else T (test)


class Batch837Output(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    interchange_control_number: str
    group_control_number: str
    transaction_control_number: str
    segment_count: int  # SE01
    claim_count: int
    total_charge: Decimal


ControlNumberAllocator = Callable[[str], int]


class InMemoryControlNumbers:
    """`next_control_number` for tests and dry runs: counters per kind, starting at `start`."""

    def __init__(self, start: int = 1) -> None:
        self.next: dict[str, int] = {}
        self.start = start

    def __call__(self, kind: str) -> int:
        value = self.next.get(kind, self.start)
        self.next[kind] = value + 1
        return value


def _t(text: str) -> str:
    """Free text as an element: no delimiters, no surrounding blanks, upper case."""
    return " ".join(text.translate(_FORBIDDEN).split()).upper()


def _amt(value: Decimal) -> str:
    return format_money(value)


def _qty(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _d8(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _check_number(kind: str, value: int, limit: int) -> int:
    if not isinstance(value, int) or not 1 <= value <= limit:
        raise UserError(f"control number for {kind} out of range 1..{limit}: {value!r}")
    return value


def write_837p(
    batch: ClaimBatchInput, next_control_number: ControlNumberAllocator
) -> Batch837Output:
    """Build one interchange (one GS, one ST) holding every claim of `batch`."""
    if not batch.claims:
        raise UserError("a claim batch needs at least one claim")
    for claim in batch.claims:
        _validate_claim(claim)
    isa13 = f"{_check_number('interchange', next_control_number('interchange'), 999999999):09d}"
    gs06 = str(_check_number("group", next_control_number("group"), 999999999))
    st02 = f"{_check_number('transaction', next_control_number('transaction'), 999999999):04d}"
    created = batch.created
    segs: list[list[str]] = [
        ["ST", "837", st02, IMPLEMENTATION],
        ["BHT", "0019", "00", st02, created.strftime("%Y%m%d"), created.strftime("%H%M"), "CH"],
        ["NM1", "41", "2", _t(batch.submitter.name), "", "", "", "", "46", batch.submitter.id],
        ["PER", "IC", _t(batch.submitter.contact_name), "TE", batch.submitter.phone],
        ["NM1", "40", "2", _t(batch.receiver.name), "", "", "", "", "46", batch.receiver.id],
    ]
    bp = batch.billing_provider
    segs.append(["HL", "1", "", "20", "1"])
    if bp.taxonomy:
        segs.append(["PRV", "BI", "PXC", bp.taxonomy])
    segs.append(["NM1", "85", "2" if bp.organization else "1", _t(bp.name),
                 "" if bp.organization else _t(bp.first_name), "", "", "", "XX", bp.npi])
    segs += _address(bp.address)
    segs.append(["REF", "EI", bp.tin])
    hl = 1
    for claim in batch.claims:
        hl += 1
        sub_hl = hl
        has_patient = claim.patient is not None
        segs.append(["HL", str(sub_hl), "1", "22", "1" if has_patient else "0"])
        segs.append(["SBR", claim.responsibility, "" if has_patient else "18",
                     claim.group_number, "", "", "", "", "", claim.filing_indicator])
        segs += _person("IL", claim.subscriber, "MI", with_demographics=not has_patient)
        segs.append(["NM1", "PR", "2", _t(claim.payer.name), "", "", "", "", "PI",
                     claim.payer.payer_id])
        if claim.payer.address is not None:
            segs += _address(claim.payer.address)
        if claim.patient is not None:
            hl += 1
            segs.append(["HL", str(hl), str(sub_hl), "23", "0"])
            segs.append(["PAT", claim.relationship])
            segs += _person("QC", claim.patient, "", with_demographics=True)
        segs += _claim(claim)
    segs.append(["SE", str(len(segs) + 1), st02])
    d = "*", ":", "~", "^"
    envelope_head = [
        ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", f"{batch.sender_id:<15}"[:15], "ZZ",
         f"{batch.receiver_id:<15}"[:15], created.strftime("%y%m%d"), created.strftime("%H%M"),
         d[3], "00501", isa13, "0", "P" if batch.production else "T", d[1]],
        ["GS", "HC", batch.sender_id, batch.receiver_id, created.strftime("%Y%m%d"),
         created.strftime("%H%M"), gs06, "X", IMPLEMENTATION],
    ]
    envelope_tail = [["GE", "1", gs06], ["IEA", "1", isa13]]
    text = "".join("*".join(s) + "~\n" for s in envelope_head + segs + envelope_tail)
    return Batch837Output(
        text=text,
        interchange_control_number=isa13,
        group_control_number=gs06,
        transaction_control_number=st02,
        segment_count=len(segs),
        claim_count=len(batch.claims),
        total_charge=sum((c.total_charge for c in batch.claims), Decimal(0)),
    )


def _validate_claim(claim: ClaimInput) -> None:
    where = f"claim {claim.patient_control_number}"
    if not claim.patient_control_number or len(claim.patient_control_number) > 20:
        raise UserError("patient control number must be 1-20 characters", where=where)
    if not claim.lines:
        raise UserError("a claim needs at least one service line", where=where)
    if len(claim.lines) > 50:
        raise UserError("an 837P claim holds at most 50 service lines", where=where)
    if not 1 <= len(claim.diagnosis_codes) <= 12:
        raise UserError("a claim needs 1 to 12 diagnosis codes", where=where)
    if claim.frequency_code in ("7", "8") and not claim.payer_claim_number:
        raise UserError("a replacement or void claim needs the payer claim number",
                        where=where)
    for i, line in enumerate(claim.lines, 1):
        if not line.diagnosis_pointers or len(line.diagnosis_pointers) > 4 or any(
            not 1 <= p <= len(claim.diagnosis_codes) for p in line.diagnosis_pointers
        ):
            raise UserError(f"line {i}: diagnosis pointers must be 1-4 indexes into the "
                            f"claim's {len(claim.diagnosis_codes)} diagnosis codes", where=where)
        if len(line.modifiers) > 4:
            raise UserError(f"line {i}: at most 4 modifiers", where=where)
        if line.prior_payment is not None and not claim.other_payers:
            raise UserError(f"line {i}: a prior payment needs the claim's other payer",
                            where=where)


def _address(addr: Address) -> list[list[str]]:
    n3 = ["N3", _t(addr.line1)] + ([_t(addr.line2)] if addr.line2 else [])
    return [n3, ["N4", _t(addr.city), addr.state.upper(), addr.zip.replace("-", "")]]


def _person(entity: str, p: Person, id_qualifier: str, *, with_demographics: bool
            ) -> list[list[str]]:
    nm1 = ["NM1", entity, "1", _t(p.last_name), _t(p.first_name), _t(p.middle_name)]
    if id_qualifier and p.member_id:
        nm1 += ["", "", id_qualifier, p.member_id]
    out = [_trim(nm1)]
    if with_demographics:
        if p.address is not None:
            out += _address(p.address)
        if p.birth_date is not None:
            out.append(["DMG", "D8", _d8(p.birth_date), p.gender or "U"])
    return out


def _trim(seg: list[str]) -> list[str]:
    while len(seg) > 1 and seg[-1] == "":
        seg.pop()
    return seg


def _claim(claim: ClaimInput) -> list[list[str]]:
    out: list[list[str]] = [[
        "CLM", claim.patient_control_number, _amt(claim.total_charge), "", "",
        f"{claim.place_of_service}:B:{claim.frequency_code}", "Y", "A", "Y", "Y",
    ]]
    if claim.payer_claim_number:
        out.append(["REF", "F8", claim.payer_claim_number])
    if claim.prior_authorization:
        out.append(["REF", "G1", claim.prior_authorization])
    codes = [c.replace(".", "").upper() for c in claim.diagnosis_codes]
    out.append(["HI", f"ABK:{codes[0]}", *(f"ABF:{c}" for c in codes[1:])])
    rp = claim.rendering_provider
    if rp is not None:
        out.append(_trim(["NM1", "82", "1", _t(rp.last_name), _t(rp.first_name), "", "", "",
                          "XX", rp.npi]))
        if rp.taxonomy:
            out.append(["PRV", "PE", "PXC", rp.taxonomy])
    for op in claim.other_payers:
        out.append(_trim(["SBR", op.responsibility, op.relationship, op.group_number, "", "",
                          "", "", "", op.filing_indicator]))
        out += _cas(op.adjustments)
        out.append(["AMT", "D", _amt(op.paid)])
        if op.patient_responsibility is not None:
            out.append(["AMT", "EAF", _amt(op.patient_responsibility)])
        out.append(["OI", "", "", "Y", "P", "", "Y"])
        out += _person("IL", op.subscriber, "MI", with_demographics=False)
        out.append(["NM1", "PR", "2", _t(op.payer.name), "", "", "", "", "PI",
                    op.payer.payer_id])
        if op.adjudication_date is not None:
            out.append(["DTP", "573", "D8", _d8(op.adjudication_date)])
    prior_payer_id = claim.other_payers[0].payer.payer_id if claim.other_payers else ""
    for n, line in enumerate(claim.lines, 1):
        proc = ":".join(["HC", line.procedure_code.upper(), *line.modifiers])
        out.append(["LX", str(n)])
        out.append(_trim(["SV1", proc, _amt(line.charge), "UN", _qty(line.units),
                          line.place_of_service if line.place_of_service != claim.place_of_service
                          else "", "", ":".join(str(p) for p in line.diagnosis_pointers)]))
        out.append(["DTP", "472", "D8", _d8(line.service_date)])
        if line.control_number:
            out.append(["REF", "6R", line.control_number])
        pp = line.prior_payment
        if pp is not None:
            out.append(["SVD", prior_payer_id, _amt(pp.paid), proc, "", _qty(pp.units)])
            out += _cas(pp.adjustments)
            out.append(["DTP", "573", "D8", _d8(pp.adjudication_date)])
    return out


def _cas(adjustments: tuple[AdjustmentInput, ...]) -> list[list[str]]:
    """One CAS per group, up to six reason/amount pairs each."""
    out: list[list[str]] = []
    groups: dict[str, list[AdjustmentInput]] = {}
    for a in adjustments:
        groups.setdefault(a.group, []).append(a)
    for group, items in groups.items():
        for start in range(0, len(items), 6):
            seg = ["CAS", group]
            for a in items[start : start + 6]:
                seg += [a.reason, _amt(a.amount), ""]
            out.append(_trim(seg))
    return out
