"""Random payer histories for the posting invariant: what one payer sends about a practice's
claims, consistent with itself, so that any money the ledger gets wrong is the gateway's doing.

Each claim is adjudicated at most once at a time: a fresh adjudication (paid, partly denied,
denied, claim-level adjustments, no service lines), its exact duplicate (the same payment sent
again, under the same or a new trace number), or a reversal (CLP02 22, every amount negated)
optionally followed by the corrected claim. Errors come from how a CLP is sent: an unknown
patient control number (Claim Not Found), a procedure code the claim does not have (Procedure
Code Conflict), an adjustment reason no rule knows (Missing Payment Type), an unknown payer
(Payer Mismatch), no trace number, claim-level CAS. Every CLP balances the 835 way:
CLP03 - all CAS (claim and line) = CLP04, and SVC02 - line CAS = SVC03.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from hypothesis import strategies as st

from tests.invariants.strategies import money
from tests.posting.era835 import Clp, Svc

CODES = ["92004", "92014", "92015", "92250", "92134"]
KINDS = ["paid", "paid", "partial_denial", "denied", "claim_cas", "no_lines", "proc_conflict",
         "unmatched"]


@dataclass
class PracticeClaim:
    """A claim of the generated practice: its id, control number, line ids and charges (cents),
    and whether the patient has a second coverage."""

    claim_id: int
    pcn: str
    line_ids: list[int]
    charges: list[int]
    secondary: bool
    patient: tuple[str, str, str]


@dataclass
class Adjudication:
    """One CLP the payer sent about a claim (kept to reverse or resend it)."""

    claim: PracticeClaim
    clp: Clp
    paid_cents: int
    reversed: bool = False
    extra: dict[str, int] = field(default_factory=dict)


def _line(draw: st.DrawFn, code: str, charge: int) -> tuple[Svc, int]:
    """A service line adjudicated: CO (45, or a reason no rule knows), PR, the rest paid."""
    # mostly with a write-off: the duplicates and overpayments that re-post one need it
    allowed = draw(st.integers(0, charge - 1)) if draw(st.integers(0, 3)) else charge
    pr = draw(st.integers(0, allowed))
    paid = allowed - pr
    cas: list[tuple[str, str, str]] = []
    if charge - allowed:
        reason = draw(st.sampled_from(["45", "45", "45", "144"]))
        cas.append(("CO", reason, money(charge - allowed)))
    if pr:
        cas.append(("PR", draw(st.sampled_from(["1", "2", "3"])), money(pr)))
    return Svc(code, money(charge), money(paid), cas), paid


def _denied(code: str, charge: int) -> Svc:
    return Svc(code, money(charge), "0.00", [("CO", "50", money(charge))])


@st.composite
def adjudication(draw: st.DrawFn, c: PracticeClaim, icn: str) -> tuple[Clp, int]:
    """A fresh CLP about claim `c` (kind drawn), and what it pays in cents."""
    kind = draw(st.sampled_from(KINDS))
    codes = CODES[: len(c.charges)]
    total = sum(c.charges)
    status = "1"
    crossover = None
    if c.secondary and draw(st.booleans()):
        status, crossover = "19", "SECOND PLAN"
    pcn, patient = c.pcn, c.patient
    cas: list[tuple[str, str, str]] = []
    svcs: list[Svc] = []
    paid = 0
    if kind == "denied":
        status, crossover = "4", None
        svcs = [_denied(code, ch) for code, ch in zip(codes, c.charges, strict=True)]
    elif kind == "no_lines":
        write_off = draw(st.integers(0, total))
        pr = draw(st.integers(0, total - write_off))
        paid = total - write_off - pr
        if write_off:
            cas.append(("CO", "45", money(write_off)))
        if pr:
            cas.append(("PR", "2", money(pr)))
    else:
        denied_at = (draw(st.integers(0, len(codes) - 1))
                     if kind == "partial_denial" and len(codes) > 1 else None)
        for n, (code, ch) in enumerate(zip(codes, c.charges, strict=True)):
            if n == denied_at:
                svcs.append(_denied(code, ch))
                continue
            svc, p = _line(draw, code, ch)
            svcs.append(svc)
            paid += p
        if kind == "claim_cas" and paid:
            # claim-level CAS out of what the lines paid: CLP04 = sum SVC03 - claim CAS
            amount = draw(st.integers(1, paid))
            group, reason = draw(st.sampled_from([("PR", "1"), ("CO", "45")]))
            cas.append((group, reason, money(amount)))
            paid -= amount
        if kind == "proc_conflict":
            k = draw(st.integers(0, len(svcs) - 1))
            svcs[k] = replace(svcs[k], code="99999")
        if kind == "unmatched":
            pcn, patient = "ZZ" + c.pcn, ("NOBODY", "NOONE", "MZZ")
    clp = Clp(pcn, status, money(total), money(paid), svcs, cas=cas, icn=icn, patient=patient,
              crossover=crossover)
    return clp, paid


def _neg(text: str) -> str:
    return money(-int(Decimal(text) * 100))


def reversal_of(clp: Clp) -> Clp:
    """The same CLP taken back: CLP02 22, every amount negated (as payers send it)."""
    return replace(
        clp, status="22", charge=_neg(clp.charge), paid=_neg(clp.paid), crossover=None,
        cas=[(g, r, _neg(a)) for g, r, a in clp.cas],
        lines=[replace(s, charge=_neg(s.charge), paid=_neg(s.paid),
                       cas=[(g, r, _neg(a)) for g, r, a in s.cas]) for s in clp.lines],
    )
