"""A manual EOB while it is keyed in: the fields as typed, saved as each one is left.

The draft is plain JSON (`EobDraft.payload`). What it computes is what the service will also
compute and check when the draft is saved (`gateway.posting.eob.create_eob_deposit`): CO-45 is
charged - allowed, and allowed is charged - CO-45; a negative payment is refused there as here
(manual EOBs are not for take-backs). The service stays the authority; the draft only shows
the figures early.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.core.errors import UserError
from gateway.core.money import cents, format_money
from gateway.posting.schemas import EobAdjustmentIn, EobClaimIn, EobIn, EobLineIn

HEADER_FIELDS = ("payer_id", "deposit_date", "amount", "check_trace_id")


def parse_amount(text: str) -> Decimal | None:
    """'1,234.5' -> 1234.50; '' -> None; anything else raises ValueError."""
    raw = text.replace(",", "").replace("$", "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if value != cents(value):
        raise ValueError("at most two decimals")
    return cents(value)


def split_code(code: str) -> tuple[str, str]:
    """'PR-2', 'pr2', 'PR 2' -> ('PR', '2'); a bare '45' is a service-line code ('SL')."""
    text = code.strip().upper().replace(" ", "").replace("-", "")
    group = "".join(ch for ch in text[:3] if ch.isalpha())
    reason = text[len(group):]
    if not reason:
        raise ValueError(f"not an adjustment code (like PR-2 or CO-45): {code!r}")
    return group or "SL", reason


def new_line(line_id: int, number: int, code: str, charge: Decimal) -> dict[str, Any]:
    return {"claim_line_id": line_id, "number": number, "code": code,
            "charge": format_money(charge), "paid": "", "allowed": "", "co45": "",
            "co45_computed": False, "adjustments": [], "problem": ""}


def update_line(line: dict[str, Any], paid: str, allowed: str, co45: str,
                adjustments: list[tuple[str, str]]) -> None:
    """Take the typed values of one line; recompute whichever of allowed / CO-45 the user
    did not just change."""
    problems: list[str] = []
    charge = Decimal(line["charge"])
    allowed_changed = allowed.strip() != line["allowed"]
    co45_changed = co45.strip() != line["co45"]
    line["paid"], line["allowed"], line["co45"] = paid.strip(), allowed.strip(), co45.strip()
    try:
        paid_v = parse_amount(line["paid"])
        if paid_v is not None and paid_v < 0:
            problems.append("a manual EOB cannot take a payment back (negative paid); "
                            "reset the deposit that paid it instead")
        allowed_v = parse_amount(line["allowed"])
        co45_v = parse_amount(line["co45"])
        if allowed_changed and allowed_v is not None:
            line["co45"], line["co45_computed"] = format_money(charge - allowed_v), True
        elif allowed_changed and allowed_v is None and line["co45_computed"]:
            line["co45"], line["co45_computed"] = "", False
        elif co45_changed and co45_v is not None:
            line["allowed"], line["co45_computed"] = format_money(charge - co45_v), False
        if allowed_v is not None and not 0 <= allowed_v <= charge:
            problems.append(f"allowed must be between 0.00 and the charge {line['charge']}")
    except ValueError as exc:
        problems.append(str(exc))
    kept = []
    for code, amount in adjustments:
        if not code.strip() and not amount.strip():
            continue
        try:
            split_code(code)
            parse_amount(amount)
        except ValueError as exc:
            problems.append(str(exc))
        kept.append({"code": code.strip().upper(), "amount": amount.strip()})
    line["adjustments"] = kept
    line["problem"] = "; ".join(problems)


def entered_total(payload: dict[str, Any]) -> Decimal:
    total = Decimal("0.00")
    for c in payload.get("claims", []):
        for ln in c["lines"]:
            try:
                total += parse_amount(ln["paid"]) or 0
            except ValueError:
                pass
    return total


def to_eob(payload: dict[str, Any]) -> EobIn:
    """The draft as the service's input; located errors for what is missing or unreadable."""
    try:
        payer_id = int(payload.get("payer_id") or 0)
    except ValueError:
        payer_id = 0
    if not payer_id:
        raise UserError("choose the payer", where="payer_id")
    try:
        deposit_date = dt.date.fromisoformat(payload.get("deposit_date") or "")
    except ValueError:
        raise UserError("enter the deposit date", where="deposit_date") from None
    try:
        amount = parse_amount(payload.get("amount") or "")
    except ValueError as exc:
        raise UserError(str(exc), where="amount") from None
    if amount is None:
        raise UserError("enter the check amount", where="amount")
    if not payload.get("claims"):
        raise UserError("add at least one claim", where="claims")
    claims = []
    for c in payload["claims"]:
        lines = []
        for ln in c["lines"]:
            where = f"claim {c['label']} line {ln['number']}"
            if ln["problem"]:
                raise UserError(ln["problem"], where=where)
            try:
                paid = parse_amount(ln["paid"]) or Decimal("0.00")
                allowed = parse_amount(ln["allowed"])
                adjs = [EobAdjustmentIn(group=g, reason=r, amount=parse_amount(a["amount"])
                                        or Decimal("0.00"))
                        for a in ln["adjustments"] for g, r in [split_code(a["code"])]]
                co45 = parse_amount(ln["co45"])
            except ValueError as exc:
                raise UserError(str(exc), where=where) from None
            if allowed is None and co45 is not None:
                adjs.append(EobAdjustmentIn(group="CO", reason="45", amount=co45))
            lines.append(EobLineIn(claim_line_id=ln["claim_line_id"], paid=paid,
                                   allowed=allowed, adjustments=adjs))
        claims.append(EobClaimIn(claim_id=c["claim_id"], lines=lines))
    return EobIn(payer_id=payer_id, deposit_date=deposit_date, amount=amount, claims=claims,
                 check_trace_id=(payload.get("check_trace_id") or "").strip() or None)
