"""Reset (undo a posted deposit with compensating ledger rows) and remove (delete a deposit that
never posted).

Reset leaves every balance exactly as it was before the posting: each ledger row the deposit
wrote that is still in effect gets a row of the same kind with the opposite amount, pointing at
it (`reverses_id`), and each claim goes back to the payer, rank, level and status it had --
unless something later changed the claim again, which is then left alone.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import msgspec
from sqlalchemy import Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.core.errors import UserError
from gateway.core.progress import OnProgress, report
from gateway.db.base import utcnow
from gateway.ledger.models import Claim, LedgerEntry
from gateway.posting.deposit_totals import refresh_deposit_totals
from gateway.posting.engine import get_deposit, live_rows
from gateway.posting.fingerprints import release
from gateway.posting.models import (
    Deposit,
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
    PostingError,
)

log = logging.getLogger("gateway.posting.reset")
_LEDGER = cast(Table, LedgerEntry.__table__)
_CLAIMS = cast(Table, Claim.__table__)
CHUNK = 1000


class ResetResult(msgspec.Struct, kw_only=True):
    deposit_id: int
    claims_reset: int
    ledger_rows: int
    posted_status: str


async def reset_deposit(
    session: AsyncSession, practice_id: int, deposit_id: int, *, actor: str,
    user_id: int | None = None, on_progress: OnProgress | None = None,
) -> ResetResult:
    """Undo a posted deposit with compensating rows (`on_progress` hears each chunk's claims)."""
    dep = await get_deposit(session, practice_id, deposit_id)
    if dep.posted_status == "Being Disbursed":
        raise UserError(f"deposit {deposit_id} is being posted; reset it afterwards")
    blocked = (
        await session.execute(
            select(DepositClaim.id, DepositClaim.reversed_by_id).where(
                DepositClaim.deposit_id == deposit_id, DepositClaim.state == "posted",
                DepositClaim.reversed_by_id.is_not(None),
            )
        )
    ).all()
    if blocked:
        later = await session.scalar(
            select(DepositClaim.deposit_id).where(DepositClaim.id == blocked[0][1])
        )
        raise UserError(
            f"claim {blocked[0][0]} of deposit {deposit_id} was reversed by deposit {later}; "
            f"reset deposit {later} first"
        )
    now = utcnow()
    claims_reset, total_rows = await _reset_claims(session, practice_id, deposit_id, now,
                                                   on_progress)
    total_rows += await _reset_plbs(session, practice_id, deposit_id, now)
    await session.execute(
        update(Deposit).where(Deposit.id == deposit_id)
        .values(posted_status="Not Disbursed", posted_at=None)
        .execution_options(synchronize_session=False)
    )
    await refresh_deposit_totals(session, [deposit_id])
    await session.refresh(dep)
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="deposit.reset", object_type="deposit", object_id=deposit_id,
                detail={"claims": claims_reset, "ledger_rows": total_rows})
    log.info("deposit %s reset by %s: %d claims, %d ledger rows", deposit_id, actor,
             claims_reset, total_rows)
    return ResetResult(deposit_id=deposit_id, claims_reset=claims_reset, ledger_rows=total_rows,
                       posted_status=dep.posted_status)


