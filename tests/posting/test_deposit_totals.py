"""The totals stored on a deposit (gateway.posting.deposit_totals) equal the sums of its rows
after every step of random sequences of ERA imports, posts, resets, resolutions and Ignore /
New (hypothesis; amounts in int cents), and the lists show them.

The expected sums are computed here in Python from the rows themselves, not by the module
under test: claims and posted claims counted, CLP04 summed apart for excluded claims, the
balance-changing adjustments (write-off / adjustment) of claims and lines not excluded, and
the open errors.
"""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.posting.deposit_status import set_deposit_status
from gateway.posting.engine import post_deposit
from gateway.posting.models import (
    Deposit,
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
    PostingError,
)
from gateway.posting.queue import resolve_error
from gateway.posting.reset import reset_deposit
from gateway.posting.schemas import ResolveIn
from gateway.posting.search import search_deposits, show_deposit
from tests.conftest import make_practice
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835

ZERO = Decimal("0.00")


def money(c: int) -> str:
    return str(Decimal(c).scaleb(-2).quantize(Decimal("0.01")))


line = st.tuples(st.integers(100, 20_000), st.integers(0, 100),  # charge, % allowed
                 st.sampled_from(["45", "45", "B99"]))  # B99: no rule, Missing Payment Type
era_claim = st.tuples(st.booleans(), st.lists(line, min_size=1, max_size=2))  # known claim?
step = st.one_of(
    st.tuples(st.just("import"), st.lists(era_claim, min_size=1, max_size=3)),
    st.tuples(st.just("post"), st.integers(0, 3)),
    st.tuples(st.just("reset"), st.integers(0, 3)),
    st.tuples(st.just("resolve"), st.integers(0, 3),
              st.sampled_from(["exclude", "ignore", "payment_type"])),
    st.tuples(st.just("status"), st.integers(0, 3), st.sampled_from(["Ignore", "New"])),
)


def _era(claims: list[tuple[bool, list[tuple[int, int, str]]]], n: int) -> str:
    clps, total = [], 0
    for i, (_known, lines) in enumerate(claims):
        svcs, charge, paid = [], 0, 0
        for j, (c, pct, reason) in enumerate(lines):
            p = c * pct // 100
            svcs.append(Svc(f"9201{j}", money(c), money(p),
                            [("CO", reason, money(c - p))] if c - p else []))
            charge, paid = charge + c, paid + p
        total += paid
        clps.append(Clp(f"E{n}C{i}", "1", money(charge), money(paid), svcs, icn=f"I{n}{i}",
                        patient=("TOT", f"P{i}", f"M{i}")))
    return build_835([Pay(f"TR{n}", money(total), clps)], control=n + 1)


async def _expected(session: AsyncSession, dep_id: int) -> dict[str, Any]:
    dcs = (await session.scalars(select(DepositClaim).where(
        DepositClaim.deposit_id == dep_id))).all()
    procs = {p.id: p for p in (await session.scalars(select(DepositProcedure).where(
        DepositProcedure.deposit_claim_id.in_([dc.id for dc in dcs])))).all()}
    by_id = {dc.id: dc for dc in dcs}
    adjs = (await session.scalars(select(DepositAdjustment).where(
        DepositAdjustment.deposit_id == dep_id))).all()
    errors = (await session.scalars(select(PostingError).where(
        PostingError.deposit_id == dep_id))).all()
    adjusted = sum((a.amount for a in adjs
                    if a.payment_type in ("write_off", "adjustment")
                    and a.deposit_claim_id is not None
                    and not by_id[a.deposit_claim_id].excluded
                    and not (a.deposit_procedure_id
                             and procs[a.deposit_procedure_id].excluded)), ZERO)
    return {
        "claim_count": len(dcs),
        "posted_claim_count": sum(1 for dc in dcs if dc.state == "posted"),
        "payments_total": sum((dc.paid for dc in dcs if not dc.excluded), ZERO),
        "exclusions_total": sum((dc.paid for dc in dcs if dc.excluded), ZERO),
        "adjustments_total": adjusted,
        "open_error_count": sum(1 for e in errors if e.resolved_at is None),
    }


