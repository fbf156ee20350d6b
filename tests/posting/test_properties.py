"""Money invariants on random claims and random ERAs (hypothesis; amounts in int cents).

* every line: balance = charge - insurance paid - write-offs - patient payments, and the
  insurance and patient parts never go negative unless the line is a recorded credit;
* post then reset leaves every balance exactly as before;
* importing and posting the same ERA twice changes nothing the second time;
* a Disbursed deposit: sum of posted payments - sum of PLB = deposit amount.
"""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.db.engine import make_engine, make_sessionmaker
from gateway.ledger.balances import line_balances
from gateway.ledger.models import LedgerEntry
from gateway.posting.engine import post_deposit
from gateway.posting.models import Deposit, DepositClaim
from gateway.posting.reset import reset_deposit
from tests.conftest import make_practice
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835

CODES = ["92004", "92014", "92015", "92250", "92134"]


def money(c: int) -> str:
    return str(Decimal(c).scaleb(-2).quantize(Decimal("0.01")))


@st.composite
def scenario(draw):  # type: ignore[no-untyped-def]
    """Claims (lines of charges) and, per claim, what the payer does with each line."""
    n_claims = draw(st.integers(1, 4))
    claims = []
    for i in range(n_claims):
        n_lines = draw(st.integers(1, 3))
        lines = []
        for j in range(n_lines):
            charge = draw(st.integers(100, 50_000))
            kind = draw(st.sampled_from(["paid", "paid", "denied", "pr_only"]))
            if kind == "denied":
                paid, co45, pr = 0, 0, 0
            else:
                allowed = draw(st.integers(0, charge))
                pr = draw(st.integers(0, allowed)) if kind == "paid" else allowed
                paid = allowed - pr
                co45 = charge - allowed
            pr_reason = draw(st.sampled_from(["1", "2", "3"]))
            lines.append((CODES[j], charge, paid, co45, pr, pr_reason, kind))
        status = draw(st.sampled_from(["1", "1", "1", "19"]))
        claims.append((f"H{i}", status, lines))
    plb = draw(st.lists(st.tuples(st.sampled_from(["L6", "WO", "FB"]),
                                  st.integers(-2_000, 2_000)), max_size=2))
    return claims, plb


def era_of(claims, plb, trace: str = "TR1") -> tuple[str, int]:  # type: ignore[no-untyped-def]
    clps = []
    total = 0
    for pcn, status, lines in claims:
        svcs = []
        charge = paid = 0
        for code, c, p, co45, pr, pr_reason, kind in lines:
            cas = []
            if kind == "denied":
                cas.append(("CO", "50", money(c)))
            else:
                if co45:
                    cas.append(("CO", "45", money(co45)))
                if pr:
                    cas.append(("PR", pr_reason, money(pr)))
            svcs.append(Svc(code, money(c), money(p), cas))
            charge += c
            paid += p
        total += paid
        clps.append(Clp(pcn, status, money(charge), money(paid), svcs, icn=f"I{pcn}",
                        patient=("PROP", pcn, pcn),
                        crossover="SECOND PLAN" if status == "19" else None))
    plb_total = sum(a for _, a in plb)
    amount = total - plb_total
    pay = Pay(trace, money(abs(amount)), clps,
              plb=[(r, f"R{k}", money(a)) for k, (r, a) in enumerate(plb)],
              credit="C" if amount >= 0 else "D")
    return build_835([pay]), amount


async def _snapshot(session, claim_ids):  # type: ignore[no-untyped-def]
    per = await line_balances(session, claim_ids)
    return {k: v.as_dict() for k, v in per.items()}


PROPS = settings(max_examples=25, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPS
@given(scenario())
async def test_money_invariants(migrated_sqlite_template, data):
    claims, plb = data
    tmp = Path(tempfile.mkdtemp())
    try:
        db = tmp / "p.db"
        shutil.copy(migrated_sqlite_template, db)
        engine = make_engine(f"sqlite+aiosqlite:///{db}")
        try:
            async with make_sessionmaker(engine)() as session:
                await _run(session, claims, plb, tmp)
        finally:
            await engine.dispose()
    finally:
        shutil.rmtree(tmp)


async def _run(session, claims, plb, tmp) -> None:  # type: ignore[no-untyped-def]
    practice = await make_practice(session, "Prop Eye")
    pid = practice.practice_id
    p = await h.payers(session, pid)
    ids = []
    for pcn, status, lines in claims:
        ids.append(await h.claim(
            session, pid, pcn, [(code, money(c), []) for code, c, *_ in lines],
            payer_id=p["acme"], account=f"acct-{pcn}", last="PROP", first=pcn,
            coverages=[(1, p["acme"], pcn), (2, p["second"], pcn + "S")]
            if status == "19" else None))
    text, amount = era_of(claims, plb)
    before = await _snapshot(session, ids)

    res = await h.import_text(session, pid, text, tmp)
    (dep,) = res.deposits
    if amount < 0:  # a debit ERA is ignored, never posted
        assert dep.status == "Ignore"
        return
    assert dep.errors == []
    result = await post_deposit(session, pid, dep.id)
    assert result.posted_status == "Disbursed"

    # balance identity and signs, line by line
    per = await line_balances(session, ids)
    for b in per.values():
        assert b.balance == b.charges - b.insurance_paid - b.adjustments - b.patient_paid \
            - b.patient_adjustments
        assert b.insurance_balance >= 0 and b.patient_balance >= 0
    # denials are never written off; each claim's figures land exactly
    for (_pcn, _status, lines), cid in zip(claims, ids, strict=True):
        bal = await h.balances(session, cid)
        assert bal.insurance_paid == sum((Decimal(money(x[2])) for x in lines), Decimal(0))
        assert bal.adjustments == sum((Decimal(money(x[3])) for x in lines), Decimal(0))
        denied = sum((Decimal(money(x[1])) for x in lines if x[6] == "denied"), Decimal(0))
        assert bal.insurance_balance >= denied

    # Disbursed: sum of posted payments - sum of PLB = deposit amount
    paid = await session.scalar(
        select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.kind == "insurance_payment", LedgerEntry.source_type == "deposit_claim",
            LedgerEntry.source_id.in_(select(DepositClaim.id).where(
                DepositClaim.deposit_id == dep.id))))
    d = await session.get(Deposit, dep.id)
    assert (paid or Decimal("0.00")) - d.plb_total == d.amount

    # the same ERA again: the same file is blocked, and posting again writes nothing
    rows = await session.scalar(select(func.count()).select_from(LedgerEntry))
    again = await h.import_text(session, pid, text, tmp)
    assert again.duplicate_file
    await post_deposit(session, pid, dep.id)
    assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == rows
    after_post = await _snapshot(session, ids)

    # reset: every balance exactly as before; posting again gives the same balances
    await reset_deposit(session, pid, dep.id, actor="prop")
    restored = await _snapshot(session, ids)
    assert {k: v for k, v in restored.items()} == {k: v for k, v in before.items()}
    await post_deposit(session, pid, dep.id)
    assert await _snapshot(session, ids) == after_post
    await session.rollback()
