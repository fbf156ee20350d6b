"""The 835 balancing rules, in one place: the reader reports what breaks them, the posting
engine refuses to post what breaks them, the resolve actions and the posting guard check
against them.

A claim balances when CLP03 - every CAS of the claim (claim level and line level) = CLP04
(835 TR3, claim balancing). A service line balances when SVC02 - its CAS = SVC03. The lines'
payments, less what the claim-level CAS take from them, are the claim's payment:
sum(SVC03) - claim-level CAS = CLP04 (with all charges on lines, this follows from the two
rules above; it is what posting pays, line by line). Some payers send the lines' payments
already net of the claim-level CAS instead (sum(SVC03) = CLP04, the lines then not balancing
on their own): that form is read as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

ZERO = Decimal("0.00")


def claim_difference(charge: Decimal, paid: Decimal, adjustments: Decimal) -> Decimal:
    """CLP03 - all CAS - CLP04: zero when the claim balances (`adjustments` = claim-level and
    line-level CAS together)."""
    return charge - adjustments - paid


def line_difference(charge: Decimal, paid: Decimal, adjustments: Decimal) -> Decimal:
    """SVC02 - the line's CAS - SVC03: zero when the service line balances."""
    return charge - adjustments - paid


def line_payments_difference(
    paid: Decimal, line_payments: Iterable[Decimal], claim_adjustments: Iterable[Decimal]
) -> Decimal:
    """sum(SVC03) - claim-level CAS - CLP04: zero when the lines' payments, less what the
    claim-level adjustments take from them, are the claim's payment."""
    return sum(line_payments, ZERO) - sum(claim_adjustments, ZERO) - paid


def claim_cas_taken_from_lines(
    paid: Decimal, line_payments: Iterable[Decimal], claim_adjustments: Iterable[Decimal]
) -> bool | None:
    """How a claim's lines relate to its payment: True when the claim-level CAS are taken
    from the lines' payments (sum(SVC03) - claim CAS = CLP04), False when the lines are paid
    net (sum(SVC03) = CLP04), None when neither holds (the lines do not pay the claim)."""
    line_total = sum(line_payments, ZERO)
    if line_total == paid:
        return False
    if line_payments_difference(paid, (line_total,), claim_adjustments) == 0:
        return True
    return None
