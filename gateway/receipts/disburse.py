"""The disbursement algorithm: where a patient payment goes, as pure decisions.

`decide(receipt, claims, rules, today)` looks at one receipt, the patient's claims with their
line patient balances, the practice's rules and the date, and returns a `Decision`: the
applications to make (claim line, amount), the status the receipt ends in (Completed, Hold,
Error), the hold date, the claim status changes (a credit), and one message a biller can read.
It touches no database and no clock, so every branch is tested on a fixed `today`.

The rules, in the order they are tried (see docs/receipts.md):

* patient not known -> Error; Pre-Pay -> Hold until received + credit hold days, then Error.
* Co-Pay / Coinsurance / Deductible find the visit's claim: the appointment's claim; else the
  one claim whose date of service is the visit date (appointment date, else receipt date).
  Several -> Error; none -> Hold until received + co-pay hold days, then Error. Claims in a
  "skip auto-association" status are never chosen (when only such claims match -> Error).
  - Co-Pay fills one procedure (a copay-flagged one with a balance first, else the highest
    balance) to 0; with "co-pays across procedures" it continues to the next procedure of the
    claim. With "co-pays limited to copay procedures" only the first copay-flagged procedure
    in claim order is the co-pay procedure: it is paid up to its balance, the other flagged
    procedures count as any other, and the rest goes on as below (no flagged one -> Error).
  - Coinsurance / Deductible fill the claim's procedures in line order.
  - What is left is a general payment, with the visit's claim among its candidates.
* General: the patient's claims at statement level (level "Statement", a statement status or
  an invoice date), minus skip statuses. None -> Error. Pay balances in the practice's order
  (oldest / newest service date first, or highest balance first), lines in line order. Money
  beyond what the patient owes: Hold until received + credit hold days, then it goes on the
  patient's most recent claim (date of service, then id; any level, not in a skip status) as
  a credit and that claim takes the practice's credit status.
* Completed when nothing is left.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from gateway.core.money import ZERO, format_money
from gateway.core.practice_settings import PracticeSettings
from gateway.receipts.enums import Behaviour, ReceiptStatus

COMPLETED, HOLD, ERROR = ReceiptStatus.COMPLETED, ReceiptStatus.HOLD, ReceiptStatus.ERROR
# Behaviours that look for the visit's claim first.
VISIT_BEHAVIOURS = (Behaviour.COPAY, Behaviour.COINSURANCE, Behaviour.DEDUCTIBLE)


@dataclass
class Line:
    id: int
    claim_id: int
    line_number: int
    procedure_code: str
    copay: bool
    patient_balance: Decimal


@dataclass
class ClaimView:
    id: int
    service_date: dt.date
    appointment_id: int | None
    level: str
    status: str
    invoice_date: dt.date | None
    lines: list[Line] = field(default_factory=list)


@dataclass
class ReceiptView:
    id: int
    behaviour: Behaviour
    received_on: dt.date
    unapplied: Decimal
    patient_known: bool = True
    appointment_id: int | None = None
    visit_date: dt.date | None = None  # the appointment's date when there is one


@dataclass(frozen=True)
class Rules:
    copay_hold_days: int = 3
    credit_hold_days: int = 30
    credit_status: str = "Credit Balance"
    order: str = "oldest_first"
    copays_limited: bool = False
    copays_across: bool = False
    statement_statuses: frozenset[str] = frozenset(PracticeSettings().receipt_statement_statuses)
    skip_statuses: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, s: PracticeSettings) -> Rules:
        return cls(
            copay_hold_days=s.copay_hold_days,
            credit_hold_days=s.credit_receipt_hold_days,
            credit_status=s.credit_receipt_claim_status,
            order=s.disbursement_order,
            copays_limited=s.copays_limited_to_copay_procedures,
            copays_across=s.copays_across_procedures,
            statement_statuses=frozenset(s.receipt_statement_statuses),
            skip_statuses=frozenset(s.receipt_skip_auto_association_statuses),
        )


@dataclass(frozen=True)
class Application:
    claim_id: int
    claim_line_id: int
    amount: Decimal
    credit: bool = False
    line_number: int = 0  # for messages


@dataclass
class Decision:
    status: ReceiptStatus  # Completed / Hold / Error
    message: str
    applications: list[Application] = field(default_factory=list)
    hold_until: dt.date | None = None
    claim_status: dict[int, str] = field(default_factory=dict)  # claim id -> new status

    @property
    def applied(self) -> Decimal:
        return sum((a.amount for a in self.applications), ZERO)


def money(d: Decimal) -> str:
    """For messages: the engine's amounts are whole cents (stored cents and their sums), so
    two decimals print them exactly; anything else goes through `format_money`."""
    text = str(d)
    if text[-3:-2] == "." and "E" not in text and text != "-0.00":
        return "$" + text
    return "$" + format_money(d)


NAMES = {
    Behaviour.COPAY: "co-pay",
    Behaviour.COINSURANCE: "coinsurance payment",
    Behaviour.DEDUCTIBLE: "deductible payment",
    Behaviour.GENERAL: "general payment",
    Behaviour.PREPAY: "pre-payment",
}


class _Run:
    """The working state of one decision: balances as applications so far leave them."""

    def __init__(self, receipt: ReceiptView, rules: Rules, today: dt.date) -> None:
        self.r = receipt
        self.rules = rules
        self.today = today
        self.remaining = receipt.unapplied
        self.apps: list[Application] = []
        self.notes: list[str] = []
        self._spent: dict[int, Decimal] = {}

    def bal(self, line: Line) -> Decimal:
        return line.patient_balance - self._spent.get(line.id, ZERO)

    def pay(self, line: Line, cap: Decimal | None = None) -> Decimal:
        amount = min(self.remaining, max(self.bal(line), ZERO))
        if cap is not None:
            amount = min(amount, cap)
        if amount <= 0:
            return ZERO
        self._record(line, amount, credit=False)
        return amount

    def _record(self, line: Line, amount: Decimal, *, credit: bool) -> None:
        self.apps.append(Application(line.claim_id, line.id, amount, credit, line.line_number))
        self._spent[line.id] = self._spent.get(line.id, ZERO) + amount
        self.remaining -= amount

    def credit(self, line: Line, amount: Decimal) -> None:
        self._record(line, amount, credit=True)

    def claim_balance(self, claim: ClaimView) -> Decimal:
        return sum((max(self.bal(x), ZERO) for x in claim.lines), ZERO)

    def applied_text(self, since: int = 0) -> str:
        parts = [
            f"{money(a.amount)} to claim {a.claim_id} line {a.line_number}"
            for a in self.apps[since:]
        ]
        return ", ".join(parts)

    def done(self, status: ReceiptStatus, text: str, hold_until: dt.date | None = None,
             claim_status: dict[int, str] | None = None) -> Decision:
        self.notes.append(text)
        return Decision(
            status=status,
            message=" ".join(n for n in self.notes if n),
            applications=list(self.apps),
            hold_until=hold_until,
            claim_status=claim_status or {},
        )


def decide(
    receipt: ReceiptView, claims: list[ClaimView], rules: Rules, today: dt.date
) -> Decision:
    """What to do with the unapplied part of `receipt`, given the patient's `claims`."""
    run = _Run(receipt, rules, today)
    name = NAMES.get(receipt.behaviour, "payment")
    if not receipt.patient_known:
        return run.done(ERROR, "The patient is not known, so the payment cannot be matched "
                               "to a claim: correct the patient or apply it by hand.")
    if run.remaining <= 0:
        return run.done(COMPLETED, "Nothing is left to apply.")
    if receipt.behaviour == Behaviour.PREPAY:
        until = receipt.received_on + dt.timedelta(days=rules.credit_hold_days)
        if today < until:
            return run.done(HOLD, f"A pre-payment is never applied automatically; held until "
                                  f"{until} for a biller to apply it by hand.", until)
        return run.done(ERROR, f"This pre-payment was not applied by hand within "
                               f"{rules.credit_hold_days} days of {receipt.received_on}: "
                               f"apply it by hand or refund it.")

    visit_claim: ClaimView | None = None
    if receipt.behaviour in VISIT_BEHAVIOURS:
        found = _visit_claim(run, claims, name)
        if isinstance(found, Decision):
            return found
        visit_claim = found
        if receipt.behaviour == Behaviour.COPAY:
            failed = _fill_copay(run, visit_claim)
            if failed is not None:
                return failed
        else:
            for line in sorted(visit_claim.lines, key=lambda x: x.line_number):
                run.pay(line)
            if run.apps:
                run.notes.append(f"Applied {run.applied_text()} (the visit's claim).")
        if run.remaining == 0:
            return run.done(COMPLETED, "")
        run.notes.append(f"The {money(run.remaining)} left is treated as a general payment.")
    return _general(run, claims, visit_claim)


