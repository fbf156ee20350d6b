"""Money properties over random payment histories split across random files (hypothesis):

* each payment is kept once and posts at most one receipt, whatever the files and repeats;
* every Statement deposit balances against its payments;
* once every posted payment is charged back, every claim line's balance is exactly as before.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.admin.practices import create_practice
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.ledger.balances import line_balances
from gateway.posting.deposit_filter import DepositFilter
from gateway.posting.search import search_deposits
from gateway.receipts.models import Receipt
from gateway.statements.importer import import_payment_file
from gateway.statements.models import StatementPaymentEvent, StatementPaymentRecord
from tests.statements import helpers as h

LIFECYCLES = [
    ["Settled"], ["Pending", "Settled"], ["Authorized", "Posted", "Settled"],
    ["Settled", "ChargeBack"], ["Pending", "Settled", "Returned"], ["Pending", "Failed"],
    ["Voided"], ["Settled", "ReversePosted", "Reversed"], ["Pending", "ReverseNSF"],
]

payment_st = st.tuples(st.integers(0, 2), st.integers(1, 9000), st.sampled_from(LIFECYCLES))


async def _scenario(db_url: str, balances: list[list[int]], payments: list, cuts: list[int],
                    repeat: bool) -> None:
    engine = make_engine(db_url)
    tmp = Path(tempfile.mkdtemp())
    try:
        async with make_sessionmaker(engine)() as s:
            pid = await create_practice(s, "Prop Eye")
            claims = [(await h.patient_with_claim(
                s, pid, f"A{i}", *[f"{Decimal(c).scaleb(-2):.2f}" for c in bal]))[0]
                for i, bal in enumerate(balances)]
            before = await line_balances(s, claims)
            # each payment's statuses in order; file k holds the k-th step of every payment
            steps: list[list[dict]] = [[] for _ in range(3)]
            for n, (who, amount, cycle) in enumerate(payments):
                who %= len(balances)
                for k, status in enumerate(cycle):
                    steps[min(k + cuts[n % len(cuts)], 2)].append(h.row(
                        f"P{n}", status, f"{Decimal(amount).scaleb(-2):.2f}",
                        account=f"A{who}", statement=f"S-A{who}",
                        debit=status in h.REVERSALS))
            files = [h.text(*rows, file_date=h.DAY + dt.timedelta(days=k))
                     for k, rows in enumerate(steps) if rows]
            for k, text in enumerate(files + (files[:1] if repeat else [])):
                spf = h.as_file(tmp, f"f{k}.csv", text)
                await import_payment_file(s, pid, spf, today=h.DAY)
            assert await s.scalar(select(func.count()).select_from(StatementPaymentRecord)
                                  .where(StatementPaymentRecord.practice_id == pid)) == len(
                                      payments)
            per_payment = (await s.execute(
                select(func.count()).select_from(Receipt)
                .where(Receipt.practice_id == pid, Receipt.reversal_of_id.is_(None))
                .group_by(Receipt.comment))).scalars().all()
            assert all(n == 1 for n in per_payment)
            for dep in await search_deposits(s, pid, DepositFilter(type="Statement"), limit=1000):
                assert dep.difference == Decimal("0.00")
            # charge back whatever is still posted: every balance returns to the cent
            posted = (await s.scalars(select(StatementPaymentRecord).where(
                StatementPaymentRecord.practice_id == pid,
                StatementPaymentRecord.state == "posted"))).all()
            rows = []
            for rec in posted:
                seen = set((await s.scalars(select(StatementPaymentEvent.status).where(
                    StatementPaymentEvent.statement_payment_id == rec.id))).all())
                status = next(r for r in h.REVERSALS if r not in seen)
                rows.append(h.row(rec.transaction_id, status, f"{rec.amount:.2f}",
                                  account=rec.patient_account, statement=rec.statement_id,
                                  debit=True))
            if rows:
                spf = h.as_file(tmp, "back.csv", h.text(*rows, file_date=h.DAY))
                await import_payment_file(s, pid, spf, today=h.DAY)
            assert await line_balances(s, claims) == before
            await s.rollback()
    finally:
        await engine.dispose()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(balances=st.lists(st.lists(st.integers(0, 9000), min_size=1, max_size=3), min_size=1,
                         max_size=3),
       payments=st.lists(payment_st, min_size=1, max_size=8),
       cuts=st.lists(st.integers(0, 1), min_size=1, max_size=3), repeat=st.booleans())
def test_random_histories_post_once_balance_and_reverse_to_the_cent(
        db_url, balances, payments, cuts, repeat):
    asyncio.run(_scenario(db_url, balances, payments, cuts, repeat))
