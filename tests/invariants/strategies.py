"""Shared pieces of the invariant suites: a fresh SQLite database per hypothesis example, a
state machine base that runs the async services on its own event loop, one transaction per
step, and the ledger checks that hold whatever ran (sources exist, balances are the rows).

Money in generators is integer cents, written as Decimal text; never float.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.core.errors import UserError
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.ledger.balances import Balances, claim_balances, line_balances
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry

T = TypeVar("T")
ZERO = Decimal("0.00")

# The stateful suites: enough examples to find the known leaks, few enough to stay fast.
MACHINE_SETTINGS = settings(
    max_examples=40, stateful_step_count=12, deadline=None, print_blob=True,
    derandomize=False, suppress_health_check=[HealthCheck.too_slow,
                                              HealthCheck.filter_too_much,
                                              HealthCheck.function_scoped_fixture],
)


def money(c: int) -> str:
    """Integer cents as X12/Excel decimal text ("12.34", "-0.05")."""
    return str(Decimal(c).scaleb(-2).quantize(Decimal("0.01")))


def split(total: int, parts: int, cuts: list[int]) -> list[int]:
    """`total` cents in `parts` non-negative pieces at the given cut points (any ints)."""
    if parts <= 1:
        return [total]
    marks = sorted(min(max(c, 0), total) for c in cuts[: parts - 1])
    marks += [total] * (parts - 1 - len(marks))
    edges = [0, *marks, total]
    return [edges[i + 1] - edges[i] for i in range(parts)]


class AsyncMachine(RuleBasedStateMachine):
    """A state machine over a fresh copy of the migrated SQLite template (set `template` before
    running). Each `step` is one transaction, as the API and CLI run them: committed when the
    service returns, rolled back when it refuses (UserError / NotFound)."""

    template: Path | None = None

    def __init__(self) -> None:
        super().__init__()
        assert self.template is not None, "set the machine's template path first"
        self.dir = Path(tempfile.mkdtemp(prefix="gw-inv-"))
        shutil.copy(self.template, self.dir / "gw.db")
        self.loop = asyncio.new_event_loop()
        self.engine: AsyncEngine = make_engine(f"sqlite+aiosqlite:///{self.dir / 'gw.db'}")
        self.sessions: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine)
        self.refused: list[str] = []

    def run(self, coro: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coro)

    def step(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T | None:
        """Run `fn` in its own transaction; a refusal rolls back and returns None."""

        async def go() -> T | None:
            async with self.sessions() as s:
                try:
                    out = await fn(s)
                except UserError as exc:
                    await s.rollback()
                    self.refused.append(str(exc))
                    return None
                await s.commit()
                return out

        return self.run(go())

    def read(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async def go() -> T:
            async with self.sessions() as s:
                return await fn(s)

        return self.run(go())

    def teardown(self) -> None:
        self.run(self.engine.dispose())
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- ledger checks ----------------------------------------------------------------------------


async def ledger_rows(session: AsyncSession) -> list[Any]:
    return list((await session.execute(
        select(LedgerEntry.id, LedgerEntry.claim_id, LedgerEntry.claim_line_id,
               LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.source_type,
               LedgerEntry.source_id, LedgerEntry.reverses_id, LedgerEntry.reason)
        .order_by(LedgerEntry.id))).all())


def undone_ids(rows: list[Any]) -> set[int]:
    """Rows a reset (source type `*_reset`) has compensated."""
    return {r.reverses_id for r in rows
            if r.source_type.endswith("_reset") and r.reverses_id is not None}


def check_reset_rows(rows: list[Any]) -> None:
    """Every compensating row undoes exactly one row of its source: same line, kind, reason,
    the opposite amount; and no row is undone twice."""
    by_id = {r.id: r for r in rows}
    seen: set[int] = set()
    for r in rows:
        if not r.source_type.endswith("_reset"):
            continue
        target = by_id.get(r.reverses_id)
        assert target is not None, f"ledger row {r.id} ({r.source_type}) undoes nothing"
        assert target.source_type + "_reset" == r.source_type, (r, target)
        assert (target.source_id, target.claim_line_id, target.kind, target.reason) == (
            r.source_id, r.claim_line_id, r.kind, r.reason), (r, target)
        assert target.amount == -r.amount, (r, target)
        assert r.reverses_id not in seen, f"ledger row {r.reverses_id} undone twice"
        seen.add(r.reverses_id)


async def check_claim_rows(session: AsyncSession, rows: list[Any]) -> None:
    """Claim-creation rows point at their claim; each row's line is a line of its claim; and
    each claim's (and line's) rows sum to the balances `gateway.ledger.balances` reports."""
    line_claim: dict[int, int] = {
        lid: cid for lid, cid in (await session.execute(
            select(ClaimLine.id, ClaimLine.claim_id))).all()}
    claim_ids = set((await session.scalars(select(Claim.id))).all())
    own_claim: dict[int, Balances] = defaultdict(Balances)
    own_line: dict[int, Balances] = defaultdict(Balances)
    for r in rows:
        assert line_claim.get(r.claim_line_id) == r.claim_id, (
            f"ledger row {r.id}: line {r.claim_line_id} is not a line of claim {r.claim_id}")
        if r.source_type == "claim":
            assert r.source_id == r.claim_id and r.source_id in claim_ids, r
            assert r.kind == "charge", r
        own_claim[r.claim_id].add(r.kind, r.amount)
        own_line[r.claim_line_id].add(r.kind, r.amount)
    reported = await claim_balances(session, claim_ids)
    for cid in claim_ids:
        assert reported[cid].as_dict() == own_claim[cid].as_dict(), (
            f"claim {cid}: balances {reported[cid].as_dict()} but its rows sum to "
            f"{own_claim[cid].as_dict()}")
    per_line = await line_balances(session, claim_ids)
    for lid in line_claim:
        got = per_line.get(lid, Balances()).as_dict()
        assert got == own_line[lid].as_dict(), (lid, got, own_line[lid].as_dict())
