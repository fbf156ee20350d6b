"""Acknowledgment readers: 999 (implementation acknowledgment) and 277CA (claim acknowledgment).

    for group in read_999(path):          # one per 999 transaction set (one per GS acknowledged)
        group.accepted, [(s.control_number, s.status, s.error_codes) for s in group.sets]
    for ack in read_277ca(path):          # one per 277 transaction set
        [(c.patient_control_number, c.status, c.statuses) for c in ack.claims]

A 999 says whether the clearinghouse could *read* each 837 transaction set (ST) of a claim
batch: set status A accepted, E accepted with errors, R/M/W/X rejected; `sets[i].control_number`
is the ST02 we wrote. A 277CA says, claim by claim (by patient control number, CLM01), whether
the claim entered adjudication: `ClaimStatus.status` is "accepted", "rejected" or "pending".

The files are small; they are read with the generic tokenizer (envelope checked strictly).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import msgspec

from gateway.core.x12.errors import X12Error
from gateway.core.x12.tokenizer import ENVELOPE_IDS, Tokenizer

# -- 999 --------------------------------------------------------------------------------------

SET_ACCEPTED = frozenset({"A", "E"})  # IK501 / AK901: accepted, accepted with errors


class ElementError(msgspec.Struct, kw_only=True):
    """IK4: an element in error (IK401 position, IK402 data element number, IK403 code)."""

    position: str
    element_reference: str = ""
    code: str
    bad_value: str = ""


class SegmentError(msgspec.Struct, kw_only=True):
    """IK3: a segment in error, with its element errors (IK4) and context (CTX)."""

    segment_id: str
    position: int | None = None  # segment position in the transaction set (ST = 1)
    loop: str = ""
    code: str = ""  # IK304: 1 unrecognized segment, 2 unexpected, 3 required missing, 8 ...
    elements: list[ElementError] = msgspec.field(default_factory=list)
    context: list[str] = msgspec.field(default_factory=list)


class SetAcknowledgment(msgspec.Struct, kw_only=True):
    """AK2..IK5: the verdict on one transaction set we sent."""

    transaction_set_id: str  # AK201, e.g. 837
    control_number: str  # AK202 = our ST02
    implementation: str = ""  # AK203
    status: str = ""  # IK501: A, E, R, M, W, X
    accepted: bool = False
    error_codes: list[str] = msgspec.field(default_factory=list)  # IK502..IK506
    segment_errors: list[SegmentError] = msgspec.field(default_factory=list)


class GroupAcknowledgment(msgspec.Struct, kw_only=True):
    """One 999 transaction set: the verdict on one functional group (GS) we sent."""

    control_number: str  # ST02 of the 999
    functional_id: str = ""  # AK101, HC for 837
    group_control_number: str = ""  # AK102 = our GS06
    version: str = ""  # AK103
    status: str = ""  # AK901: A, E, P (partially accepted), R, M, W, X
    accepted: bool = False  # A or E: every set accepted
    included: int = 0  # AK902
    received: int = 0  # AK903
    accepted_count: int = 0  # AK904
    error_codes: list[str] = msgspec.field(default_factory=list)  # AK905..
    sets: list[SetAcknowledgment] = msgspec.field(default_factory=list)
    interchange_control_number: str = ""
    sender_id: str = ""


def _segments(source: Any, name: str | None) -> tuple[Tokenizer, list[tuple[int, list[str]]]]:
    from gateway.core.x12.tokenizer import Envelope, check_segment_id

    tok = Tokenizer(source, name=name)
    env = Envelope(file=tok.name)
    out: list[tuple[int, list[str]]] = []
    number = 0
    for base, segments in tok.chunks():
        sep = tok.delimiters.element
        for i, raw in enumerate(segments):
            number = base + i + 1
            el = raw.split(sep)
            check_segment_id(el[0], number, tok.name, raw)
            if el[0] in ENVELOPE_IDS:
                env.on_segment(number, el)
            elif not env.in_transaction():
                env.outside(number, el[0])
            out.append((number, el))
    env.finish(number)
    return tok, out


def _int(value: str, number: int, tag: str, pos: int, file: str | None) -> int:
    if not value:
        return 0
    if not value.isdigit():
        raise X12Error(f"not a whole number: {value!r}", segment=number, segment_id=tag,
                       element=pos, file=file)
    return int(value)


def _el(e: list[str], i: int) -> str:
    return e[i] if i < len(e) else ""


def read_999(source: Any, *, name: str | None = None) -> list[GroupAcknowledgment]:
    """Every 999 transaction set in the file, as `GroupAcknowledgment`s."""
    tok, segs = _segments(source, name)
    file = tok.name
    comp = tok.delimiters.component
    out: list[GroupAcknowledgment] = []
    group: GroupAcknowledgment | None = None
    current: SetAcknowledgment | None = None
    seg_err: SegmentError | None = None
    isa: list[str] = []
    for number, e in segs:
        tag = e[0]
        if tag == "ISA":
            isa = e
        elif tag == "ST":
            if _el(e, 1) != "999":
                raise X12Error(f"transaction set {_el(e, 1)!r} is not a 999", segment=number,
                               segment_id=tag, element=1, file=file)
            group = GroupAcknowledgment(control_number=_el(e, 2),
                                        interchange_control_number=_el(isa, 13),
                                        sender_id=_el(isa, 6).strip())
            current = seg_err = None
        elif group is None:
            continue
        elif tag == "AK1":
            group.functional_id, group.group_control_number = _el(e, 1), _el(e, 2)
            group.version = _el(e, 3)
        elif tag == "AK2":
            current = SetAcknowledgment(transaction_set_id=_el(e, 1), control_number=_el(e, 2),
                                        implementation=_el(e, 3))
            group.sets.append(current)
            seg_err = None
        elif tag == "IK3" and current is not None:
            pos = _el(e, 2)
            seg_err = SegmentError(segment_id=_el(e, 1),
                                   position=_int(pos, number, tag, 2, file) if pos else None,
                                   loop=_el(e, 3), code=_el(e, 4))
            current.segment_errors.append(seg_err)
        elif tag == "IK4" and seg_err is not None:
            seg_err.elements.append(ElementError(position=_el(e, 1).replace(comp, ":"),
                                                 element_reference=_el(e, 2), code=_el(e, 3),
                                                 bad_value=_el(e, 4)))
        elif tag == "CTX" and seg_err is not None:
            seg_err.context.append("*".join(e[1:]).replace(comp, ":"))
        elif tag == "IK5" and current is not None:
            current.status = _el(e, 1)
            current.accepted = current.status in SET_ACCEPTED
            current.error_codes = [c for c in e[2:7] if c]
            current = seg_err = None
        elif tag == "AK9":
            group.status = _el(e, 1)
            group.accepted = group.status in SET_ACCEPTED
            group.included = _int(_el(e, 2), number, tag, 2, file)
            group.received = _int(_el(e, 3), number, tag, 3, file)
            group.accepted_count = _int(_el(e, 4), number, tag, 4, file)
            group.error_codes = [c for c in e[5:10] if c]
        elif tag == "SE":
            if not group.status:
                raise X12Error("999 without AK9 (functional group response)", segment=number,
                               segment_id=tag, file=file)
            out.append(group)
            group = None
    if not out:
        raise X12Error("no 999 transaction set in the file", file=file)
    return out


# -- 277CA ------------------------------------------------------------------------------------

ACCEPTED_CATEGORIES = frozenset({"A0", "A1", "A2", "A5"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8", "E0", "E1", "E2", "E3", "E4"})
ClaimVerdict = Literal["accepted", "rejected", "pending"]


class StatusInfo(msgspec.Struct, kw_only=True):
    """One STC: health care claim status category (A1, A2, A3, A6, A7...), status code
    (CSCC), entity code, and the STC02 date, STC03 action, STC04 amount."""

    category: str
    code: str = ""
    entity: str = ""
    date: dt.date | None = None
    action: str = ""
    amount: Decimal | None = None
    additional: list[str] = msgspec.field(default_factory=list)  # STC10/STC11 "cat:code:ent"


class LineStatus(msgspec.Struct, kw_only=True):
    procedure: str  # SVC01 as "HC:92014:RT"
    charge: Decimal | None = None
    control_number: str = ""  # REF*FJ (our REF*6R)
    service_date: dt.date | None = None
    statuses: list[StatusInfo] = msgspec.field(default_factory=list)


class ClaimStatus(msgspec.Struct, kw_only=True):
    """The verdict on one claim, found by `patient_control_number` (our CLM01)."""

    patient_control_number: str = ""  # TRN02 at the patient level
    status: ClaimVerdict = "pending"
    statuses: list[StatusInfo] = msgspec.field(default_factory=list)
    payer_claim_number: str = ""  # REF*1K
    clearinghouse_trace: str = ""  # REF*D9
    bill_type: str = ""  # REF*BLT
    charge: Decimal | None = None  # STC04 of the first status
    service_start: dt.date | None = None
    service_end: dt.date | None = None
    patient_last_name: str = ""
    patient_first_name: str = ""
    member_id: str = ""
    billing_provider_id: str = ""  # NM109 of the HL 19 above (NPI)
    lines: list[LineStatus] = msgspec.field(default_factory=list)

    @property
    def rejection_codes(self) -> list[str]:
        return [f"{s.category}:{s.code}" for s in self.statuses
                if s.category in REJECTED_CATEGORIES]


class ClaimAcknowledgment(msgspec.Struct, kw_only=True):
    """One 277CA transaction set."""

    control_number: str
    reference: str = ""  # BHT03
    created: dt.date | None = None  # BHT04
    information_source: str = ""  # NM1*PR / AY name (payer or clearinghouse)
    receiver: str = ""  # NM1*41 name
    receiver_id: str = ""
    batch_trace: str = ""  # TRN02 at the receiver level (our BHT03 / batch id)
    batch_statuses: list[StatusInfo] = msgspec.field(default_factory=list)
    accepted_count: int | None = None  # QTY*90
    rejected_count: int | None = None  # QTY*AA
    accepted_amount: Decimal | None = None  # AMT*YU
    rejected_amount: Decimal | None = None  # AMT*YY
    claims: list[ClaimStatus] = msgspec.field(default_factory=list)
    interchange_control_number: str = ""


def _date8(value: str, number: int, tag: str, pos: int, file: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise X12Error(f"not a date (CCYYMMDD): {value!r}", segment=number, segment_id=tag,
                       element=pos, file=file) from None


def _dec(value: str, number: int, tag: str, pos: int, file: str | None) -> Decimal | None:
    if not value:
        return None
    try:
        d = Decimal(value)
        if not d.is_finite() or not value.replace(".", "", 1).lstrip("-").isdigit():
            raise InvalidOperation
        return d
    except InvalidOperation:
        raise X12Error(f"not a number: {value!r}", segment=number, segment_id=tag,
                       element=pos, file=file) from None


def _stc(e: list[str], comp: str, number: int, file: str | None) -> StatusInfo:
    first = _el(e, 1).split(comp)
    return StatusInfo(
        category=first[0],
        code=first[1] if len(first) > 1 else "",
        entity=first[2] if len(first) > 2 else "",
        date=_date8(_el(e, 2), number, "STC", 2, file),
        action=_el(e, 3),
        amount=_dec(_el(e, 4), number, "STC", 4, file),
        additional=[x.replace(comp, ":") for x in (_el(e, 10), _el(e, 11)) if x],
    )


def _verdict(statuses: list[StatusInfo]) -> ClaimVerdict:
    cats = {s.category for s in statuses} | {
        a.split(":")[0] for s in statuses for a in s.additional
    }
    if cats & REJECTED_CATEGORIES:
        return "rejected"
    if cats & ACCEPTED_CATEGORIES:
        return "accepted"
    return "pending"


def read_277ca(source: Any, *, name: str | None = None) -> list[ClaimAcknowledgment]:
    """Every 277CA transaction set in the file."""
    tok, segs = _segments(source, name)
    reader = _Reader277(tok.name, tok.delimiters.component)
    for number, e in segs:
        reader.segment(number, e)
    if not reader.out:
        raise X12Error("no 277 transaction set in the file", file=tok.name)
    return reader.out


class _Reader277:
    """The state of reading a 277CA: the transaction set, its HL level, claim and line."""

    def __init__(self, file: str | None, comp: str) -> None:
        self.file, self.comp = file, comp
        self.out: list[ClaimAcknowledgment] = []
        self.ack: ClaimAcknowledgment | None = None
        self.level = ""  # HL03 of the current HL: 20, 21, 19, PT
        self.claim: ClaimStatus | None = None
        self.line: LineStatus | None = None
        self.provider_id = ""
        self.isa: list[str] = []

    def segment(self, number: int, e: list[str]) -> None:
        tag = e[0]
        if tag == "ISA":
            self.isa = e
        elif tag == "ST":
            if _el(e, 1) != "277":
                raise X12Error(f"transaction set {_el(e, 1)!r} is not a 277", segment=number,
                               segment_id=tag, element=1, file=self.file)
            self.ack = ClaimAcknowledgment(control_number=_el(e, 2),
                                           interchange_control_number=_el(self.isa, 13))
            self.claim = self.line = None
            self.level = ""
        elif self.ack is not None:
            read = _READ_277.get(tag)
            if read is not None:
                read(self, self.ack, number, e)

    def _finish_claim(self) -> None:
        claim = self.claim
        if claim is not None and self.ack is not None:
            claim.status = _verdict(claim.statuses)
            if claim.statuses and claim.charge is None:
                claim.charge = claim.statuses[0].amount

    def _bht(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        ack.reference = _el(e, 3)
        ack.created = _date8(_el(e, 4), number, "BHT", 4, self.file)

    def _hl(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        self._finish_claim()
        self.claim = self.line = None
        self.level = _el(e, 3)
        if self.level == "PT":
            self.claim = ClaimStatus(billing_provider_id=self.provider_id)
            ack.claims.append(self.claim)

    def _nm1(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        level, claim = self.level, self.claim
        if level == "20":
            ack.information_source = _el(e, 3)
        elif level == "21":
            ack.receiver, ack.receiver_id = _el(e, 3), _el(e, 9)
        elif level == "19":
            self.provider_id = _el(e, 9)
        elif level == "PT" and claim is not None:
            claim.patient_last_name, claim.patient_first_name = _el(e, 3), _el(e, 4)
            claim.member_id = _el(e, 9)

    def _trn(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        if self.level == "21":
            ack.batch_trace = _el(e, 2)
        elif self.level == "PT" and self.claim is not None:
            self.claim.patient_control_number = _el(e, 2)

    def _stc(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        status = _stc(e, self.comp, number, self.file)
        if self.line is not None:
            self.line.statuses.append(status)
        elif self.claim is not None:
            self.claim.statuses.append(status)
        elif self.level == "21":
            ack.batch_statuses.append(status)

    def _qty(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        if self.level != "21":
            return
        qty = _int(_el(e, 2).split(".")[0], number, "QTY", 2, self.file)
        if _el(e, 1) == "90":
            ack.accepted_count = qty
        elif _el(e, 1) == "AA":
            ack.rejected_count = qty

    def _amt(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        if self.level != "21":
            return
        amount = _dec(_el(e, 2), number, "AMT", 2, self.file)
        if _el(e, 1) == "YU":
            ack.accepted_amount = amount
        elif _el(e, 1) == "YY":
            ack.rejected_amount = amount

    def _ref(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        if self.line is not None:
            if _el(e, 1) == "FJ":
                self.line.control_number = _el(e, 2)
        elif self.claim is not None:
            q = _el(e, 1)
            if q == "1K":
                self.claim.payer_claim_number = _el(e, 2)
            elif q == "D9":
                self.claim.clearinghouse_trace = _el(e, 2)
            elif q == "BLT":
                self.claim.bill_type = _el(e, 2)

    def _dtp(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        claim = self.claim
        if claim is None:
            return
        value = _el(e, 3)
        if _el(e, 2) == "RD8" and "-" in value:
            start, end = value.split("-", 1)
        else:
            start = end = value
        d1 = _date8(start, number, "DTP", 3, self.file)
        d2 = _date8(end, number, "DTP", 3, self.file)
        if self.line is not None:
            self.line.service_date = d1
        else:
            claim.service_start, claim.service_end = d1, d2

    def _svc(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        if self.claim is None:
            return
        self.line = LineStatus(procedure=_el(e, 1).replace(self.comp, ":"),
                               charge=_dec(_el(e, 2), number, "SVC", 2, self.file))
        self.claim.lines.append(self.line)

    def _se(self, ack: ClaimAcknowledgment, number: int, e: list[str]) -> None:
        self._finish_claim()
        self.out.append(ack)
        self.ack = self.claim = self.line = None


_READ_277: dict[str, Callable[[_Reader277, ClaimAcknowledgment, int, list[str]], None]] = {
    "BHT": _Reader277._bht,
    "HL": _Reader277._hl,
    "NM1": _Reader277._nm1,
    "TRN": _Reader277._trn,
    "STC": _Reader277._stc,
    "QTY": _Reader277._qty,
    "AMT": _Reader277._amt,
    "REF": _Reader277._ref,
    "DTP": _Reader277._dtp,
    "SVC": _Reader277._svc,
    "SE": _Reader277._se,
}