async def _reset_claims(session: AsyncSession, practice_id: int, deposit_id: int,
                        now: Any, on_progress: OnProgress | None) -> tuple[int, int]:
    """Undo the posted claims (the non-reversals, then the reversals: the opposite order of
    posting); returns (claims reset, ledger rows written)."""
    total_rows = 0
    claims_reset = 0
    for reversals in (False, True):
        last_id: int | None = None
        while True:
            q = (
                select(DepositClaim)
                .where(
                    DepositClaim.deposit_id == deposit_id, DepositClaim.state == "posted",
                    (DepositClaim.remit_status == "22") if reversals
                    else (DepositClaim.remit_status != "22"),
                )
                .order_by(DepositClaim.id.desc())
                .limit(CHUNK)
            )
            if last_id is not None:
                q = q.where(DepositClaim.id < last_id)
            dcs = list((await session.scalars(q)).all())
            if not dcs:
                break
            for dc in dcs:
                session.expunge(dc)
            last_id = dcs[-1].id
            rows = await live_rows(session, [dc.id for dc in dcs], "deposit_claim")
            if rows:
                await session.execute(
                    insert(_LEDGER),
                    [_undo(r, practice_id, "deposit_claim_reset", now) for r in rows],
                )
                total_rows += len(rows)
            await _restore_claims(session, dcs)
            await release(session, [dc.id for dc in dcs])  # their adjudications are undone
            earlier = [dc.reverses_id for dc in dcs if dc.reverses_id]
            if earlier:
                await session.execute(
                    update(DepositClaim).where(DepositClaim.id.in_(earlier))
                    .values(reversed_by_id=None).execution_options(synchronize_session=False)
                )
            await session.execute(
                update(DepositClaim).where(DepositClaim.id.in_([dc.id for dc in dcs])).values(
                    state="pending", posted_at=None, credit=False, result_level=None,
                    result_status=None, result_sub_status=None, prior_state=None,
                    reverses_id=None,
                ).execution_options(synchronize_session=False)
            )
            claims_reset += len(dcs)
            report(on_progress, len(dcs))
    return claims_reset, total_rows


async def _reset_plbs(session: AsyncSession, practice_id: int, deposit_id: int,
                      now: Any) -> int:
    """Undo the applied PLBs; returns the ledger rows written."""
    total_rows = 0
    plbs = (
        await session.scalars(
            select(DepositAdjustment.id).where(
                DepositAdjustment.deposit_id == deposit_id,
                DepositAdjustment.level == "provider", DepositAdjustment.applied.is_(True),
            )
        )
    ).all()
    if plbs:
        rows = await live_rows(session, list(plbs), "deposit_plb")
        if rows:
            await session.execute(
                insert(_LEDGER),
                [_undo(r, practice_id, "deposit_plb_reset", now) for r in rows],
            )
            total_rows += len(rows)
        await session.execute(
            update(DepositAdjustment).where(DepositAdjustment.id.in_(list(plbs)))
            .values(applied=False, plb_claim_id=None)
            .execution_options(synchronize_session=False)
        )
    return total_rows


def _undo(r: Any, practice_id: int, source_type: str, now: Any) -> dict[str, Any]:
    return {
        "practice_id": practice_id, "claim_id": r.claim_id, "claim_line_id": r.claim_line_id,
        "kind": r.kind, "amount": -r.amount, "payer_id": r.payer_id, "source_type": source_type,
        "source_id": r.source_id, "reverses_id": r.id, "reason": r.reason, "detail": None,
        "created_at": now,
    }


async def _restore_claims(session: AsyncSession, dcs: list[DepositClaim]) -> None:
    ids = {dc.claim_id for dc in dcs if dc.claim_id and dc.prior_state}
    if not ids:
        return
    current: dict[int, Any] = {
        row.id: row
        for row in (
            await session.execute(
                select(Claim.id, Claim.level, Claim.status, Claim.sub_status)
                .where(Claim.id.in_(ids))
            )
        ).all()
    }
    updates = []
    for dc in dcs:  # newest first: each claim steps back one posting at a time
        prior = dc.prior_state
        if not dc.claim_id or not prior:
            continue
        cur = current.get(dc.claim_id)
        if cur is None or (cur.level, cur.status, cur.sub_status) != (
            dc.result_level, dc.result_status, dc.result_sub_status
        ):
            continue  # changed since by something else: leave it
        updates.append({
            "b_id": dc.claim_id, "payer_id": prior.get("payer_id"),
            "payer_rank": prior.get("payer_rank", 1), "level": prior.get("level"),
            "status": prior.get("status"), "sub_status": prior.get("sub_status"),
            "payer_claim_number": prior.get("payer_claim_number"),
        })
        current[dc.claim_id] = _State(prior.get("level"), prior.get("status"),
                                      prior.get("sub_status"))
    if updates:
        t = _CLAIMS
        await session.execute(
            update(t).where(t.c.id == bindparam("b_id")).values(
                payer_id=bindparam("payer_id"), payer_rank=bindparam("payer_rank"),
                level=bindparam("level"), status=bindparam("status"),
                sub_status=bindparam("sub_status"),
                payer_claim_number=bindparam("payer_claim_number"),
            ),
            updates,
        )


