"""`gateway demo` builds a coherent practice: claims in each billing state, and a sample ERA
that posts cleanly but for one deliberate error per level."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.clearinghouse.service import run_connector_action
from gateway.core.errors import UserError
from gateway.db.engine import make_sessionmaker
from gateway.db.models import Appointment, Coverage, Patient
from gateway.demo import seed_demo
from gateway.ledger.models import Claim, LedgerEntry
from gateway.posting.engine import post_deposit
from gateway.posting.models import Deposit, DepositClaim, PostingError


async def test_demo_era_posts_but_for_one_error_per_level(engine: AsyncEngine,
                                                          session: AsyncSession, tmp_path: Path):
    demo = await seed_demo(session, tmp_path)
    await session.commit()
    pid = demo.practice_id
    states = dict((await session.execute(
        select(Claim.billing_state, func.count()).where(Claim.practice_id == pid)
        .group_by(Claim.billing_state))).all())
    assert states == {"unbilled": 3, "billed": 7, "rejected": 2}
    billed_by = dict((await session.execute(
        select(Claim.billed_by, func.count()).where(Claim.billing_state == "billed")
        .group_by(Claim.billed_by))).all())
    assert billed_by == {"pms": 4, "gateway": 3}
    rejected = (await session.scalars(select(Claim.rejection_reason).where(
        Claim.billing_state == "rejected"))).all()
    assert all(r and r.startswith("277CA rejected") for r in rejected)
    assert await session.scalar(select(func.count()).select_from(Patient)) == 12
    assert await session.scalar(select(func.count()).select_from(Coverage)) == 16
    linked = await session.scalar(select(func.count()).select_from(Claim).join(
        Appointment, Appointment.id == Claim.appointment_id))
    assert linked == 12

    sm = make_sessionmaker(engine)
    fetched = await run_connector_action(sm, pid, demo.connector_id, "fetch-eras")
    assert (fetched["imported"], fetched["failed"]) == (1, [])
    deposits = (await session.scalars(select(Deposit).order_by(Deposit.id))).all()
    assert len(deposits) == 4
    for dep in deposits:
        try:
            await post_deposit(session, pid, dep.id, actor="test")
        except UserError as exc:
            assert "Payer Mismatch" in str(exc)
    await session.commit()
    errors = (await session.execute(
        select(PostingError.level, PostingError.type).where(PostingError.resolved_at.is_(None))
        .order_by(PostingError.level))).all()
    assert sorted(errors) == [("claim", "Claim Not Found"), ("deposit", "Payer Mismatch"),
                              ("procedure", "Procedure Code Conflict")]
    # everything else posted: VSP's two, EyeMed's clean one and Medicare's one; EyeMed's
    # conflicting claim waits in the queue, and Blue Cross's two wait for the payer link
    paid = await session.scalar(select(func.count(func.distinct(LedgerEntry.claim_id))).where(
        LedgerEntry.kind == "insurance_payment"))
    assert paid == 4
    states = (await session.scalars(select(DepositClaim.state))).all()
    assert sorted(states).count("error") == 2


async def test_demo_is_created_once(session: AsyncSession, tmp_path: Path):
    first = await seed_demo(session, tmp_path)
    again = await seed_demo(session, tmp_path)
    assert (first.created, again.created, again.practice_id) == (True, False, first.practice_id)
    with pytest.raises(AssertionError):
        assert again.admin_key == first.admin_key
