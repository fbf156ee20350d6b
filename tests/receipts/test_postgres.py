"""On PostgreSQL, where several gateway nodes share one database: the whole flow works, and two
reconciliations running at once never apply a receipt twice."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal as D

from sqlalchemy import func, select

from gateway.admin.practices import create_practice
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.ledger.balances import line_balances
from gateway.receipts import service
from gateway.receipts.models import ReceiptApplication
from gateway.receipts.schemas import ReceiptIn, ReceiptSearch
from tests.receipts import helpers as h

VISIT = dt.date(2026, 3, 9)


async def test_flow_and_concurrent_nightly_runs_on_postgres(pg_url: str):
    engine = make_engine(pg_url)
    try:
        maker = make_sessionmaker(engine)
        async with maker() as s:
            pid = await create_practice(s, "PG Eye")
            claim_ids = []
            for n in range(20):
                cid, _ = await h.claim(s, pid, f"C{n}", VISIT, "30.00", "10.00",
                                       level="Statement")
                claim_ids.append(cid)
            before = await line_balances(s, claim_ids)
            ids = [await service.create_receipt(
                s, pid, ReceiptIn(received_on=VISIT, amount=D("35.00"), type="General Payment",
                                  patient_account=f"C{n}"),
                actor="user:1", today=VISIT, reconcile_now=False) for n in range(20)]
            await s.commit()

        async def night() -> int:
            async with maker() as s:
                res = await service.reconcile_practice(s, pid, VISIT + dt.timedelta(days=1))
                await s.commit()
                return res.considered

        considered = await asyncio.gather(night(), night())
        assert sum(considered) == 20
        async with maker() as s:
            n_apps = await s.scalar(select(func.count()).select_from(ReceiptApplication))
            assert n_apps == 40  # two lines each, once
            done = await service.search(s, pid, ReceiptSearch(status=["Completed"]))
            assert len(done) == 20 and all(r.unapplied == 0 for r in done)
            for rid in ids:
                await service.reverse(s, pid, rid, actor="user:1", today=VISIT)
            await s.commit()
            assert await line_balances(s, claim_ids) == before
    finally:
        await engine.dispose()