class _State:
    def __init__(self, level: Any, status: Any, sub_status: Any) -> None:
        self.level, self.status, self.sub_status = level, status, sub_status


async def remove_deposit(
    session: AsyncSession, practice_id: int, deposit_id: int, *, actor: str,
    user_id: int | None = None,
) -> None:
    """Delete a deposit of which nothing is on the ledger: never posted, or reset since (its
    postings and their resets, which cancel out row by row, go with it, audited), with its
    claims, lines, adjustments and errors. A posted deposit keeps its history: reset it first.
    """
    dep = await get_deposit(session, practice_id, deposit_id)
    dc_ids = select(DepositClaim.id).where(DepositClaim.deposit_id == deposit_id)
    plb_ids = select(DepositAdjustment.id).where(DepositAdjustment.deposit_id == deposit_id,
                                                 DepositAdjustment.level == "provider")
    ids = list((await session.scalars(dc_ids)).all())
    plbs = list((await session.scalars(plb_ids)).all())
    live = (await live_rows(session, ids, "deposit_claim")
            + await live_rows(session, plbs, "deposit_plb"))
    if live or dep.posted_status == "Being Disbursed":
        raise UserError(
            f"deposit {deposit_id} is posted; its ledger history stays (reset it first, or set "
            "it to Ignore)"
        )
    undone = await _delete_cancelled_rows(session, ids, plbs)
    await session.execute(delete(PostingError).where(PostingError.deposit_id == deposit_id))
    await session.execute(delete(DepositAdjustment).where(
        DepositAdjustment.deposit_id == deposit_id))
    await session.execute(delete(DepositProcedure).where(
        DepositProcedure.deposit_claim_id.in_(dc_ids)))
    await session.execute(
        update(DepositClaim).where(or_(DepositClaim.reverses_id.in_(dc_ids),
                                       DepositClaim.reversed_by_id.in_(dc_ids)))
        .values(reverses_id=None, reversed_by_id=None)
        .execution_options(synchronize_session=False)
    )
    await release(session, ids)
    await session.execute(delete(DepositClaim).where(DepositClaim.deposit_id == deposit_id))
    await session.execute(
        update(Deposit).where(Deposit.duplicate_of_id == deposit_id)
        .values(duplicate_of_id=None).execution_options(synchronize_session=False)
    )
    await session.delete(dep)
    await session.flush()
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="deposit.remove", object_type="deposit", object_id=deposit_id,
                detail={"type": dep.type, "check_trace_id": dep.check_trace_id,
                        "cancelled_ledger_rows": undone})


async def _delete_cancelled_rows(session: AsyncSession, dc_ids: list[int],
                                 plb_ids: list[int]) -> int:
    """The ledger rows of postings that were reset, with the rows that reset them (each pair
    sums to zero, so no balance changes). Refused while a row of another source (a later
    deposit's reversal) still points at one of them."""
    rows: list[int] = []
    for kind, ids in (("deposit_claim", dc_ids), ("deposit_plb", plb_ids)):
        for i in range(0, len(ids), 500):
            rows += (await session.scalars(select(LedgerEntry.id).where(
                LedgerEntry.source_type.in_((kind, kind + "_reset")),
                LedgerEntry.source_id.in_(ids[i : i + 500])))).all()
    mine = set(rows)
    for i in range(0, len(rows), 500):
        for row_id, source_id in (await session.execute(
            select(LedgerEntry.id, LedgerEntry.source_id)
            .where(LedgerEntry.reverses_id.in_(rows[i : i + 500]))
        )).all():
            if row_id not in mine:
                raise UserError(f"a later posting (ledger row {row_id}, source {source_id}) "
                                "reversed this deposit's; remove that deposit first")
    # the reset rows first: they point at the rows they undo
    for i in range(0, len(rows), 500):
        chunk = rows[i : i + 500]
        await session.execute(delete(LedgerEntry).where(
            LedgerEntry.id.in_(chunk), LedgerEntry.reverses_id.is_not(None))
            .execution_options(synchronize_session=False))
    for i in range(0, len(rows), 500):
        await session.execute(delete(LedgerEntry).where(LedgerEntry.id.in_(rows[i : i + 500]))
                              .execution_options(synchronize_session=False))
    return len(rows)
