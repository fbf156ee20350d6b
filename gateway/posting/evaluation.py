"""Evaluation: the errors of one deposit claim, found in memory, before anything is written.

A claim posts whole or not at all, so every check runs and every problem is reported at once:
the carrier's own figures, the line matching, the claim-level money that must be split across
lines, the payment type of each adjustment, and each line's payment against its open balance.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from gateway.core.money import CENT, ZERO, format_money
from gateway.core.x12.balancing import claim_cas_taken_from_lines, claim_difference
from gateway.ledger.balances import Balances
from gateway.posting.context import ChunkData, ClaimCase, Decision, PostingContext, problem
from gateway.posting.matching import match_lines
from gateway.posting.models import DepositAdjustment, DepositClaim
from gateway.posting.repeats import fingerprint
from gateway.posting.rules import classify
from gateway.posting.vocabulary import ErrorLevel, ErrorType


def allocate(amount: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """Split `amount` across keys in proportion to `weights` (non-negative), in cents, the
    remainder cent by cent to the largest weights; equal split when all weights are zero."""
    keys = list(weights)
    if not keys:
        return {}
    w = {k: max(weights[k], ZERO) for k in keys}
    total = sum(w.values(), ZERO)
    if total == 0:
        w = {k: Decimal(1) for k in keys}
        total = Decimal(len(keys))
    sign = -1 if amount < 0 else 1
    absolute = abs(amount)
    shares = {k: (absolute * w[k] / total).quantize(CENT, rounding=ROUND_DOWN) for k in keys}
    rest = absolute - sum(shares.values(), ZERO)
    for k in sorted(keys, key=lambda k: (-w[k], k)):
        if rest <= 0:
            break
        shares[k] += CENT
        rest -= CENT
    return {k: v * sign for k, v in shares.items()}


def claim_not_found(dc: DepositClaim, candidates: list[int] | None) -> Decision:
    if candidates:
        msg = (f"claim {dc.claim_xref}: {len(candidates)} claims match the patient, date "
               "of service and billed total; link the right one")
    else:
        msg = (f"claim {dc.claim_xref}: no claim matches (control number, payer claim number, "
               "patient + date of service + billed total)")
    dc.claim_id = None
    d = Decision()
    d.problems.append(problem(ErrorType.CLAIM_NOT_FOUND, msg, {"candidates": candidates or []}))
    return d


def evaluate(ctx: PostingContext, chunk: ChunkData, case: ClaimCase) -> Decision:
    """Every problem of one matched claim, and (when none) what to post."""
    d = Decision()
    _check_carrier_figures(chunk, case, d)
    if _check_repeat(ctx, chunk, case, d):
        return d  # a repeat: what else it would raise follows from posting it twice
    _match_lines(chunk, case, d)
    _claim_level_money(chunk, case, d)
    _payment_types(ctx, chunk, case, d)
    _line_checks(chunk, case, d)
    return d


def _check_carrier_figures(chunk: ChunkData, case: ClaimCase, d: Decision) -> None:
    """The carrier's figures must add up (unless a biller accepted the mismatch): the claim
    balances, and its lines pay the claim's payment (`gateway.core.x12.balancing`)."""
    dc, procs = case.dc, case.procs
    if (dc.overrides or {}).get("accept_mismatch"):
        return
    claim_cas = [a.amount for a in case.claim_adjs]
    adj_total = sum(claim_cas, ZERO) + sum(
        (a.amount for p in procs for a in chunk.line_adjs.get(p.id, [])), ZERO)
    problems = []
    if claim_difference(dc.charged, dc.paid, adj_total):
        problems.append(
            f"charged {format_money(dc.charged)} - paid {format_money(dc.paid)} = "
            f"{format_money(dc.charged - dc.paid)} but adjustments total "
            f"{format_money(adj_total)}")
    if procs and claim_cas_taken_from_lines(dc.paid, (p.paid for p in procs), claim_cas) is None:
        line_paid = sum((p.paid for p in procs), ZERO)
        less = (f" less claim-level adjustments {format_money(sum(claim_cas, ZERO))}"
                if claim_cas else "")
        problems.append(f"claim paid {format_money(dc.paid)} but its lines paid "
                        f"{format_money(line_paid)}{less}")
    if problems:
        d.problems.append(problem(ErrorType.CARRIER_PAYMENT_MISMATCH,
                                  f"claim {dc.claim_xref}: " + "; ".join(problems), {}))


