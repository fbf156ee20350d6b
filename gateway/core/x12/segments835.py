"""The 835's less frequent segments, each read into the Structs by one function, shared by the
pure reader and the compiled one (which calls them for what it leaves to Python): the BPR's
Remittance, TRN, MIA, MOA, PLB, any CAS, the header's N1/REF and a claim's NM1.
"""

from __future__ import annotations

from decimal import Decimal

from gateway.core.x12.envelope import Envelope
from gateway.core.x12.model835 import (
    ZERO,
    Adjustment,
    ClaimPayment,
    InpatientAdjudication,
    OutpatientAdjudication,
    Party,
    ProviderAdjustment,
    Reference,
    Remittance,
)
from gateway.core.x12.values835 import _M, _PAD, _Q, _date, _date_or_none, _opt_num


def _remittance(
    e: list[str], env: Envelope, st_control: str, st_number: int, n: int, notes: list[str]
) -> Remittance:
    """The Remittance of a BPR (segment `n`); a bad payment date is noted in `notes`."""
    if len(e) < 17:
        e += _PAD[: 17 - len(e)]
    isa, gs = env.isa or _PAD, env.gs or _PAD
    rem = Remittance(
        st_control, e[1], _M(e[2]), e[3], e[4], e[5],
        _date_or_none(e[16]),
        interchange_control_number=isa[13],
        interchange_sender=isa[6].strip(),
        interchange_receiver=isa[8].strip(),
        group_control_number=gs[6],
        implementation=gs[8],
        first_segment=st_number,
    )
    if rem.payment_date is None and e[16]:
        # a payer's bad date must not lose the remittance: it is noted, and the deposit is
        # dated by the production date (DTM*405)
        notes.append(f"segment {n} (BPR), element BPR16: not a date "
                     f"(CCYYMMDD): {e[16]!r}; payment date left empty")
    return rem


def _trn(rem: Remittance, e: list[str]) -> None:
    rem.trace_number = e[2]
    rem.originator_id = e[3] if len(e) > 3 else ""
    rem.originator_supplemental_id = e[4] if len(e) > 4 else ""


def _mia(e: list[str]) -> InpatientAdjudication:
    if len(e) < 25:
        e += _PAD[: 25 - len(e)]
    return InpatientAdjudication(
        _opt_num(e[1]), _opt_num(e[2]), _opt_num(e[3]), _opt_num(e[4]),
        [c for c in (e[5], *e[20:24]) if c], e[1:25],
    )


def _header_ref(rem: Remittance, ctx: str, q: str, value: str) -> None:
    if ctx == "PR":
        rem.payer.additional_ids.append(Reference(q, value))
        if q == "2U":
            rem.payer.payer_identifier = value
            if not rem.payer.id:
                rem.payer.id = value
    elif ctx == "PE":
        rem.payee.additional_ids.append(Reference(q, value))
        if q == "TJ" and not rem.payee.tin:
            rem.payee.tin = value
    elif q == "EV":
        rem.receiver_id = value
    elif q == "F2":
        rem.version_id = value


def _header_party(rem: Remittance, e: list[str]) -> None:
    if len(e) < 5:
        e += _PAD[: 5 - len(e)]
    if e[1] == "PR":
        rem.payer.name, rem.payer.id_qualifier = e[2], e[3]
        if e[4]:
            rem.payer.id = e[4]
    elif e[1] == "PE":
        pe = rem.payee
        pe.name, pe.id_qualifier, pe.id = e[2], e[3], e[4]
        if e[3] == "XX":
            pe.npi = e[4]
        elif e[3] == "FI":
            pe.tin = e[4]


# NM1 entity code in a claim -> the party field it fills; any other goes to `other_parties`
_CLAIM_PARTIES = {"QC": "patient", "IL": "insured", "82": "rendering_provider",
                  "74": "corrected_patient", "TT": "crossover_carrier",
                  "PR": "corrected_priority_payer"}


def _claim_party(claim: ClaimPayment, e: list[str]) -> None:
    if len(e) < 10:
        e += _PAD[: 10 - len(e)]
    p = Party(e[1], e[3], e[4], e[5], e[7], e[8], e[9], e[2])
    field = _CLAIM_PARTIES.get(e[1])
    if field is None:
        claim.other_parties += (p,)
    else:
        setattr(claim, field, p)


def _cas(e: list[str], adjs: list[Adjustment]) -> Decimal:
    """Any CAS: up to six reason/amount/quantity triples after the group code."""
    total = ZERO
    g = e[1]
    ne = len(e)
    for i in range(2, ne, 3):
        r = e[i]
        if not r:
            continue
        a = _M(e[i + 1])
        q = e[i + 2] if i + 2 < ne else ""
        adjs.append(Adjustment(g, r, a, _Q(q) if q else None))
        total += a
    return total


def _moa(e: list[str]) -> OutpatientAdjudication:
    if len(e) < 10:
        e += _PAD[: 10 - len(e)]
    return OutpatientAdjudication(
        _opt_num(e[1]), _opt_num(e[2]), [c for c in e[3:8] if c], _opt_num(e[8]), _opt_num(e[9])
    )


def _plb(rem: Remittance, e: list[str], comp: str, n: int) -> Decimal:
    total = ZERO
    pdate = _date(e[2]) if len(e) > 2 and e[2] else None
    for i in range(3, len(e) - 1, 2):
        if not e[i]:
            continue
        rc = e[i].split(comp, 1)
        amt = _M(e[i + 1])
        rem.provider_adjustments.append(
            ProviderAdjustment(e[1], pdate, rc[0], rc[1] if len(rc) > 1 else "", amt, n)
        )
        total += amt
    return total
