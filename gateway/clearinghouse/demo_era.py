"""The demo's sample ERA, written from the demo's own claims so that it posts: each paid claim
is found by its patient control number (CLP01, what the claim was billed with), each line by
its code and modifiers, and every claim and line balances (charge - paid = CO-45 + PR-2).

A few items are wrong on purpose, one of each error level, so the error queue has something to
show (`DemoEraPlan`): a payment from a payer the practice does not know under that name
(deposit: Payer Mismatch), a claim that is not the practice's (claim: Claim Not Found) and a
line whose code is on no line of its claim (procedure: Procedure Code Conflict).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ALLOWED_SHARE = Decimal("0.80")  # the payer allows 80% of the charge (CO-45 the rest)
COINSURANCE = Decimal("0.20")  # and the patient owes 20% of what was allowed (PR-2)


@dataclass
class EraLine:
    code: str
    modifiers: list[str]
    charge: Decimal


@dataclass
class EraClaim:
    patient_control_number: str
    last_name: str
    first_name: str
    member_id: str
    service_date: dt.date
    lines: list[EraLine]


@dataclass
class EraPayment:
    payer_name: str
    payer_id: str
    trace: str
    claims: list[EraClaim] = field(default_factory=list)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _line_money(charge: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(paid, contractual CO-45, coinsurance PR-2) of one line; they add up to the charge."""
    allowed = _cents(charge * ALLOWED_SHARE)
    patient = _cents(allowed * COINSURANCE)
    return allowed - patient, charge - allowed, patient


def _claim_segments(c: EraClaim) -> tuple[list[list[str]], Decimal]:
    money = [_line_money(ln.charge) for ln in c.lines]
    charge = sum((ln.charge for ln in c.lines), Decimal("0.00"))
    paid = sum((m[0] for m in money), Decimal("0.00"))
    patient = sum((m[2] for m in money), Decimal("0.00"))
    dos = c.service_date.strftime("%Y%m%d")
    segs = [["CLP", c.patient_control_number, "1", f"{charge:.2f}", f"{paid:.2f}",
             f"{patient:.2f}", "12", f"ICN{c.patient_control_number}", "11", "1"],
            ["NM1", "QC", "1", c.last_name.upper(), c.first_name.upper(), "", "", "", "MI",
             c.member_id]]
    for ln, (line_paid, contractual, coinsurance) in zip(c.lines, money, strict=True):
        segs += [["SVC", ":".join(["HC", ln.code, *ln.modifiers]), f"{ln.charge:.2f}",
                  f"{line_paid:.2f}", "", "1"],
                 ["DTM", "472", dos],
                 ["CAS", "CO", "45", f"{contractual:.2f}"],
                 ["CAS", "PR", "2", f"{coinsurance:.2f}"]]
    return segs, paid


def demo_era_text(payments: list[EraPayment], paid_on: dt.date, control: int = 1) -> str:
    """One 835 interchange, one transaction set (deposit) per payment, balanced throughout."""
    day = paid_on.strftime("%Y%m%d")
    segs: list[list[str]] = [
        ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "DEMOCLEARING   ", "ZZ",
         "DEMOEYECARE    ", paid_on.strftime("%y%m%d"), "0900", "^", "00501",
         f"{control:09d}", "0", "P", ":"],
        ["GS", "HP", "DEMOCLEARING", "DEMOEYECARE", day, "0900", str(control), "X",
         "005010X221A1"],
    ]
    for n, pay in enumerate(payments, start=1):
        body: list[list[str]] = []
        total = Decimal("0.00")
        for claim in pay.claims:
            claim_segs, paid = _claim_segments(claim)
            body += claim_segs
            total += paid
        st = [["ST", "835", f"{n:04d}"],
              ["BPR", "I", f"{total:.2f}", "C", "ACH", "", "", "", "", "", "", "", "", "", "",
               "", day],
              ["TRN", "1", pay.trace, "1999999999"], ["DTM", "405", day],
              ["N1", "PR", pay.payer_name], ["REF", "2U", pay.payer_id],
              ["N1", "PE", "DEMO EYE CARE", "XX", "1234567893"], ["LX", "1"], *body]
        st.append(["SE", str(len(st) + 1), f"{n:04d}"])
        segs += st
    segs += [["GE", str(len(payments)), str(control)], ["IEA", "1", f"{control:09d}"]]
    return "".join("*".join(s) + "~\n" for s in segs)
