"""Practice data on PostgreSQL: a pull lands the same as on SQLite, and two gateway nodes
pulling the same records at once (different bytes, so both are read) write them once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import func, select

from gateway.admin.connectors import create_connector
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.ledger.models import LedgerEntry
from gateway.plugins.crystalpm.format import PRACTICE_LAYOUT
from gateway.practice.pull import pull_connector
from tests.conftest import make_practice
from tests.practice.conftest import counts
from tests.practice.exports import write_export


async def test_concurrent_pulls_on_postgres_write_once(pg_url, tmp_path):
    engine = make_engine(pg_url)
    try:
        maker = make_sessionmaker(engine)
        drops = [tmp_path / "a", tmp_path / "b"]
        for n, d in enumerate(drops):
            d.mkdir()
            for f in write_export(PRACTICE_LAYOUT, d):
                f.write_bytes(f.read_bytes() + b"\n" * n)  # same records, other hashes
        async with maker() as s:
            practice = await make_practice(s, "PG Pull Eye")
            pid = practice.practice_id
            cids = [await create_connector(s, pid, "crystalpm", f"node {n}",
                                           {"practice_data_dir": str(d), "stable_seconds": 0})
                    for n, d in enumerate(drops)]
            await s.commit()

        async def node(cid: int):
            async with maker() as s, s.begin():
                return await pull_connector(s, pid, cid)

        first, second = await asyncio.gather(node(cids[0]), node(cids[1]))
        assert sorted([first.written["claims"], second.written["claims"]]) == [0, 2]
        async with maker() as s:
            assert await counts(s, pid) == {
                "patients": 2, "coverages": 2, "appointments": 2, "claims": 2,
                "claim_lines": 3, "ledger": 3, "files": 8}
            total = await s.scalar(select(func.sum(LedgerEntry.amount))
                                   .where(LedgerEntry.practice_id == pid))
            assert total == Decimal("305.50")
        again = await node(cids[0])
        assert again.read == {"patients": 0, "coverages": 0, "appointments": 0, "claims": 0}
    finally:
        await engine.dispose()