def _visit_claim(run: _Run, claims: list[ClaimView], name: str) -> ClaimView | Decision:
    r, rules = run.r, run.rules
    how: str
    if r.appointment_id is not None and any(c.appointment_id == r.appointment_id for c in claims):
        matches = [c for c in claims if c.appointment_id == r.appointment_id]
        how = f"appointment {r.appointment_id}"
    else:
        visit = r.visit_date or r.received_on
        matches = [c for c in claims if c.service_date == visit]
        how = f"date of service {visit}"
        if r.appointment_id is not None:
            how = f"appointment {r.appointment_id} (date of service {visit})"
    usable = [c for c in matches if c.status not in rules.skip_statuses]
    if len(usable) == 1:
        run.notes.append(f"Matched claim {usable[0].id} by {how}.")
        return usable[0]
    if len(usable) > 1:
        ids = ", ".join(str(c.id) for c in sorted(usable, key=lambda c: c.id))
        return run.done(ERROR, f"{len(usable)} claims match {how} (claims {ids}): "
                               f"choose one and apply the {name} by hand.")
    if matches:
        c = matches[0]
        return run.done(ERROR, f"Claim {c.id} matches {how} but its status {c.status!r} is set "
                               f"to skip auto-association: apply the {name} by hand.")
    until = r.received_on + dt.timedelta(days=rules.copay_hold_days)
    if run.today < until:
        return run.done(HOLD, f"No claim yet for {how}; held until {until} while the claim "
                              f"is created.", until)
    return run.done(ERROR, f"No claim for {how} within {rules.copay_hold_days} days of "
                           f"{r.received_on}: apply the {name} by hand.")


