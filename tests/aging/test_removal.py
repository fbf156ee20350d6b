"""Removing a wrong aging snapshot undoes its effects with compensating ledger rows, never
deletes money, and unlocks a location a misdated snapshot had locked (issue 16)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.aging.models import AgingSnapshot
from gateway.aging.removal import remove_snapshot
from gateway.core.errors import UserError
from gateway.db.engine import make_sessionmaker
from gateway.db.models import AuditLog, ImportedFile
from gateway.ledger.models import ClaimLine, LedgerEntry
from tests.aging.test_import import balances, claims_of, csv, do_import
from tests.conftest import PracticeKeys

D = Decimal


async def _remove(engine: AsyncEngine, practice_id: int, snapshot_id: int):
    async with make_sessionmaker(engine)() as s:
        async with s.begin():
            return await remove_snapshot(s, practice_id, snapshot_id, actor="test")


async def test_removing_the_latest_snapshot_undoes_it(engine: AsyncEngine, session: AsyncSession,
                                                      practice: PracticeKeys):
    pid, lid = practice.practice_id, practice.location_id
    await do_import(engine, pid, lid, "one.csv", csv(
        "C1,A1,P,10/01/2026,VSP,100.00,0.00,100.00", "C2,A2,Q,10/02/2026,VSP,50.00,0.00,50.00",
        "C3,A3,R,10/03/2026,VSP,80.00,0.00,80.00", title="As of 11/28/2026\n"))
    await do_import(engine, pid, lid, "two.csv", csv(
        "C1,A1,P,10/01/2026,VSP,100.00,0.00,100.00", "C2,A2,Q,10/02/2026,VSP,50.00,0.00,50.00",
        title="As of 11/29/2026\n"))
    wrong_bytes = csv(
        "C1,A1,P,10/01/2026,VSP,100.00,60.00,40.00", "C3,A3,R,10/03/2026,VSP,80.00,0.00,95.00",
        "C4,A4,S,10/04/2026,VSP,30.00,0.00,30.00", "C5,A5,T,10/05/2026,VSP,20.00,0.00,20.00",
        title="As of 11/30/2026\n")
    wrong = await do_import(engine, pid, lid, "wrong.csv", wrong_bytes)
    assert (wrong.claims_created, wrong.claims_completed, wrong.claims_reopened) == (2, 1, 1)
    before = await balances(session, lid)
    claims = await claims_of(session, lid)
    c5 = claims[("C5", 1)]
    line = await session.scalar(select(ClaimLine).where(ClaimLine.claim_id == c5.id))
    session.add(LedgerEntry(practice_id=pid, claim_id=c5.id, claim_line_id=line.id,
                            kind="insurance_payment", amount=D("5.00"), source_type="deposit",
                            source_id=999))
    await session.commit()

    r = await _remove(engine, pid, wrong.snapshot_id)
    claims = await claims_of(session, lid)
    ids = {k[0]: c.id for k, c in claims.items()}
    assert r.claims_marked_removed == [ids["C4"]]
    assert r.kept == [{"claim_id": ids["C5"], "why": "has ledger rows from deposit"}]
    assert (r.claims_reopened, r.claims_completed_again) == ([ids["C2"]], [ids["C3"]])
    after = await balances(session, lid)
    assert (after["C1"], after["C2"], after["C3"], after["C4"]) == (
        D("100.00"), D("50.00"), D("80.00"), D("0.00"))
    assert after["C5"] == before["C5"] - D("5.00")  # kept as it is: money and status
    assert claims[("C2", 1)].status == "Open" and claims[("C2", 1)].completed_at is None
    assert claims[("C3", 1)].status == "Completed" and claims[("C3", 1)].completed_at
    c4 = claims[("C4", 1)]
    assert (c4.status, c4.sub_status) == (
        "Completed", f"Aging snapshot {wrong.snapshot_id} removed")
    assert claims[("C5", 1)].status == "Open"
    # nothing was deleted: every reversal points at the row it undoes
    reversals = (await session.scalars(select(LedgerEntry).where(
        LedgerEntry.source_type == "aging_removal"))).all()
    assert len(reversals) == r.ledger_rows_reversed > 0
    originals = {e.id: e for e in (await session.scalars(select(LedgerEntry).where(
        LedgerEntry.source_type == "aging", LedgerEntry.source_id == wrong.snapshot_id))).all()}
    for rev in reversals:
        assert rev.amount == -originals[rev.reverses_id].amount
    audit_row = await session.scalar(select(AuditLog).where(
        AuditLog.action == "aging.remove_snapshot"))
    assert audit_row.object_id == wrong.snapshot_id and audit_row.detail["marked_removed"] == 1

    with pytest.raises(UserError, match="already removed"):
        await _remove(engine, pid, wrong.snapshot_id)
    # the same bytes import again (say, once corrected): C4 is reopened, not duplicated
    again = await do_import(engine, pid, lid, "wrong.csv", wrong_bytes)
    assert again.duplicate is False and again.claims_created == 0
    assert (await balances(session, lid))["C4"] == D("30.00")
    with pytest.raises(UserError, match="newer: remove it first"):
        await _remove(engine, pid, again.snapshot_id - 2)


async def test_a_misdated_snapshot_no_longer_locks_the_location(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    """A snapshot dated 9999-12-31 (imported before the date check) is removed; then the real
    export imports."""
    pid, lid = practice.practice_id, practice.location_id
    first = await do_import(engine, pid, lid, "one.csv", csv(
        "C1,A1,P,10/01/2026,VSP,100.00,0.00,100.00"))
    await session.execute(update(AgingSnapshot).where(AgingSnapshot.id == first.snapshot_id)
                          .values(export_date=dt.date(9999, 12, 31)))
    await session.commit()
    real = csv("C1,A1,P,10/01/2026,VSP,100.00,40.00,60.00", title="As of 12/01/2026\n")
    with pytest.raises(UserError, match="older than the last import"):
        await do_import(engine, pid, lid, "real.csv", real)
    await _remove(engine, pid, first.snapshot_id)
    file_kind = await session.scalar(select(ImportedFile.kind).where(
        ImportedFile.id == first.file_id))
    assert file_kind == f"aging_removed_{first.snapshot_id}"
    r = await do_import(engine, pid, lid, "real.csv", real)
    assert (r.claims_reopened, r.claims_created) == (1, 0)
    assert (await balances(session, lid))["C1"] == D("60.00")
