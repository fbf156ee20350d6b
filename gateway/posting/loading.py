"""Loading: what one chunk of deposit claims needs, in a handful of bulk queries.

The deposit claims' lines and adjustments, the matched claims with their lines, the line
balances (ledger sums), the patients' coverages, the earlier postings a reversal undoes, the
crossover payers and the errors still open. Memory holds one chunk, whatever the size of the ERA.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.payers import find_payer
from gateway.core.money import ZERO
from gateway.db.models import Coverage
from gateway.ledger.balances import Balances
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.posting.bulk import fetch, fetch_where_in
from gateway.posting.context import ChunkData
from gateway.posting.matching import Line, match_claims
from gateway.posting.models import (
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
    PostingError,
)
from gateway.posting.repeats import load_posted

CLAIM_FIELDS = (Claim.id, Claim.patient_id, Claim.payer_id, Claim.payer_rank, Claim.level,
                Claim.status, Claim.sub_status, Claim.payer_claim_number)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


async def load_chunk(session: AsyncSession, practice_id: int, payer_id: int | None,
                     dcs: list[DepositClaim]) -> ChunkData:
    chunk = ChunkData()
    await _load_deposit_lines(session, chunk, [dc.id for dc in dcs])
    chunk.candidates = await match_claims(
        session, practice_id, [dc for dc in dcs if dc.claim_id is None], payer_id)
    await _load_claims(session, chunk, practice_id,
                       {dc.claim_id for dc in dcs if dc.claim_id is not None})
    await _load_earlier(session, chunk, practice_id, dcs)
    await load_posted(session, chunk)
    for dc in dcs:
        name = dc.crossover_payer_name
        if name and name not in chunk.crossover_payers:
            p = await find_payer(session, practice_id, name, dc.crossover_payer_id)
            chunk.crossover_payers[name] = p.id if p else None
    for e_id, dc_id, etype, pid, aid in await fetch(
        session,
        select(PostingError.id, PostingError.deposit_claim_id, PostingError.type,
               PostingError.deposit_procedure_id, PostingError.deposit_adjustment_id)
        .where(PostingError.deposit_claim_id.in_([dc.id for dc in dcs]),
               PostingError.resolved_at.is_(None)),
    ):
        chunk.open_errors[dc_id][(etype, pid, aid)] = e_id
    return chunk


async def _load_deposit_lines(session: AsyncSession, chunk: ChunkData, dc_ids: list[int]) -> None:
    """Service lines and adjustments, as plain objects with the models' attributes (bulk
    reads, no ORM identity map): typed as the models they mirror."""
    for p in await fetch_where_in(session, _table(DepositProcedure), "deposit_claim_id", dc_ids,
                                  ["deposit_claim_id", "sequence"]):
        chunk.procs_by_dc[p.deposit_claim_id].append(cast(DepositProcedure, p))
    for a in await fetch_where_in(session, _table(DepositAdjustment), "deposit_claim_id", dc_ids,
                                  ["id"]):
        adj = cast(DepositAdjustment, a)
        if a.deposit_procedure_id is None:
            chunk.claim_adjs[a.deposit_claim_id].append(adj)
        else:
            chunk.line_adjs[a.deposit_procedure_id].append(adj)


async def _load_claims(session: AsyncSession, chunk: ChunkData, practice_id: int,
                       claim_ids: set[int]) -> None:
    """The matched claims, their lines, line balances and the patients' coverages."""
    if not claim_ids:
        return
    for row in await fetch(session, select(*CLAIM_FIELDS).where(
            Claim.id.in_(claim_ids), Claim.practice_id == practice_id)):
        chunk.claims[row.id] = dict(row._mapping)
    if not chunk.claims:
        return
    ids = list(chunk.claims)
    for row in await fetch(
        session,
        select(ClaimLine.id, ClaimLine.claim_id, ClaimLine.line_number,
               ClaimLine.procedure_code, ClaimLine.modifiers, ClaimLine.charge)
        .where(ClaimLine.claim_id.in_(ids))
        .order_by(ClaimLine.claim_id, ClaimLine.line_number),
    ):
        chunk.lines[row[1]].append(Line(row[0], row[1], row[2], row[3],
                                        [m.upper() for m in (row[4] or [])], row[5]))
        chunk.balances[row[0]] = Balances()
    for line_id, kind, total in await fetch(
        session,
        select(LedgerEntry.claim_line_id, LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.claim_id.in_(ids))
        .group_by(LedgerEntry.claim_line_id, LedgerEntry.kind),
    ):
        chunk.balances.setdefault(line_id, Balances()).add(kind, total or ZERO)
    patient_ids = {c["patient_id"] for c in chunk.claims.values()}
    for pid, rank, payer in await fetch(
        session,
        select(Coverage.patient_id, Coverage.rank, Coverage.payer_id)
        .where(Coverage.patient_id.in_(patient_ids)),
    ):
        chunk.coverages[pid][rank] = payer


async def _load_earlier(session: AsyncSession, chunk: ChunkData, practice_id: int,
                        dcs: list[DepositClaim]) -> None:
    """Reversals: the earlier posting of the same payer claim number on the same claim (the
    latest one that paid the opposite amount and is not reversed yet), with its live rows."""
    rev = [dc for dc in dcs if dc.remit_status == "22" and dc.claim_id is not None
           and dc.payer_claim_number]
    if not rev:
        return
    found = (
        await session.scalars(
            select(DepositClaim)
            .where(
                DepositClaim.practice_id == practice_id,
                DepositClaim.payer_claim_number.in_({dc.payer_claim_number for dc in rev}),
                DepositClaim.state == "posted",
                DepositClaim.reversed_by_id.is_(None),
                DepositClaim.remit_status != "22",
            )
            .order_by(DepositClaim.id)
        )
    ).all()
    by_key: dict[tuple[Any, Any], list[DepositClaim]] = defaultdict(list)
    for e in found:
        by_key[(e.claim_id, e.payer_claim_number)].append(e)
    taken: set[int] = set()  # ids of the postings chosen so far (earlier.values())
    for dc in rev:
        for e in by_key.get((dc.claim_id, dc.payer_claim_number), ()):
            if e.paid == -dc.paid and e.id not in taken:
                prev = chunk.earlier.get(dc.id)
                if prev is not None:
                    taken.discard(prev.id)
                chunk.earlier[dc.id] = e  # the latest matching one wins
                taken.add(e.id)
    if chunk.earlier:
        for r in await live_rows(session, [e.id for e in chunk.earlier.values()],
                                 "deposit_claim"):
            chunk.earlier_rows[r.source_id].append(r)


async def live_rows(session: AsyncSession, source_ids: Sequence[int],
                    source_type: str) -> list[Any]:
    """The ledger rows a source wrote that no reset has undone yet."""
    out: list[Any] = []
    ids = list(source_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        rows = (
            await session.execute(
                select(LedgerEntry.id, LedgerEntry.claim_id, LedgerEntry.claim_line_id,
                       LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.reason,
                       LedgerEntry.source_id, LedgerEntry.source_type, LedgerEntry.reverses_id,
                       LedgerEntry.payer_id)
                .where(LedgerEntry.source_type.in_((source_type, source_type + "_reset")),
                       LedgerEntry.source_id.in_(chunk))
                .order_by(LedgerEntry.id)
            )
        ).all()
        undone = {r.reverses_id for r in rows if r.source_type == source_type + "_reset"}
        out.extend(r for r in rows if r.source_type == source_type and r.id not in undone)
    return out
