"""The receipts invariant, over random sequences of what a front desk and a biller do (issue 16).

Patients with claims whose lines carry patient balances; random receipts (every type, known
and unknown chart numbers), reconciled at once or later, applied by hand, held, moved among
statuses in bulk, reversed, imported from a workbook and imported again; days pass. After
every step:

* each receipt's applied + unapplied = amount, applied is what its live applications hold,
  never more than the amount and never negative; a reversed receipt holds nothing;
* each claim line's patient payments in the ledger equal the live applications on it, every
  patient payment row points at its application, and a line's patient balance goes below zero
  only through a credit application;
* every ledger row's source exists and each claim's rows sum to its balances;

and reversing a receipt leaves every line exactly as it was with that receipt's applications
taken off (nothing else moves).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.practices import create_practice, update_settings
from gateway.ledger.balances import line_balances
from gateway.ledger.models import Claim, ClaimLine
from gateway.receipts import service
from gateway.receipts.importer import import_receipts
from gateway.receipts.models import (
    BUILTIN_TYPES,
    BULK_STATUSES,
    Receipt,
    ReceiptApplication,
)
from gateway.receipts.schemas import ManualApplicationIn, ReceiptIn
from tests.invariants.strategies import (
    MACHINE_SETTINGS,
    ZERO,
    AsyncMachine,
    check_claim_rows,
    check_reset_rows,
    ledger_rows,
    money,
)
from tests.receipts import helpers as h
from tests.receipts.test_importer import workbook

ACTOR = "user:inv"
START = dt.date(2026, 3, 10)
TYPES = sorted(BUILTIN_TYPES)
ACCOUNTS = ["A0", "A1", "UNKNOWN"]
CHARTS = st.sampled_from(["A0", "A0", "A1", "A1", "UNKNOWN"])

settings_st = st.fixed_dictionaries({
    "copay_hold_days": st.integers(0, 3),
    "credit_receipt_hold_days": st.integers(0, 10),
    "disbursement_order": st.sampled_from(["oldest_first", "newest_first",
                                           "highest_balance_first"]),
    "copays_limited_to_copay_procedures": st.booleans(),
    "copays_across_procedures": st.booleans(),
})
claim_st = st.fixed_dictionaries({
    "account": st.sampled_from(ACCOUNTS[:2]),
    "days_ago": st.integers(0, 3),
    "balances": st.lists(st.integers(0, 15_000), min_size=1, max_size=3),
    "copay_line": st.one_of(st.none(), st.integers(1, 3)),
    "status": st.sampled_from(["Statement", "Statement", "Open", "Patient Balance"]),
    "level": st.sampled_from(["Primary", "Patient", "Statement"]),
})


class ReceiptsMachine(AsyncMachine):
    def __init__(self) -> None:
        super().__init__()
        self.today = START
        self.rows: list[tuple[Any, ...]] = []  # every workbook row imported so far
        self.counter = 0

    @initialize(setup=settings_st, claims=st.lists(claim_st, min_size=1, max_size=4))
    def practice(self, setup: dict[str, Any], claims: list[dict[str, Any]]) -> None:
        async def go(s: AsyncSession) -> None:
            self.pid = await create_practice(s, "Receipts Eye")
            await update_settings(s, self.pid, setup)
            for account in ACCOUNTS[:2]:
                await h.patient(s, self.pid, account)
            for c in claims:
                copay = c["copay_line"] if (c["copay_line"] or 0) <= len(c["balances"]) else None
                await h.claim(s, self.pid, c["account"],
                              START - dt.timedelta(days=c["days_ago"]),
                              *[money(b) for b in c["balances"]], copay_line=copay,
                              level=c["level"], status=c["status"])

        self.step(go)

    def _receipts(self, workable: bool = False) -> list[int]:
        """Receipts (not the negative ones reversals make), not reversed ones."""
        q = select(Receipt.id).where(Receipt.reversal_of_id.is_(None),
                                     Receipt.status != "Reversed").order_by(Receipt.id)
        if workable:
            q = q.where(Receipt.status.in_(("New", "Hold", "Error")))
        return self.read(lambda s: _all(s, q))

    # -- money coming in ----------------------------------------------------------------------

    @rule(data=st.data())
    def receipt(self, data: st.DataObject) -> None:
        self.counter += 1
        body = ReceiptIn(
            received_on=self.today - dt.timedelta(days=data.draw(st.integers(0, 3))),
            amount=Decimal(money(data.draw(st.integers(1, 20_000), label="cents"))),
            type=data.draw(st.sampled_from(TYPES), label="type"),
            patient_account=data.draw(CHARTS, label="chart"),
            check_number=data.draw(st.one_of(st.none(), st.just(f"CK{self.counter}"))),
        )
        now = data.draw(st.booleans(), label="reconcile now")
        self.step(lambda s: service.create_receipt(s, self.pid, body, actor=ACTOR,
                                                   today=self.today, reconcile_now=now))

    @rule(data=st.data())
    def import_workbook(self, data: st.DataObject) -> None:
        """A workbook of new rows and, maybe, rows imported before (never imported twice)."""
        new = []
        for _ in range(data.draw(st.integers(0, 3), label="new rows")):
            self.counter += 1
            new.append((data.draw(CHARTS, label="chart"), None,
                        self.today - dt.timedelta(days=data.draw(st.integers(0, 3))),
                        Decimal(money(data.draw(st.integers(1, 20_000), label="cents"))),
                        data.draw(st.sampled_from(TYPES), label="type"), "Check",
                        f"WB{self.counter}", None))
        again = data.draw(st.lists(st.sampled_from(self.rows), max_size=2)) if self.rows else []
        rows = new + again
        if not rows:
            return
        self.counter += 1
        book = workbook(*rows)

        async def go(s: AsyncSession) -> Any:
            res = await import_receipts(s, self.pid, book, filename=f"wb{self.counter}.xlsx",
                                        actor=ACTOR, today=self.today)
            assert len(res.created) <= len(new), "a row imported before was imported again"
            return res

        if self.step(go) is not None:
            self.rows.extend(new)

    # -- the engine and the biller ------------------------------------------------------------

    @rule(data=st.data())
    def reconcile(self, data: st.DataObject) -> None:
        ids = self._receipts()
        selected = data.draw(st.booleans(), label="selected")
        if ids and selected:
            chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
            self.step(lambda s: service.reconcile(s, self.pid, chosen, today=self.today))
        else:
            self.step(lambda s: service.reconcile_practice(s, self.pid, today=self.today))

    @rule(days=st.integers(1, 15))
    def days_pass(self, days: int) -> None:
        self.today += dt.timedelta(days=days)

    @rule(data=st.data())
    def apply(self, data: st.DataObject) -> None:
        ids = self._receipts(workable=True)
        if not ids:
            return
        rid = data.draw(st.sampled_from(ids), label="receipt")

        async def lines(s: AsyncSession) -> list[Any]:
            pid = await s.scalar(select(Receipt.patient_id).where(Receipt.id == rid))
            q = select(ClaimLine.id, ClaimLine.claim_id).join(Claim, Claim.id == ClaimLine.claim_id)
            if pid is not None:
                q = q.where(Claim.patient_id == pid)
            return list((await s.execute(q.order_by(ClaimLine.id))).all())

        candidates = self.read(lines)
        if not candidates:
            return
        bal = self.read(lambda s: line_balances(s, {c.claim_id for c in candidates}))
        left = int(self.read(lambda s: service.show(s, self.pid, rid)).unapplied * 100)
        if left <= 0:
            return
        picked = data.draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=2,
                                    unique_by=lambda c: c.id), label="lines")
        items = []
        for c in picked:
            have = int(max(bal[c.id].patient_balance, ZERO) * 100) if c.id in bal else 0
            credit = data.draw(st.booleans(), label="credit")
            top = left if credit or not have else min(have, left)
            cents = data.draw(st.integers(1, top), label="cents")
            left = max(left - cents, 1)
            items.append(ManualApplicationIn(claim_line_id=c.id,
                                             amount=Decimal(money(cents)), credit=credit))
        self.step(lambda s: service.apply_by_hand(s, self.pid, rid, items, actor=ACTOR,
                                                  today=self.today))

    @rule(data=st.data())
    def hold(self, data: st.DataObject) -> None:
        ids = self._receipts()
        if ids:
            rid = data.draw(st.sampled_from(ids), label="receipt")
            until = self.today + dt.timedelta(days=data.draw(st.integers(0, 10)))
            self.step(lambda s: service.hold(s, self.pid, rid, actor=ACTOR, until=until,
                                             today=self.today))

    @rule(data=st.data())
    def change_status(self, data: st.DataObject) -> None:
        ids = self._receipts()
        if not ids:
            return
        chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
        status = data.draw(st.sampled_from(BULK_STATUSES), label="status")
        until = None
        if status == "Hold" and data.draw(st.booleans(), label="with date"):
            until = self.today + dt.timedelta(days=data.draw(st.integers(0, 10)))
        self.step(lambda s: service.change_status(s, self.pid, chosen, status, actor=ACTOR,
                                                  hold_until=until, today=self.today))

    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        """Reversing leaves every line as it was with this receipt's applications taken off."""
        ids = self._receipts()
        if not ids:
            return
        rid = data.draw(st.sampled_from(ids), label="receipt")
        before = self.read(_line_state)
        mine = self.read(lambda s: _live_applications(s, rid))
        if self.step(lambda s: service.reverse(s, self.pid, rid, actor=ACTOR,
                                               today=self.today)) is None:
            return
        after = self.read(_line_state)
        for line, b in before.items():
            expected = dict(b)
            expected["patient_paid"] -= mine.get(line, ZERO)
            expected["balance"] += mine.get(line, ZERO)
            expected["patient_balance"] += mine.get(line, ZERO)
            assert after[line] == expected, (
                f"reversing receipt {rid} left line {line} at {after[line]}, not {expected}")

    # -- the invariant ------------------------------------------------------------------------

    @invariant()
    def money_is_right(self) -> None:
        if hasattr(self, "pid"):
            self.read(lambda s: check_receipts(s, self.pid))