def _by_balance(run: _Run, lines: list[Line]) -> list[Line]:
    return sorted(lines, key=lambda x: (-run.bal(x), x.line_number))


def _fill_copay(run: _Run, claim: ClaimView) -> Decision | None:
    """Fill the co-pay procedure(s) of the visit's claim; what is left stays in `run`."""
    rules = run.rules
    flagged = [x for x in claim.lines if x.copay]
    if rules.copays_limited:
        if not flagged:
            return run.done(ERROR, f"Claim {claim.id} has no co-pay procedure and co-pays are "
                                   f"limited to co-pay procedures: apply it by hand.")
        # only the first flagged procedure in claim order is the co-pay procedure; the other
        # flagged procedures are treated as any other procedure (the rest goes on as general)
        first = min(flagged, key=lambda x: x.line_number)
        if run.pay(first):
            run.notes.append(f"Applied {run.applied_text()} (co-pay procedure).")
        else:
            run.notes.append(f"The co-pay procedure (line {first.line_number}) of claim "
                             f"{claim.id} has no patient balance.")
        return None
    with_balance = [x for x in claim.lines if run.bal(x) > 0]
    order = _by_balance(run, [x for x in with_balance if x.copay]) + _by_balance(
        run, [x for x in with_balance if not x.copay]
    )
    if not rules.copays_across:
        order = order[:1]
    for line in order:
        run.pay(line)
    if run.apps:
        run.notes.append(f"Applied {run.applied_text()} (co-pay).")
    else:
        run.notes.append(f"Claim {claim.id} has no patient balance yet.")
    return None


def _is_statement(c: ClaimView, rules: Rules) -> bool:
    return c.level == "Statement" or c.status in rules.statement_statuses or (
        c.invoice_date is not None
    )


def _general(run: _Run, claims: list[ClaimView], visit_claim: ClaimView | None) -> Decision:
    rules, r = run.rules, run.r
    candidates = [
        c for c in claims if _is_statement(c, rules) and c.status not in rules.skip_statuses
    ]
    if visit_claim is not None and all(c.id != visit_claim.id for c in candidates):
        candidates.append(visit_claim)
    if not candidates:
        return run.done(ERROR, "The patient has no claim at statement level, in a statement "
                               "status or with an invoice date: apply the payment by hand.")
    if rules.order == "newest_first":
        ordered = sorted(candidates, key=lambda c: (c.service_date, c.id), reverse=True)
    elif rules.order == "highest_balance_first":
        ordered = sorted(candidates, key=lambda c: (-run.claim_balance(c), c.service_date, c.id))
    else:
        ordered = sorted(candidates, key=lambda c: (c.service_date, c.id))
    start = len(run.apps)
    for c in ordered:
        for line in sorted(c.lines, key=lambda x: x.line_number):
            if run.remaining == 0:
                break
            run.pay(line)
    if len(run.apps) > start:
        run.notes.append(f"Applied {run.applied_text(start)}.")
    if run.remaining == 0:
        return run.done(COMPLETED, "")
    until = r.received_on + dt.timedelta(days=rules.credit_hold_days)
    if run.today < until:
        return run.done(HOLD, f"{money(run.remaining)} is more than the patient "
                              f"owes; held until {until}, then it goes on the most "
                              f"recent claim as a credit.", until)
    latest = _most_recent(claims, rules)
    if latest is None:  # pragma: no cover - claims always have lines
        return run.done(ERROR, "No claim of the patient has lines to hold the "
                               "credit.")
    line = min(latest.lines, key=lambda x: x.line_number)
    amount = run.remaining
    run.credit(line, amount)
    return run.done(
        COMPLETED,
        f"{money(amount)} more than the patient owes was put on claim {latest.id} line "
        f"{line.line_number} as a credit after {rules.credit_hold_days} days; the claim's status "
        f"is now {rules.credit_status!r}.",
        claim_status={latest.id: rules.credit_status},
    )


def _most_recent(claims: list[ClaimView], rules: Rules) -> ClaimView | None:
    """The patient's most recent claim (date of service, then id) that may take a credit: any
    level or status except the skip statuses, with at least one line."""
    usable = [c for c in claims if c.lines and c.status not in rules.skip_statuses]
    return max(usable, key=lambda c: (c.service_date, c.id), default=None)


def commit(decision: Decision, claims: list[ClaimView]) -> None:
    """Make `decision` part of the in-memory state, so the next receipt of the same patient in
    a batch sees the balances this one left."""
    if not decision.applications and not decision.claim_status:
        return
    lines = {x.id: x for c in claims for x in c.lines}
    for a in decision.applications:
        lines[a.claim_line_id].patient_balance -= a.amount
    for c in claims:
        if c.id in decision.claim_status:
            c.status = decision.claim_status[c.id]
