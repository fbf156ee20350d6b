"""Repeated adjudications: the same CLP posted again from another deposit (or twice in one).

A payer that sends the same adjudication of a claim again -- same payer claim control number
(CLP07; CLP01 when there is none), same figures, same service lines and adjustments -- under a
new trace number has either paid twice or re-sent a remittance. Posting it again would write
its adjustments and patient transfers off a second time, and no other check sees it when the
line paid $0, when the claim has no service lines, or when the payment is within what the
patient still owes. So a repeat is a claim-level error ("Duplicate Claim Payment"): the biller
excludes it (nothing posted; the money is refunded or recouped outside posting) or ignores it
(the payment posts as the credit it is, its adjustments and transfers are not posted again).
A repeat is only a repeat of a posting still in effect: a reversed or reset one does not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.posting.bulk import fetch, fetch_where_in
from gateway.posting.context import ChunkData
from gateway.posting.models import DepositAdjustment, DepositClaim, DepositProcedure

Fingerprint = tuple[Any, ...]


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def fingerprint(dc: Any, procs: Iterable[Any], adjs_of_proc: dict[int, list[Any]],
                claim_adjs: Iterable[Any]) -> Fingerprint:
    """What makes two CLPs the same adjudication of the same claim."""
    def cas(adjs: Iterable[Any]) -> tuple[tuple[str, str, Decimal], ...]:
        return tuple(sorted((a.group_code, a.reason, a.amount) for a in adjs))

    lines = tuple(sorted(
        (p.procedure_code, tuple(p.modifiers or ()), p.charged, p.paid,
         cas(adjs_of_proc.get(p.id, ())))
        for p in procs))
    return (dc.claim_id, dc.payer_claim_number or dc.claim_xref, dc.remit_status, dc.charged,
            dc.paid, lines, cas(claim_adjs))


async def load_posted(session: AsyncSession, chunk: ChunkData) -> None:
    """The postings in effect (not reversals, not reversed) of the chunk's claims, by
    fingerprint: chunk.posted_before[fingerprint] = that deposit claim's id."""
    if not chunk.claims:
        return
    rows = await fetch(session, select(
        DepositClaim.id, DepositClaim.claim_id, DepositClaim.payer_claim_number,
        DepositClaim.claim_xref, DepositClaim.remit_status, DepositClaim.charged,
        DepositClaim.paid, DepositClaim.overrides,
    ).where(  # by claim_id alone (its index): the chunk's claims are the practice's
        DepositClaim.claim_id.in_(list(chunk.claims)),
        DepositClaim.state == "posted",
        DepositClaim.reversed_by_id.is_(None),
        DepositClaim.remit_status != "22",
    ))
    # an accepted duplicate posted only its payment: it is not the adjudication in effect
    rows = [r for r in rows if not (r.overrides or {}).get("accept_duplicate")]
    if not rows:
        return
    ids = [r.id for r in rows]
    procs: dict[int, list[Any]] = {}
    for p in await fetch_where_in(session, _table(DepositProcedure), "deposit_claim_id", ids,
                                  ["id"]):
        procs.setdefault(p.deposit_claim_id, []).append(p)
    line_adjs: dict[int, list[Any]] = {}
    claim_adjs: dict[int, list[Any]] = {}
    for a in await fetch_where_in(session, _table(DepositAdjustment), "deposit_claim_id", ids,
                                  ["id"]):
        if a.deposit_procedure_id is None:
            claim_adjs.setdefault(a.deposit_claim_id, []).append(a)
        else:
            line_adjs.setdefault(a.deposit_procedure_id, []).append(a)
    for r in rows:
        fp = fingerprint(r, procs.get(r.id, ()), line_adjs, claim_adjs.get(r.id, ()))
        chunk.posted_before[fp] = r.id