async def _all(s: AsyncSession, q: Any) -> list[Any]:
    return list((await s.scalars(q)).all())


async def _line_state(s: AsyncSession) -> dict[int, dict[str, Decimal]]:
    claim_ids = list((await s.scalars(select(Claim.id))).all())
    lines = list((await s.scalars(select(ClaimLine.id))).all())
    per = await line_balances(s, claim_ids)
    return {lid: per[lid].as_dict() for lid in lines if lid in per}


async def _live_applications(s: AsyncSession, receipt_id: int) -> dict[int, Decimal]:
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line, amount in (await s.execute(
            select(ReceiptApplication.claim_line_id, ReceiptApplication.amount).where(
                ReceiptApplication.receipt_id == receipt_id,
                ReceiptApplication.reversed_at.is_(None)))).all():
        out[line] += amount
    return out


async def check_receipts(s: AsyncSession, practice_id: int) -> None:
    rows = await ledger_rows(s)
    check_reset_rows(rows)
    await check_claim_rows(s, rows)
    apps = {a.id: a for a in (await s.execute(select(
        ReceiptApplication.id, ReceiptApplication.receipt_id, ReceiptApplication.claim_line_id,
        ReceiptApplication.amount, ReceiptApplication.credit,
        ReceiptApplication.reversed_at))).all()}
    live_on_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
    live_of_receipt: dict[int, Decimal] = defaultdict(lambda: ZERO)
    credit_lines = set()
    for a in apps.values():
        if a.reversed_at is None:
            live_on_line[a.claim_line_id] += a.amount
            live_of_receipt[a.receipt_id] += a.amount
            if a.credit:
                credit_lines.add(a.claim_line_id)
    paid_on_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        if r.kind != "patient_payment":
            assert r.source_type in ("claim", "test"), f"ledger row {r.id}: {r.source_type}"
            continue
        assert r.source_type == "receipt_application", r
        app = apps.get(r.source_id)
        assert app is not None, f"ledger row {r.id}: application {r.source_id} is gone"
        assert app.claim_line_id == r.claim_line_id, (r, app)
        if r.reverses_id is None:
            assert r.amount == app.amount, (r, app)
        else:
            assert r.amount == -app.amount and app.reversed_at is not None, (r, app)
        paid_on_line[r.claim_line_id] += r.amount
    for line in set(paid_on_line) | set(live_on_line):
        assert paid_on_line[line] == live_on_line[line], (
            f"line {line}: patient payments {paid_on_line[line]} but live applications "
            f"{live_on_line[line]}")
    for lid, b in (await line_balances(s, (await s.scalars(select(Claim.id))).all())).items():
        assert b.patient_balance >= 0 or lid in credit_lines, (
            f"line {lid}: patient balance {b.patient_balance} without a credit application")
    for r in (await s.scalars(select(Receipt).where(Receipt.practice_id == practice_id))).all():
        out = await service.show(s, practice_id, r.id)
        assert out.applied + out.unapplied == out.amount, out
        if r.reversal_of_id is not None:
            continue
        applied = live_of_receipt[r.id]
        assert out.applied == applied, (r.id, out.applied, applied)
        assert ZERO <= applied <= r.amount, (
            f"receipt {r.id} of {r.amount} has {applied} applied")
        if r.status == "Reversed":
            assert applied == ZERO, f"reversed receipt {r.id} still has {applied} applied"


def test_receipts_invariant(migrated_sqlite_template: Path) -> None:
    ReceiptsMachine.template = migrated_sqlite_template
    run_state_machine_as_test(ReceiptsMachine, settings=MACHINE_SETTINGS)