def _check_repeat(ctx: PostingContext, chunk: ChunkData, case: ClaimCase, d: Decision) -> bool:
    """The same adjudication posted before (another deposit, or earlier in this one) is a
    Duplicate Claim Payment; once ignored, only its payment posts (as a credit)."""
    if case.reversal:
        return False
    d.fingerprint = fingerprint(case.dc, case.procs, chunk.line_adjs, case.claim_adjs)
    if (case.dc.overrides or {}).get("accept_duplicate"):
        d.overpaid_lines.update(ln.id for ln in case.claim_lines)
        return False
    before = chunk.posted_before.get(d.fingerprint) or ctx.posted_now.get(d.fingerprint)
    if before is None:
        return False
    d.problems.append(problem(
        ErrorType.DUPLICATE_CLAIM_PAYMENT,
        f"claim {case.dc.claim_xref}: this adjudication (payer claim number "
        f"{case.dc.payer_claim_number or '-'}, paid {format_money(case.dc.paid)}) is already "
        f"posted from deposit claim {before}; exclude it, or ignore to post the payment as a "
        "credit without its adjustments", {"posted_deposit_claim_id": before}))
    return True


def _match_lines(chunk: ChunkData, case: ClaimCase, d: Decision) -> None:
    active, claim_lines, dc = case.active, case.claim_lines, case.dc
    mapping, unmatched = match_lines(active, claim_lines)
    d.mapping = mapping
    for p in active:
        if p.id in mapping and p.claim_line_id != mapping[p.id]:
            p.claim_line_id = mapping[p.id]
            chunk.proc_updates.append({"b_id": p.id, "claim_line_id": p.claim_line_id})
    used = set(mapping.values())
    for pid in unmatched:
        p = next(x for x in active if x.id == pid)
        free = [{"id": ln.id, "procedure_code": ln.code, "modifiers": ln.modifiers,
                 "charge": format_money(ln.charge)} for ln in claim_lines if ln.id not in used]
        d.problems.append(problem(
            ErrorType.PROCEDURE_CODE_CONFLICT,
            f"claim {dc.claim_xref} line {p.sequence}: {p.procedure_code}"
            f"{''.join('-' + m for m in p.modifiers)} matches no line of claim {dc.claim_id}",
            {"candidates": free}, proc_id=p.id))


def _claim_level_money(chunk: ChunkData, case: ClaimCase, d: Decision) -> None:
    """Claim CAS, and the payment itself when the payer sent no lines, split across lines."""
    dc = case.dc
    line_ids = [ln.id for ln in case.claim_lines]
    single = line_ids[0] if len(line_ids) == 1 else None
    weights = {ln: chunk.balances.get(ln, Balances()).balance for ln in line_ids}
    if not case.procs and dc.paid != 0:
        pa = (dc.overrides or {}).get("payment_allocations")
        if single is not None:
            d.payment_by_line[single] = dc.paid
        elif pa and sum((Decimal(v) for v in pa.values()), ZERO) == dc.paid:
            for k, v in pa.items():
                d.payment_by_line[int(k)] = Decimal(v)
        else:
            proposal = allocate(dc.paid, weights)
            d.problems.append(problem(
                ErrorType.CLAIM_LEVEL_ADJUSTMENT,
                f"claim {dc.claim_xref}: payment {format_money(dc.paid)} is not split by "
                "line; confirm or change the allocation",
                {"payment": True, "amount": format_money(dc.paid),
                 "proposed": {str(k): format_money(v) for k, v in proposal.items()}}))
    for p in case.active:
        if p.id in d.mapping:
            d.payment_by_line[d.mapping[p.id]] += p.paid
    for a in case.claim_adjs:
        _allocate_claim_adjustment(case, d, a, single, weights)
    d.claim_cas_from_lines = bool(case.procs) and bool(claim_cas_taken_from_lines(
        dc.paid, (p.paid for p in case.procs), (a.amount for a in case.claim_adjs)))
    if d.claim_cas_from_lines:
        # the lines' payments less what claim-level adjustments take from them = CLP04
        for line_id, allocated in d.alloc.items():
            for _a, amount in allocated:
                d.payment_by_line[line_id] -= amount
    for p in case.active:
        if p.id in d.mapping:
            for a in chunk.line_adjs.get(p.id, []):
                d.alloc[d.mapping[p.id]].append((a, a.amount))


