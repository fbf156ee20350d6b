"""Balancing an 835 as it is read: a claim and its lines when the claim closes, the payment
when the transaction set closes (rules in `balancing.py`). What does not balance is reported
as a located problem, never raised; an amount that is not finite raises `X12Error`.
"""

from __future__ import annotations

from decimal import Decimal

from gateway.core.money import format_money
from gateway.core.x12.balancing import claim_difference, line_difference
from gateway.core.x12.errors import X12Error
from gateway.core.x12.model835 import ClaimPayment, Remittance, ServiceLine


def _not_a_number(what: str, segment: int, tag: str, file: str | None) -> X12Error:
    return X12Error(f"{what} is not a number (NaN or Infinity)", segment=segment,
                    segment_id=tag, file=file)


def _close_claim(
    problems: list[str], claim: ClaimPayment, line: ServiceLine | None, line_adj: Decimal,
    claim_adj: Decimal, file: str | None,
) -> None:
    """Balance a finished claim (and its open last line): CLP03 - CLP04 = its CAS and its
    lines' CAS; SVC02 - SVC03 = the line's CAS. Problems are reported, not raised."""
    if line is not None:
        claim_adj += line_adj
        if line_difference(line.charge, line.paid, line_adj):
            _line_problem(problems, claim, line, line_adj, file)
    if claim_difference(claim.charge, claim.paid, claim_adj):
        _claim_problem(problems, claim, claim_adj, file)


def _line_problem(
    problems: list[str], claim: ClaimPayment, line: ServiceLine, adj: Decimal, file: str | None
) -> None:
    if not (line.charge.is_finite() and line.paid.is_finite()):
        raise _not_a_number("a service line amount", line.segment, "SVC", file)
    if not adj.is_finite():
        raise _not_a_number("an adjustment (CAS) amount of this line", line.segment, "SVC", file)
    problems.append(
        f"segment {line.segment} (SVC): service line "
        f"{':'.join(filter(None, (line.procedure_qualifier, line.procedure_code)))} of claim "
        f"{claim.patient_control_number}: charge {format_money(line.charge)} - paid "
        f"{format_money(line.paid)} = {format_money(line.charge - line.paid)} but its "
        f"adjustments total {format_money(adj)}"
    )


def _claim_problem(
    problems: list[str], claim: ClaimPayment, adj: Decimal, file: str | None
) -> None:
    if not (claim.charge.is_finite() and claim.paid.is_finite()):
        raise _not_a_number("a claim amount", claim.segment, "CLP", file)
    if not adj.is_finite():
        raise _not_a_number("an adjustment (CAS) amount of this claim", claim.segment, "CLP",
                            file)
    problems.append(
        f"segment {claim.segment} (CLP): claim {claim.patient_control_number}: charge "
        f"{format_money(claim.charge)} - paid {format_money(claim.paid)} = "
        f"{format_money(claim.charge - claim.paid)} but adjustments total "
        f"{format_money(adj)}"
    )


def _balance(
    rem: Remittance, paid_sum: Decimal, plb_sum: Decimal, problems: list[str], file: str | None
) -> None:
    """Payment-level balancing (claim and line balancing happen as they close)."""
    if not (rem.amount.is_finite() and paid_sum.is_finite() and plb_sum.is_finite()):
        raise _not_a_number("an amount of this transaction set", rem.first_segment, "ST", file)
    signed = rem.amount if rem.credit_debit != "D" else -rem.amount
    expected = paid_sum - plb_sum
    if signed != expected:
        problems.append(
            f"segment {rem.first_segment + 1} (BPR): payment {format_money(signed)} "
            f"(BPR02, {rem.credit_debit or 'C'}) but claims paid {format_money(paid_sum)} - "
            f"provider adjustments {format_money(plb_sum)} = {format_money(expected)}"
        )
