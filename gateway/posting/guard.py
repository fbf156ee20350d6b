"""The posting guard: the last check between a claim's built rows and the ledger.

Whatever sequence of resolve actions, resets and re-posts led here, the rows built from one
deposit claim must pay exactly what the payer paid on it -- CLP04 in all, and on each claim
line the SVC03 of the service lines posted to it less the claim-level adjustments allocated to
it (the lines' payments less what claim-level CAS take from them are the claim's payment, see
`gateway.core.x12.balancing`) -- and write off or transfer each adjustment at most once, never
more than its amount. A claim that breaks this is refused as a claim-level posting error
("Posting Does Not Match Payment"), never posted and never raised as an exception. Excluded
service lines are not posted: their SVC03 is left out of what is due. A notification (BPR01 =
H) pays nothing; a reversal undoes exactly the rows of the posting it reverses.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from gateway.core.money import ZERO, format_money
from gateway.posting.context import ChunkData, ClaimCase, Decision, PostingContext, Problem, problem
from gateway.posting.vocabulary import ErrorType


def _due_by_line(ctx: PostingContext, case: ClaimCase, d: Decision) -> dict[int, Decimal] | None:
    """What each line must be paid (None: only the claim total can be checked)."""
    if ctx.notification:
        return {}
    if not case.procs:
        return None
    due: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for p in case.active:
        if p.id in d.mapping:
            due[d.mapping[p.id]] += p.paid
    if d.claim_cas_from_lines:
        for line_id, allocated in d.alloc.items():
            for a, amount in allocated:
                if a.deposit_procedure_id is None:  # a claim-level CAS takes from the payment
                    due[line_id] -= amount
    return {k: v for k, v in due.items() if v}


def _claim_due(ctx: PostingContext, case: ClaimCase) -> Decimal:
    if ctx.notification:
        return ZERO
    excluded = sum((p.paid for p in case.procs if p.excluded), ZERO)
    return case.dc.paid - excluded


def check_posting(ctx: PostingContext, chunk: ChunkData, case: ClaimCase, d: Decision,
                  built: dict[str, Any]) -> Problem | None:
    """None when the built rows pay what the payer paid and use each adjustment once."""
    if chunk.earlier.get(case.dc.id) is not None:
        return None  # a reversal: the exact opposite of rows that passed this guard
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for r in built["rows"]:
        if r["kind"] == "insurance_payment":
            paid[r["claim_line_id"]] += r["amount"]
    total = sum(paid.values(), ZERO)
    why = []
    due_total = _claim_due(ctx, case)
    if total != due_total:
        why.append(f"it would post {format_money(total)} of insurance payment but the payer "
                   f"paid {format_money(due_total)}")
    due = _due_by_line(ctx, case, d)
    if due is not None and {k: v for k, v in paid.items() if v} != due:
        why.append("its lines would not be paid what the payer paid on them")
    amounts = {a.id: a.amount for allocated in d.alloc.values() for a, _ in allocated}
    for adj_id, posted in d.posted_by_adjustment.items():
        limit = amounts.get(adj_id, ZERO)
        if abs(posted) > abs(limit) or (posted and (posted < 0) != (limit < 0)):
            why.append(f"adjustment {adj_id} would be posted as {format_money(posted)}, more "
                       f"than its {format_money(limit)}")
    if not why:
        return None
    return problem(ErrorType.PAYMENT_GUARD, f"claim {case.dc.claim_xref}: " + "; ".join(why),
                   {"posted": format_money(total), "paid": format_money(due_total)})
