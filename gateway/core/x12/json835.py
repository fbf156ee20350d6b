"""The JSON shape of `gateway era parse --json`: one object per transaction, amounts as
two-decimal strings (documented in docs/x12.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.core.money import format_money
from gateway.core.x12.model835 import Adjustment, ClaimPayment, Remittance, ServiceLine


def money_text(value: Decimal) -> str:
    """`format_money(value)`, fast for the usual cases: an amount already in cents, or in whole
    dimes or dollars ("12.5", "12", as payers write them).

    `str` of a Decimal with exactly two decimals is already the wire format (bar "-0.00"); one
    with one decimal or none needs its zeros only (bounded to 15 characters, far below the
    largest amount `format_money` takes); anything else goes through `format_money`. The JSON
    of a big 835 formats over a million amounts, and this is an eighth of `format_money`'s cost.
    """
    text = str(value)
    if text[-3:-2] == ".":
        if text != "-0.00":
            return text
    elif len(text) <= 15:
        if text[-2:-1] == ".":
            if text != "-0.0":
                return text + "0"
        elif text.isdigit() or (text[:1] == "-" and text[1:].isdigit() and text != "-0"):
            return text + ".00"
    return format_money(value)


def _adj_json(a: Adjustment) -> dict[str, str]:
    return {"group": a.group, "reason": a.reason, "amount": money_text(a.amount)}


def _units(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = str(value)
    if text.isdigit():  # the usual "1": already what the formula below gives
        return text
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _line_json(ln: ServiceLine) -> dict[str, Any]:
    return {
        "procedure_code": ln.procedure_code,
        "modifiers": ln.modifiers,  # a tuple or list: the same JSON array either way
        "charge": money_text(ln.charge),
        "paid": money_text(ln.paid),
        "units": _units(ln.units),
        "adjustments": [_adj_json(a) for a in ln.adjustments],
    }


def _claim_json(c: ClaimPayment) -> dict[str, Any]:
    return {
        "patient_control_number": c.patient_control_number,
        "status_code": c.status_code,
        "charge": money_text(c.charge),
        "paid": money_text(c.paid),
        "patient_responsibility": money_text(c.patient_responsibility),
        "payer_claim_number": c.payer_claim_number,
        "adjustments": [_adj_json(a) for a in c.adjustments],
        "lines": [_line_json(ln) for ln in c.lines],
    }


def remittance_json(rem: Remittance, claims: Any = None) -> dict[str, Any]:
    """The documented JSON object for one transaction (amounts as two-decimal strings).

    `claims` replaces the built "claims" list: the compiled reader passes them already
    encoded (`_fast835.remittance_wire`)."""
    return {
        "payer": {"name": rem.payer.name, "id": rem.payer.id},
        "payment": {
            "handling": rem.handling_code,
            "amount": money_text(rem.amount),
            "credit_debit": rem.credit_debit,
            "method": rem.method,
            "date": rem.payment_date.isoformat() if rem.payment_date else None,
        },
        "trace_number": rem.trace_number,
        "claims": [_claim_json(c) for c in rem.claims] if claims is None else claims,
        "provider_adjustments": [
            {"reason": p.reason, "reference": p.reference, "amount": money_text(p.amount)}
            for p in rem.provider_adjustments
        ],
        "balanced": rem.balanced,
        "problems": list(rem.problems),
    }
