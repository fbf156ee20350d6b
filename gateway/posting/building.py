"""Building: the ledger rows, claim update and deposit-claim update of one clean claim.

A clean claim's decision (see `evaluation`) becomes rows in memory: its insurance payments, its
balance adjustments, its patient transfers (held back while a next payer still has to pay), or
-- for a reversal -- the exact opposite of what the earlier posting wrote. The claim's next
status, level and payer come from the remit-status and reason rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.core.money import ZERO
from gateway.ledger.balances import Balances
from gateway.posting.context import ChunkData, ClaimCase, Decision, PostingContext
from gateway.posting.matching import RANK_OF_STATUS
from gateway.posting.models import DepositClaim
from gateway.posting.rules import BALANCE_TYPES, PATIENT_TYPES, ReasonRule

LEVEL_OF_RANK = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
CROSSOVER = frozenset({"19", "20", "21"})
FIGURES = ("deductible", "coinsurance", "copay", "adjustments", "denied", "information")
PRIOR_FIELDS = ("payer_id", "payer_rank", "level", "status", "sub_status", "payer_claim_number")


def ledger_row(ctx: PostingContext, dc: DepositClaim, line_id: int, kind: str, amount: Decimal,
               reason: str | None, reverses_id: int | None = None) -> dict[str, Any]:
    return {
        "practice_id": ctx.deposit.practice_id,
        "claim_id": dc.claim_id,
        "claim_line_id": line_id,
        "kind": kind,
        "amount": amount,
        "payer_id": ctx.deposit.payer_id,
        "source_type": "deposit_claim",
        "source_id": dc.id,
        "reverses_id": reverses_id,
        "reason": reason,
        "detail": None,
        "created_at": ctx.now,
    }


@dataclass
class _Next:
    """Who pays next, as the claim's coverages and the ERA's crossover say."""

    this_rank: int
    next_rank: int
    next_payer: int | None
    has_next: bool
    crossover: bool


def _figures(d: Decision, dc: DepositClaim) -> tuple[dict[str, Decimal], ReasonRule | None, bool]:
    """The deposit claim's figures by payment type, the deciding denial rule, and whether the
    claim carries a denial."""
    figures = {k: ZERO for k in FIGURES}
    denial_rule = None
    for a_list in d.alloc.values():
        for a, amount in a_list:
            t = d.ptype_of[a.id]
            if t in ("deductible", "coinsurance", "copay"):
                figures[t] += amount
            if t in BALANCE_TYPES:
                figures["adjustments"] += amount
            elif t == "denial":
                figures["denied"] += amount
                r = d.rule_of.get(a.id)
                if denial_rule is None or (r is not None and r.claim_status):
                    denial_rule = r or denial_rule
            elif t == "information":
                figures["information"] += amount
    has_denial = figures["denied"] != 0 or dc.remit_status == "4"
    return figures, denial_rule, has_denial


def _next_payer(chunk: ChunkData, case: ClaimCase) -> _Next:
    dc, claim = case.dc, case.claim
    this_rank = RANK_OF_STATUS.get(dc.remit_status, claim["payer_rank"])
    crossover = dc.remit_status in CROSSOVER or bool(dc.crossover_payer_name)
    payer_by_rank = chunk.coverages.get(claim["patient_id"], {})
    next_rank = this_rank + 1
    next_payer = payer_by_rank.get(next_rank)
    if next_payer is None and crossover and dc.crossover_payer_name:
        next_payer = chunk.crossover_payers.get(dc.crossover_payer_name)
    has_next = next_rank in payer_by_rank or crossover
    return _Next(this_rank, next_rank, next_payer, has_next, crossover)


def _reversal_rows(ctx: PostingContext, chunk: ChunkData, case: ClaimCase,
                   earlier: DepositClaim, rows: list[dict[str, Any]]) -> str:
    """Undo exactly what the earlier posting wrote; returns the outcome."""
    for r in chunk.earlier_rows.get(earlier.id, []):
        rows.append(ledger_row(ctx, case.dc, r.claim_line_id, r.kind, -r.amount, r.reason,
                               reverses_id=r.id))
    for r in rows:
        chunk.balances.setdefault(r["claim_line_id"], Balances()).add(r["kind"], r["amount"])
    total_after = sum((chunk.balances.get(ln.id, Balances()).balance
                       for ln in case.claim_lines), ZERO)
    return "zero_balance" if total_after == 0 else "no_insurance"


def _outcome(ctx: PostingContext, chunk: ChunkData, case: ClaimCase, d: Decision,
             nxt: _Next) -> str:
    """The claim's balance after this posting decides: zero, next payer, or no insurance."""
    total_after = ZERO
    for ln in case.claim_lines:
        b = chunk.balances.get(ln.id, Balances())
        reduce = d.payment_by_line.get(ln.id, ZERO) if not ctx.notification else ZERO
        for a, amount in d.alloc.get(ln.id, []):
            if d.ptype_of[a.id] in BALANCE_TYPES:
                reduce += amount
        total_after += b.balance - reduce
    if total_after == 0:
        return "zero_balance"
    if nxt.has_next and case.dc.remit_status != "22":
        return "next_insurance"
    return "no_insurance"