async def _resolve(session: AsyncSession, pid: int, dep_id: int, action: str) -> None:
    open_errors = (await session.scalars(select(PostingError).where(
        PostingError.deposit_id == dep_id, PostingError.resolved_at.is_(None))
        .order_by(PostingError.id))).all()
    for e in open_errors:
        body = ResolveIn(action=action,  # type: ignore[arg-type]  # a ResolveAction value
                         payment_type="write_off" if action == "payment_type" else None)
        try:
            await resolve_error(session, pid, e.id, body, actor="prop")
        except UserError:
            continue
        return


async def _apply(session: AsyncSession, pid: int, deps: list[int], s: tuple[Any, ...],
                 tmp: Path) -> None:
    kind = s[0]
    if kind == "import":
        n = len(deps)
        for i, (known, lines) in enumerate(s[1]):
            if known:
                await h.claim(session, pid, f"E{n}C{i}",
                              [(f"9201{j}", money(c), []) for j, (c, _, _) in enumerate(lines)],
                              account=f"A{n}{i}", last="TOT", first=f"P{i}")
        res = await h.import_text(session, pid, _era(s[1], n), tmp, name=f"era{n}.835")
        deps.extend(d.id for d in res.deposits)
        return
    if not deps:
        return
    dep_id = deps[s[1] % len(deps)]
    if kind == "post":
        await post_deposit(session, pid, dep_id, actor="prop")
    elif kind == "reset":
        await reset_deposit(session, pid, dep_id, actor="prop")
    elif kind == "resolve":
        await _resolve(session, pid, dep_id, s[2])
    else:
        await set_deposit_status(session, pid, dep_id, s[2], actor="prop")


PROPS = settings(max_examples=30, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])
ONE_ERA = ("import", [(True, [(1000, 80, "45")]), (False, [(500, 50, "B99")]),
                      (True, [(700, 60, "B99")])])


@PROPS
@given(st.lists(step, min_size=1, max_size=8))
# every hook on its own at least once, whatever the random draws find
@example([ONE_ERA, ("post", 0), ("reset", 0), ("status", 0, "Ignore"), ("status", 0, "New")])
@example([ONE_ERA, ("post", 0), ("resolve", 0, "exclude"), ("resolve", 0, "payment_type")])
@example([ONE_ERA, ("resolve", 0, "exclude"), ("status", 0, "Ignore"), ("post", 0)])
async def test_stored_totals_equal_the_sums_of_the_rows(migrated_sqlite_template, steps):
    tmp = Path(tempfile.mkdtemp())
    try:
        shutil.copy(migrated_sqlite_template, tmp / "t.db")
        engine = make_engine(f"sqlite+aiosqlite:///{tmp / 't.db'}")
        try:
            async with make_sessionmaker(engine)() as session:
                await _run(session, steps, tmp)
        finally:
            await engine.dispose()
    finally:
        shutil.rmtree(tmp)


async def _run(session: AsyncSession, steps: list[tuple[Any, ...]], tmp: Path) -> None:
    pid = (await make_practice(session, "Totals Eye")).practice_id
    await h.payers(session, pid)
    deps: list[int] = []
    for s in steps:
        savepoint = await session.begin_nested()
        try:
            await _apply(session, pid, deps, s, tmp)
        except UserError:  # refused as a whole (post an ignored deposit, reset one unposted)
            await savepoint.rollback()
        else:
            await savepoint.commit()
        for dep_id in deps:
            stored = await session.get(Deposit, dep_id)
            assert stored is not None
            await session.refresh(stored)
            expected = await _expected(session, dep_id)
            assert {k: getattr(stored, k) for k in expected} == expected, s
    listed = {d.id: d for d in await search_deposits(session, pid, limit=100)}
    for dep_id in deps:
        want = await _expected(session, dep_id)
        shown = listed[dep_id]
        assert (shown.claims, shown.posted_claims, shown.payments, shown.exclusions,
                shown.adjustments, shown.open_errors) == (
            want["claim_count"], want["posted_claim_count"], want["payments_total"],
            want["exclusions_total"], want["adjustments_total"], want["open_error_count"])
        assert (await show_deposit(session, pid, dep_id)).deposit == shown
    await session.rollback()
