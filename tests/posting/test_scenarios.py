"""Reset and remove, auto-post, PLB applied to a claim, secondary set-up, reversals, and the
multi-node paths on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, update

from gateway.core.errors import UserError
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.models import Practice
from gateway.ledger.models import LedgerEntry
from gateway.posting.autopost import post_due_deposits
from gateway.posting.engine import post_deposit
from gateway.posting.era_import import import_era_file
from gateway.posting.models import Deposit, PostingRule
from gateway.posting.reset import remove_deposit, reset_deposit
from tests.conftest import make_practice
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835


def _paid(pcn: str, trace: str = "T1", paid: str = "100.00", **kw) -> Pay:  # type: ignore[no-untyped-def]
    return Pay(trace, paid, [Clp(pcn, "1", "150.00", paid, [
        Svc("92014", "150.00", paid, [("CO", "45", str(D("150.00") - D(paid)))])],
        icn=f"ICN-{pcn}")], **kw)


async def test_reset_restores_balances_and_claim_state(session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "R1", [("92014", "150.00", [])], payer_id=p["acme"],
                        coverages=[(1, p["acme"], "M1"), (2, p["second"], "M2")])
    text = build_835([Pay("T1", "80.00", [Clp("R1", "1", "150.00", "80.00", [
        Svc("92014", "150.00", "80.00", [("CO", "45", "50.00"), ("PR", "2", "20.00")])],
        icn="ICN1")])])
    (d,) = (await h.import_text(session, pid, text, tmp_path)).deposits
    await post_deposit(session, pid, d.id)
    c = await h.claim_row(session, cid)
    assert (c.level, c.status, c.payer_id, c.payer_rank, c.payer_claim_number) == (
        "Secondary", "Ready to Bill", p["second"], 2, "ICN1")
    r = await reset_deposit(session, pid, d.id, actor="user:1")
    assert (r.claims_reset, r.ledger_rows, r.posted_status) == (1, 2, "Not Disbursed")
    c = await h.claim_row(session, cid)
    assert (c.level, c.status, c.payer_id, c.payer_rank, c.payer_claim_number) == (
        "Primary", "Open", p["acme"], 1, None)
    b = await h.balances(session, cid)
    assert (b.insurance_paid, b.adjustments, b.balance) == (D("0.00"), D("0.00"), D("150.00"))
    # reset twice undoes nothing more; posting again posts again
    assert (await reset_deposit(session, pid, d.id, actor="user:1")).ledger_rows == 0
    assert (await post_deposit(session, pid, d.id)).posted_status == "Disbursed"
    assert (await h.balances(session, cid)).balance == D("20.00")  # PR-2 held for Second
    with pytest.raises(UserError, match="ledger history"):
        await remove_deposit(session, pid, d.id, actor="user:1")


async def test_remove_unposted_deposit(session, practice, tmp_path):
    pid = practice.practice_id
    await h.payers(session, pid)
    (d,) = (await h.import_text(session, pid, build_835([_paid("NOPE")]), tmp_path)).deposits
    await remove_deposit(session, pid, d.id, actor="user:1")
    assert await session.get(Deposit, d.id) is None


async def test_reversal_in_a_later_era_and_reset_order(session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "V1", [("92014", "150.00", [])], payer_id=p["acme"])
    (d1,) = (await h.import_text(session, pid, build_835([_paid("V1")]), tmp_path,
                                 "1.835")).deposits
    await post_deposit(session, pid, d1.id)
    rev = build_835([Pay("T2", "20.00", [
        Clp("V1", "22", "-150.00", "-100.00", [Svc("92014", "-150.00", "-100.00",
                                                    [("CO", "45", "-50.00")])], icn="ICN-V1"),
        Clp("V1", "1", "150.00", "120.00", [Svc("92014", "150.00", "120.00",
                                                 [("CO", "45", "30.00")])], icn="ICN-V1B"),
    ])], control=2)
    (d2,) = (await h.import_text(session, pid, rev, tmp_path, "2.835")).deposits
    assert (await post_deposit(session, pid, d2.id)).posted_status == "Disbursed"
    b = await h.balances(session, cid)
    assert (b.insurance_paid, b.adjustments, b.balance) == (D("120.00"), D("30.00"), D("0.00"))
    with pytest.raises(UserError, match=f"reset deposit {d2.id} first"):
        await reset_deposit(session, pid, d1.id, actor="user:1")
    await reset_deposit(session, pid, d2.id, actor="user:1")
    b = await h.balances(session, cid)
    assert (b.insurance_paid, b.adjustments) == (D("100.00"), D("50.00"))
    await reset_deposit(session, pid, d1.id, actor="user:1")
    assert (await h.balances(session, cid)).balance == D("150.00")
    assert (await h.claim_row(session, cid)).status == "Open"


async def test_take_back_without_earlier_posting_posts_as_sent(session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "W1", [("92014", "150.00", [])], payer_id=p["acme"])
    # paid before the gateway existed: recorded outside; the reversal still nets
    session.add(LedgerEntry(practice_id=pid, claim_id=cid, claim_line_id=(
        await h.line_ids(session, cid))[0], kind="insurance_payment", amount=D("90.00"),
        source_type="manual", source_id=None))
    await session.flush()
    text = build_835([Pay("T9", "90.00", [Clp("W1", "22", "-150.00", "-90.00", [
        Svc("92014", "-150.00", "-90.00", [("CO", "45", "-60.00")])], icn="X")],
        credit="D")])
    (d,) = (await h.import_text(session, pid, text, tmp_path)).deposits
    assert d.status == "Ignore"  # a net debit ERA is never posted by itself


async def test_plb_applied_to_the_referenced_claim_by_rule(session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    old = await h.claim(session, pid, "OLD", [("92014", "150.00", [])], payer_id=p["acme"])
    await h.claim(session, pid, "NEW", [("92014", "150.00", [])], payer_id=p["acme"])
    (d0,) = (await h.import_text(session, pid, build_835([_paid("OLD", "T0")]), tmp_path,
                                 "0.835")).deposits
    await post_deposit(session, pid, d0.id)
    session.add(PostingRule(practice_id=pid, kind="plb", payer_id=p["acme"],
                            payer_scope=str(p["acme"]), group_code="", code="WO", outcome="",
                            plb_action="apply"))
    await session.flush()
    text = build_835([_paid("NEW", "T1", plb=[("WO", "ICN-OLD", "25.00"),
                                             ("L6", "INT", "-1.00")])], control=3)
    text = text.replace("BPR*I*100.00", "BPR*I*76.00")
    (d,) = (await h.import_text(session, pid, text, tmp_path, "1.835")).deposits
    assert d.errors == []
    r = await post_deposit(session, pid, d.id)
    assert (r.plb_applied, r.posted_status) == (1, "Disbursed")
    b = await h.balances(session, old)
    assert (b.insurance_paid, b.balance) == (D("75.00"), D("25.00"))
    await reset_deposit(session, pid, d.id, actor="user:1")
    assert (await h.balances(session, old)).balance == D("0.00")


async def test_auto_post_delay_and_payer_override(session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    for pcn in ("A1", "A2"):
        await h.claim(session, pid, pcn, [("92014", "150.00", [])], payer_id=p["acme"])
    await h.claim(session, pid, "S1", [("92014", "150.00", [])], payer_id=p["second"])
    await session.execute(update(Practice).where(Practice.id == pid).values(
        settings={"auto_post_eras_delay_days": 3, "auto_post_eras_payer_overrides": {"SEC1": 0}}))
    res = await h.import_text(session, pid, build_835([
        _paid("A1", "T1", date="20991210"),
        _paid("S1", "T2", payer="SECOND PLAN", payer_id="SEC1", date="20991210"),
    ]), tmp_path, auto_post=True)
    acme_dep, sec_dep = res.deposits
    assert res.auto_posted == [sec_dep.id]  # override 0: at once
    assert await post_due_deposits(session, pid, today=dt.date(2099, 12, 12)) == []
    assert await post_due_deposits(session, pid, today=dt.date(2099, 12, 13)) == [acme_dep.id]
    assert (await session.get(Deposit, acme_dep.id)).posted_status == "Disbursed"
    await session.execute(update(Practice).where(Practice.id == pid).values(
        settings={"auto_post_eras_delay_days": -1}))
    (d3,) = (await h.import_text(session, pid, build_835([_paid("A2", "T3")], control=4),
                                 tmp_path, "3.835", auto_post=True)).deposits
    assert await post_due_deposits(session, pid, today=dt.date(2030, 1, 1)) == []
    assert (await session.get(Deposit, d3.id)).posted_status == "Not Disbursed"


async def test_postgres_concurrent_imports_and_posts_count_once(pg_url, tmp_path):
    engine = make_engine(pg_url)
    try:
        maker = make_sessionmaker(engine)
        async with maker() as s:
            practice = await make_practice(s, "PG Eye")
            pid = practice.practice_id
            p = await h.payers(s, pid)
            cid = await h.claim(s, pid, "PG1", [("92014", "150.00", [])], payer_id=p["acme"])
            await s.commit()
        # the same payment in two different files, imported by two "nodes" at once
        for n in (1, 2):
            (tmp_path / f"{n}.835").write_text(build_835([_paid("PG1")], control=n))

        async def node(n: int) -> object:
            async with maker() as s, s.begin():
                return await import_era_file(s, pid, tmp_path / f"{n}.835", auto_post=False)

        r1, r2 = await asyncio.gather(node(1), node(2))
        statuses = sorted(r.deposits[0].status for r in (r1, r2))  # type: ignore[attr-defined]
        assert statuses == ["Ignore", "New"]
        async with maker() as s:
            dep_id = await s.scalar(select(Deposit.id).where(Deposit.status == "New"))

        async def poster() -> str:
            try:
                async with maker() as s, s.begin():
                    return (await post_deposit(s, pid, dep_id)).posted_status
            except UserError as exc:
                return str(exc)

        outcomes = await asyncio.gather(poster(), poster())
        assert "Disbursed" in outcomes
        async with maker() as s:
            rows = await s.scalar(select(func.count()).select_from(LedgerEntry).where(
                LedgerEntry.source_type == "deposit_claim"))
            assert rows == 2  # one payment + one write-off, whatever the race
            assert (await h.balances(s, cid)).balance == D("0.00")
    finally:
        await engine.dispose()