def _allocate_claim_adjustment(case: ClaimCase, d: Decision, a: DepositAdjustment,
                               single: int | None, weights: dict[int, Decimal]) -> None:
    if single is not None:
        d.alloc[single].append((a, a.amount))
    elif a.allocations and sum((Decimal(v) for v in a.allocations.values()), ZERO) == a.amount:
        for k, v in a.allocations.items():
            d.alloc[int(k)].append((a, Decimal(v)))
    else:
        proposal = allocate(a.amount, weights)
        d.problems.append(problem(
            ErrorType.CLAIM_LEVEL_ADJUSTMENT,
            f"claim {case.dc.claim_xref}: claim-level adjustment {a.group_code}-{a.reason} "
            f"{format_money(a.amount)} must be allocated to lines",
            {"amount": format_money(a.amount), "group": a.group_code, "reason": a.reason,
             "proposed": {str(k): format_money(v) for k, v in proposal.items()}},
            adj_id=a.id))


def _payment_types(ctx: PostingContext, chunk: ChunkData, case: ClaimCase, d: Decision) -> None:
    for p in case.procs:
        for a in chunk.line_adjs.get(p.id, []):
            _type_adjustment(ctx, chunk, case, d, a, p.paid == 0, p.id)
    for a in case.claim_adjs:
        _type_adjustment(ctx, chunk, case, d, a, case.dc.paid == 0, None)


def _type_adjustment(ctx: PostingContext, chunk: ChunkData, case: ClaimCase, d: Decision,
                     a: DepositAdjustment, paid_zero: bool, proc_id: int | None) -> None:
    if a.payment_type_source == "user" and a.payment_type:
        d.ptype_of[a.id] = a.payment_type
        d.rule_of[a.id] = ctx.rules.reason_rule(a.group_code, a.reason)
        return
    ptype, rule = classify(ctx.rules, a.group_code, a.reason, line_paid_zero=paid_zero,
                           claim_denied=case.denied_claim)
    if ptype is None:
        d.problems.append(problem(
            ErrorType.MISSING_PAYMENT_TYPE,
            f"claim {case.dc.claim_xref}: no rule maps adjustment {a.group_code}-{a.reason} "
            f"({format_money(a.amount)}); choose a payment type",
            {"group": a.group_code, "reason": a.reason, "amount": format_money(a.amount)},
            proc_id=proc_id, adj_id=a.id,
            level=ErrorLevel.PROCEDURE if proc_id else ErrorLevel.CLAIM))
        return
    d.ptype_of[a.id] = ptype
    d.rule_of[a.id] = rule
    if a.payment_type != ptype or a.payment_type_source != "rule":
        a.payment_type, a.payment_type_source = ptype, "rule"
        chunk.adj_updates.append(
            {"b_id": a.id, "payment_type": ptype, "payment_type_source": "rule"})


def _line_checks(chunk: ChunkData, case: ClaimCase, d: Decision) -> None:
    dc = case.dc
    for p in case.active:
        if p.id not in d.mapping:
            continue
        pov = p.overrides or {}
        if p.paid < 0 and not case.reversal and not pov.get("accept_negative"):
            d.problems.append(problem(
                ErrorType.NEGATIVE_LINE_PAYMENT,
                f"claim {dc.claim_xref} line {p.sequence}: payment "
                f"{format_money(p.paid)} is negative outside a reversal",
                {"paid": format_money(p.paid)}, proc_id=p.id))
        open_balance = chunk.balances.get(d.mapping[p.id], Balances()).balance
        overpaid = not case.reversal and p.paid > 0 and p.paid > open_balance
        if overpaid and d.mapping[p.id] in d.overpaid_lines:
            continue  # an accepted duplicate: its payment is a credit by design
        if overpaid and pov.get("accept_overpayment"):
            d.overpaid_lines.add(d.mapping[p.id])
        elif overpaid:
            d.problems.append(problem(
                ErrorType.PAYMENT_EXCEEDS_OPEN_BALANCE,
                f"claim {dc.claim_xref} line {p.sequence}: payment "
                f"{format_money(p.paid)} exceeds the open balance "
                f"{format_money(open_balance)}",
                {"paid": format_money(p.paid), "open_balance": format_money(open_balance)},
                proc_id=p.id))
