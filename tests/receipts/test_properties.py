"""Properties for random claims and receipts (money as integers of cents, never float):

* Σ applications + unapplied = amount, and the ledger holds exactly the applications;
* no line's patient balance goes below zero except through the one recorded credit;
* reversing every receipt restores every balance (and claim status) exactly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.admin.practices import create_practice, update_settings
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.ledger.balances import line_balances
from gateway.ledger.models import Claim, LedgerEntry
from gateway.receipts import service
from gateway.receipts.disburse import ClaimView, Line, ReceiptView, Rules, decide
from gateway.receipts.models import ReceiptApplication
from gateway.receipts.schemas import ReceiptIn, ReceiptSearch
from tests.receipts import helpers as h

BASE = dt.date(2026, 3, 1)
BEHAVIOURS = ["copay", "coinsurance", "deductible", "general", "prepay"]
TYPES = {"copay": "Co-Pay", "coinsurance": "Patient Coinsurance",
         "deductible": "Patient Deductible", "general": "General Payment", "prepay": "Pre-Pay"}


def cents(n: int) -> Decimal:
    return Decimal(n).scaleb(-2)


rules_st = st.builds(
    Rules,
    copay_hold_days=st.integers(0, 5),
    credit_hold_days=st.integers(0, 40),
    credit_status=st.sampled_from(["Credit Balance", "Patient Credit"]),
    order=st.sampled_from(["oldest_first", "newest_first", "highest_balance_first"]),
    copays_limited=st.booleans(),
    copays_across=st.booleans(),
    statement_statuses=st.just(frozenset({"Statement"})),
    skip_statuses=st.sampled_from([frozenset(), frozenset({"Collections"})]),
)

claim_st = st.fixed_dictionaries({
    "day": st.integers(0, 6),
    "balances": st.lists(st.integers(0, 9000), min_size=1, max_size=3),
    "copay_line": st.one_of(st.none(), st.integers(1, 3)),
    "level": st.sampled_from(["Primary", "Statement"]),
    "status": st.sampled_from(["Open", "Statement", "Collections"]),
    "invoiced": st.booleans(),
})

receipt_st = st.fixed_dictionaries({
    "behaviour": st.sampled_from(BEHAVIOURS),
    "amount": st.integers(1, 20000),
    "day": st.integers(0, 6),
})


@settings(max_examples=400, deadline=None)
@given(claims=st.lists(claim_st, max_size=4), r=receipt_st, rules=rules_st,
       today_offset=st.integers(0, 60), negative=st.integers(-3000, 0))
def test_decide_never_overpays_a_line_and_never_applies_more_than_unapplied(
    claims, r, rules, today_offset, negative
):
    views = []
    for n, c in enumerate(claims, start=1):
        v = ClaimView(n, BASE + dt.timedelta(days=c["day"]), None, c["level"], c["status"],
                      BASE if c["invoiced"] else None)
        for k, b in enumerate(c["balances"], start=1):
            v.lines.append(Line(n * 10 + k, n, k, "92014", c["copay_line"] == k, cents(b)))
        views.append(v)
    if views:  # one line already in credit from an earlier receipt
        views[0].lines[0].patient_balance = cents(negative)
    received = BASE + dt.timedelta(days=r["day"])
    view = ReceiptView(1, r["behaviour"], received, cents(r["amount"]))
    d = decide(view, views, rules, received + dt.timedelta(days=today_offset))
    assert all(a.amount > 0 for a in d.applications)
    assert d.applied <= view.unapplied
    assert (d.status == "Completed") == (d.applied == view.unapplied)
    credits = [a for a in d.applications if a.credit]
    assert len(credits) <= 1
    if credits:
        assert d.applications[-1] is credits[0] and d.status == "Completed"
        assert list(d.claim_status) == [credits[0].claim_id]
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for a in d.applications:
        if not a.credit:
            paid[a.claim_line_id] += a.amount
    start = {x.id: x.patient_balance for v in views for x in v.lines}
    for line_id, amount in paid.items():
        assert amount <= max(start[line_id], Decimal(0))
    if r["behaviour"] == "prepay":
        assert d.applications == []


async def _scenario(db_url: str, claims, receipts, rules: Rules, nights: list[int]) -> None:
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            pid = await create_practice(session, "P")
            await update_settings(session, pid, {
                "copay_hold_days": rules.copay_hold_days,
                "credit_receipt_hold_days": rules.credit_hold_days,
                "disbursement_order": rules.order,
                "copays_limited_to_copay_procedures": rules.copays_limited,
                "copays_across_procedures": rules.copays_across,
                "receipt_statement_statuses": ["Statement"],
                "receipt_skip_auto_association_statuses": sorted(rules.skip_statuses),
            })
            claim_ids = []
            for c in claims:
                balances = [str(cents(b)) for b in c["balances"]]
                cid, _ = await h.claim(
                    session, pid, "A1", BASE + dt.timedelta(days=c["day"]), *balances,
                    copay_line=c["copay_line"] if c["copay_line"] and c["copay_line"] <= len(
                        balances) else None,
                    level=c["level"], status=c["status"],
                    invoice_date=BASE if c["invoiced"] else None)
                claim_ids.append(cid)
            await h.patient(session, pid, "A1")
            before = await line_balances(session, claim_ids)
            statuses_before = dict((await session.execute(
                select(Claim.id, Claim.status).where(Claim.practice_id == pid))).tuples().all())
            ids = []
            for r in receipts:
                day = BASE + dt.timedelta(days=r["day"])
                ids.append(await service.create_receipt(
                    session, pid, ReceiptIn(received_on=day, amount=cents(r["amount"]),
                                            type=TYPES[r["behaviour"]], patient_account="A1"),
                    actor="user:1", today=day))
            for night in nights:
                await service.reconcile_practice(session, pid, BASE + dt.timedelta(days=night))

            # Σ applications + unapplied = amount; the ledger holds exactly the applications
            shown = {x.id: x for x in await service.search(
                session, pid, ReceiptSearch(status=["all"], limit=1000))}
            for rid in ids:
                x = shown[rid]
                apps = (await session.execute(select(ReceiptApplication.id,
                                                     ReceiptApplication.amount).where(
                    ReceiptApplication.receipt_id == rid))).all()
                ledger = await session.scalar(select(func.sum(LedgerEntry.amount)).where(
                    LedgerEntry.source_type == "receipt_application",
                    LedgerEntry.source_id.in_([a for a, _ in apps] or [-1]))) or Decimal(0)
                assert sum((a for _, a in apps), Decimal(0)) + x.unapplied == x.amount
                assert ledger == x.applied and x.unapplied >= 0
                assert (x.status == "Completed") == (x.unapplied == 0)
            # no patient balance below zero except through the one recorded credit
            credit = defaultdict(Decimal)
            n_credits = defaultdict(int)
            for rid, line_id, amount in (await session.execute(
                select(ReceiptApplication.receipt_id, ReceiptApplication.claim_line_id,
                       ReceiptApplication.amount).where(ReceiptApplication.credit.is_(True))
            )).all():
                credit[line_id] += amount
                n_credits[rid] += 1
            assert all(n == 1 for n in n_credits.values())
            for line_id, b in (await line_balances(session, claim_ids)).items():
                floor = min(before[line_id].patient_balance, Decimal(0))
                assert b.patient_balance + credit[line_id] >= floor
            # reverse everything: every balance and claim status exactly as before
            for rid in ids:
                await service.reverse(session, pid, rid, actor="user:1",
                                      today=BASE + dt.timedelta(days=90))
            assert await line_balances(session, claim_ids) == before
            assert dict((await session.execute(
                select(Claim.id, Claim.status).where(Claim.practice_id == pid))
            ).tuples().all()) == statuses_before
            await session.rollback()
    finally:
        await engine.dispose()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(claims=st.lists(claim_st, max_size=3), receipts=st.lists(receipt_st, min_size=1,
                                                                 max_size=4),
       rules=rules_st, nights=st.lists(st.integers(0, 60), max_size=3))
def test_applications_balances_and_reversal_in_the_database(db_url, claims, receipts, rules,
                                                            nights):
    asyncio.run(_scenario(db_url, claims, receipts, rules, sorted(nights)))