def _payment_rows(ctx: PostingContext, chunk: ChunkData, case: ClaimCase, d: Decision,
                  hold: bool, rows: list[dict[str, Any]]) -> None:
    """Insurance payments, balance adjustments and patient transfers, line by line."""
    dc = case.dc
    for ln in case.claim_lines:
        b = chunk.balances.setdefault(ln.id, Balances())
        pay = d.payment_by_line.get(ln.id, ZERO)
        if pay and not ctx.notification:
            rows.append(ledger_row(ctx, dc, ln.id, "insurance_payment", pay, None))
            b.add("insurance_payment", pay)
        settled = ln.id in d.overpaid_lines
        for a, amount in d.alloc.get(ln.id, []):
            t = d.ptype_of[a.id]
            reason = f"{a.group_code}-{a.reason}"
            if t in BALANCE_TYPES:
                kind = "insurance_adjustment"
            elif t in PATIENT_TYPES and not hold:
                kind = "transfer_to_patient"
            else:
                continue
            if settled:  # an accepted overpayment: the line's charge was settled before
                continue
            if amount:
                rows.append(ledger_row(ctx, dc, ln.id, kind, amount, reason))
                b.add(kind, amount)
                d.posted_by_adjustment[a.id] = d.posted_by_adjustment.get(a.id, ZERO) + amount
        # a later payer paid part of what had moved to the patient: move it back (not for an
        # accepted overpayment: that credit is the payer's, the patient still owes their part)
        if not settled and b.insurance_balance < 0 and b.patient_balance > 0:
            back = min(-b.insurance_balance, b.patient_balance)
            rows.append(ledger_row(ctx, dc, ln.id, "transfer_to_patient", -back,
                                   "transfer back to insurance"))
            b.add("transfer_to_patient", -back)


@dataclass
class _State:
    payer_id: int | None
    payer_rank: int
    level: str | None
    status: str
    sub_status: str | None


def _claim_state(ctx: PostingContext, case: ClaimCase, start: dict[str, Any], outcome: str,
                 nxt: _Next, denial: tuple[bool, ReasonRule | None], reversal: bool) -> _State:
    """Status, level, sub-status and payer after posting, as the rules say."""
    dc, claim = case.dc, case.claim
    has_denial, denial_rule = denial
    rule_code = dc.remit_status
    if nxt.crossover and outcome == "next_insurance" and rule_code in ("1", "2", "3"):
        rule_code = {"1": "19", "2": "20", "3": "21"}[rule_code]
    srule = ctx.rules.status_rule(rule_code, outcome)
    status = srule.claim_status if srule and srule.claim_status else claim["status"]
    sub = srule.claim_sub_status if srule else None
    level = srule.claim_level if srule and srule.claim_level else start["level"]
    payer_id, payer_rank = start["payer_id"], start["payer_rank"]
    if outcome == "next_insurance" and not has_denial and not reversal:
        payer_rank = nxt.next_rank
        payer_id = nxt.next_payer if nxt.next_payer is not None else payer_id
        if not (srule and srule.claim_level):
            level = LEVEL_OF_RANK.get(nxt.next_rank, level)
    if has_denial and not reversal:
        # a denial keeps the claim on the payer that denied it (unless its rule says where)
        r = denial_rule
        status = (r.claim_status if r and r.claim_status else None) or "Denied"
        sub = (r.claim_sub_status if r and r.claim_sub_status else None) or sub
        level = r.claim_level if r and r.claim_level else start["level"]
    if nxt.crossover and dc.crossover_payer_name and outcome == "next_insurance":
        sub = (sub or "Billed by crossover")[:60]
    return _State(payer_id, payer_rank, level, status, sub)


def build(ctx: PostingContext, chunk: ChunkData, case: ClaimCase, d: Decision) -> dict[str, Any]:
    """The rows and updates of one clean claim: {"rows", "reversed_id", "claim", "dc"}."""
    dc, claim = case.dc, case.claim
    rows: list[dict[str, Any]] = []
    figures, denial_rule, has_denial = _figures(d, dc)
    prior = {k: claim[k] for k in PRIOR_FIELDS}
    earlier = chunk.earlier.get(dc.id)
    reversed_id = None
    if earlier is not None:
        reversed_id = earlier.id
        restored = earlier.prior_state or prior
        start = {"payer_id": restored.get("payer_id"),
                 "payer_rank": restored.get("payer_rank", 1), "level": restored.get("level")}
    else:
        start = {"payer_id": claim["payer_id"], "payer_rank": claim["payer_rank"],
                 "level": claim["level"]}
    nxt = _next_payer(chunk, case)
    if earlier is None:
        outcome = _outcome(ctx, chunk, case, d, nxt)
        hold = outcome == "next_insurance" and not has_denial
        _payment_rows(ctx, chunk, case, d, hold, rows)
    else:
        outcome = _reversal_rows(ctx, chunk, case, earlier, rows)
    state = _claim_state(ctx, case, start, outcome, nxt, (has_denial, denial_rule),
                         earlier is not None)
    credit = any(chunk.balances.get(ln.id, Balances()).balance < 0 for ln in case.claim_lines)
    claim.update(payer_id=state.payer_id, payer_rank=state.payer_rank, level=state.level,
                 status=state.status, sub_status=state.sub_status,
                 payer_claim_number=dc.payer_claim_number or claim["payer_claim_number"])
    return {
        "rows": rows,
        "reversed_id": reversed_id,
        "claim": {
            "b_id": dc.claim_id, "payer_id": state.payer_id, "payer_rank": state.payer_rank,
            "level": state.level, "status": state.status, "sub_status": state.sub_status,
            "payer_claim_number": claim["payer_claim_number"],
        },
        "dc": {
            "state": "posted", "posted_at": ctx.now, "credit": credit,
            "result_level": state.level, "result_status": state.status,
            "result_sub_status": state.sub_status, "prior_state": prior,
            "reverses_id": reversed_id, **figures,
        },
    }
