"""The posting invariant, over random payer histories and random resolutions (issue 16).

A practice with random claims gets random ERAs (tests/invariants/posting_model.py: paid,
partly denied, denied, claim-level CAS, no service lines, unknown claims, procedure conflicts,
unknown reasons, unknown payers, missing traces, PLB, duplicates, reversals and corrections);
a biller then works the error queue with random *allowed* resolve actions, posts, resets,
removes and re-imports. After every step:

* each deposit claim's insurance money in the ledger is what the payer paid on it: CLP04 in
  total and SVC03 per line when it is posted (a linked reversal exactly undoes what it
  reverses), nothing of any kind when it is not posted;
* a write-off (and a patient transfer) is posted at most once per adjustment: on each claim
  line, the net amount per reason never exceeds what one adjudication of the claim carries;
* every ledger row points at a source that exists (live deposit rows at a posted deposit
  claim of the same claim, resets at the row they undo, PLB rows at an applied PLB);
* each claim's and line's ledger rows sum to the balances `gateway.ledger.balances` gives.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.practices import create_practice
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.posting.engine import post_deposit
from gateway.posting.models import Deposit, DepositAdjustment, DepositClaim, DepositProcedure
from gateway.posting.queue import list_errors, resolve_error
from gateway.posting.reset import remove_deposit, reset_deposit
from gateway.posting.rules import PAYMENT_TYPES, save_rule
from gateway.posting.schemas import ResolveAction, ResolveIn, RuleIn
from tests.invariants.posting_model import (
    Adjudication,
    PracticeClaim,
    adjudication,
    reversal_of,
)
from tests.invariants.strategies import (
    MACHINE_SETTINGS,
    ZERO,
    AsyncMachine,
    check_claim_rows,
    check_reset_rows,
    ledger_rows,
    money,
    split,
    undone_ids,
)
from tests.posting import helpers as h
from tests.posting.era835 import Pay, build_835

ACTOR = "user:inv"
NOT_TRANSFERS = {"transfer back to insurance"}

practice_st = st.fixed_dictionaries({
    "claims": st.lists(st.tuples(st.lists(st.integers(500, 30_000), min_size=1, max_size=3),
                                 st.booleans()), min_size=1, max_size=3),
    "plb_apply": st.booleans(),
})


class PostingMachine(AsyncMachine):
    def __init__(self) -> None:
        super().__init__()
        self.claims: list[PracticeClaim] = []
        self.live: dict[int, Adjudication] = {}  # claim index -> its adjudication in effect
        self.sent: list[Pay] = []
        self.intended: dict[str, int] = {}  # ICN -> the claim the payer meant
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    # -- setup --------------------------------------------------------------------------------

    @initialize(setup=practice_st)
    def practice(self, setup: dict[str, Any]) -> None:
        async def go(s: AsyncSession) -> None:
            self.pid = await create_practice(s, "Invariant Eye")
            self.payers = await h.payers(s, self.pid)
            for n, (charges, secondary) in enumerate(setup["claims"]):
                pcn, patient = f"C{n}", ("INV", f"P{n}", f"M{n}")
                cov = [(1, self.payers["acme"], patient[2])]
                if secondary:
                    cov.append((2, self.payers["second"], patient[2] + "S"))
                cid = await h.claim(s, self.pid, pcn,
                                    [(code, money(ch), []) for code, ch in
                                     zip(["92004", "92014", "92015"], charges, strict=False)],
                                    payer_id=self.payers["acme"], account=f"A{n}",
                                    last=patient[0], first=patient[1], coverages=cov)
                lines = list((await s.scalars(select(ClaimLine.id).where(
                    ClaimLine.claim_id == cid).order_by(ClaimLine.line_number))).all())
                self.claims.append(PracticeClaim(cid, pcn, lines, list(charges), secondary,
                                                 patient))
            if setup["plb_apply"]:
                await save_rule(s, self.pid, RuleIn(kind="plb", code="WO", plb_action="apply"),
                                actor=ACTOR)

        self.step(go)

    # -- what the payer sends -----------------------------------------------------------------

    def _import(self, data: st.DataObject, pay: Pay) -> None:
        """Import the ERA; then, mostly, the biller posts it at once (its own transaction)."""
        text = build_835([pay], control=self._next())
        name = f"era{self.counter}.835"

        async def go(s: AsyncSession) -> list[int]:
            res = await h.import_text(s, self.pid, text, self.dir, name)
            for d in res.deposits:
                stored = await s.scalars(select(DepositClaim.paid).where(
                    DepositClaim.deposit_id == d.id))
                assert sum(stored, ZERO) == sum((Decimal(c.paid) for c in pay.claims), ZERO), (
                    "the importer stored other CLP04s than the file has")
            return [d.id for d in res.deposits]

        new = self.step(go) or []
        self.sent.append(pay)
        if new and data.draw(st.integers(0, 3), label="post at once") != 1:
            self.step(lambda s: post_deposit(s, self.pid, new[0], actor=ACTOR))

    def _pay(self, data: st.DataObject, clps: list[Any], paid: int) -> Pay:
        plb: list[tuple[str, str, str]] = []
        if paid > 100 and data.draw(st.booleans(), label="plb"):
            target = data.draw(st.sampled_from(self.claims), label="plb claim")
            plb.append(("WO", target.pcn, money(data.draw(st.integers(1, paid // 2)))))
        if data.draw(st.booleans(), label="interest"):
            plb.append(("L6", "", money(-data.draw(st.integers(1, 500)))))
        amount = paid - sum(int(Decimal(a) * 100) for _, _, a in plb)
        trace = "" if data.draw(st.integers(0, 9), label="no trace") == 7 else f"T{self._next()}"
        payer = (("UNKNOWN PLAN", "ZZZ9") if data.draw(st.integers(0, 6), label="mismatch") == 5
                 else ("ACME HEALTH", "ACME1"))
        return Pay(trace, money(amount), clps, plb=plb, payer=payer[0], payer_id=payer[1])

    @rule(data=st.data())
    def era(self, data: st.DataObject) -> None:
        """A new ERA adjudicating claims not adjudicated now (fresh, or after a reversal)."""
        free = [i for i in range(len(self.claims)) if i not in self.live]
        if not free:
            return
        picked = data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True),
                           label="claims")
        clps, paid = [], 0
        for i in picked:
            icn = f"I{self._next()}"
            clp, cents = data.draw(adjudication(self.claims[i], icn), label="clp")
            self.intended[icn] = self.claims[i].claim_id
            self.live[i] = Adjudication(self.claims[i], clp, cents)
            clps.append(clp)
            paid += cents
        self._import(data, self._pay(data, clps, paid))

    @precondition(lambda self: bool(self.live))
    @rule(data=st.data())
    def reversal(self, data: st.DataObject) -> None:
        """The payer takes an adjudication back, and maybe sends the corrected claim."""
        i = data.draw(st.sampled_from(sorted(self.live)), label="reversed claim")
        old = self.live.pop(i)
        clps, paid = [reversal_of(old.clp)], -old.paid_cents
        if data.draw(st.booleans(), label="corrected"):
            icn = f"I{self._next()}"
            clp, cents = data.draw(adjudication(self.claims[i], icn), label="corrected clp")
            self.intended[icn] = self.claims[i].claim_id
            self.live[i] = Adjudication(self.claims[i], clp, cents)
            clps.append(clp)
            paid += cents
        if paid < 0:  # a take-back larger than the check: the payer recoups it by PLB
            # BPR02 = sum CLP04 - sum PLB: a negative forwarding balance makes the check $0
            pay = Pay(f"T{self._next()}", "0.00", clps, plb=[("FB", old.claim.pcn, money(paid))])
            self._import(data, pay)
            return
        self._import(data, self._pay(data, clps, paid))

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data())
    def resend(self, data: st.DataObject) -> None:
        """The same payment again in another file: same trace (a duplicate deposit) or a new
        one (the payer paid twice, or re-sent it): a repeated adjudication is a Duplicate Claim
        Payment (gateway.posting.repeats), never its write-offs posted again."""
        pay = data.draw(st.sampled_from(self.sent), label="resent")
        if data.draw(st.booleans(), label="new trace"):
            pay = Pay(f"T{self._next()}", pay.amount, pay.claims, plb=pay.plb, payer=pay.payer,
                      payer_id=pay.payer_id)
        self._import(data, pay)

    # -- what the biller does -----------------------------------------------------------------

    def _deposits(self, postable: bool = False) -> list[int]:
        q = select(Deposit.id).order_by(Deposit.id)
        if postable:
            q = q.where(Deposit.status != "Ignore")
        return self.read(lambda s: _scalars(s, q))

    @rule(data=st.data())
    def post(self, data: st.DataObject) -> None:
        ids = self._deposits(postable=True)
        if ids:
            dep = data.draw(st.sampled_from(ids), label="post")
            self.step(lambda s: post_deposit(s, self.pid, dep, actor=ACTOR))

    @rule(data=st.data())
    def reset(self, data: st.DataObject) -> None:
        ids = self._deposits()
        if ids:
            dep = data.draw(st.sampled_from(ids), label="reset")
            self.step(lambda s: reset_deposit(s, self.pid, dep, actor=ACTOR))

    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        ids = self._deposits()
        if ids:
            dep = data.draw(st.sampled_from(ids), label="remove")
            self.step(lambda s: remove_deposit(s, self.pid, dep, actor=ACTOR))

    @rule(data=st.data())
    def resolve(self, data: st.DataObject) -> None:
        """One allowed resolve action on one open error, with what a biller would give."""
        errors = self.read(lambda s: list_errors(s, self.pid, limit=1000))
        if not errors:
            return
        e = data.draw(st.sampled_from(errors), label="error")
        action = cast(ResolveAction, data.draw(st.sampled_from(e.actions), label="action"))
        body = self._body(data, e, action)
        if body is not None:
            self._resolve(e.id, body)

    @rule(data=st.data())
    def work_deposit(self, data: st.DataObject) -> None:
        """Every open error of one deposit, each with an allowed action, as a biller works a
        deposit through the queue."""
        errors = self.read(lambda s: list_errors(s, self.pid, limit=1000))
        if not errors:
            return
        dep = data.draw(st.sampled_from(sorted({e.deposit_id for e in errors})), label="deposit")
        for e in [e for e in errors if e.deposit_id == dep]:
            action = cast(ResolveAction, data.draw(st.sampled_from(e.actions), label="action"))
            body = self._body(data, e, action)
            if body is not None:
                self._resolve(e.id, body)

    def _resolve(self, error_id: int, body: ResolveIn) -> None:
        self.step(lambda s: resolve_error(s, self.pid, error_id, body, actor=ACTOR))

    def _body(self, data: st.DataObject, e: Any, action: ResolveAction) -> ResolveIn | None:
        if action == "link_claim":
            icn = self.read(lambda s: s.scalar(select(DepositClaim.payer_claim_number).where(
                DepositClaim.id == e.deposit_claim_id)))
            if icn not in self.intended:
                return None
            return ResolveIn(action=action, claim_id=self.intended[icn])
        if action == "link_procedure":
            free = [c["id"] for c in e.detail.get("candidates", [])]
            if not free:
                return None
            return ResolveIn(action=action, claim_line_id=data.draw(st.sampled_from(free)))
        if action == "payment_type":
            return ResolveIn(action=action, payment_type=data.draw(st.sampled_from(PAYMENT_TYPES)),
                             save_rule=data.draw(st.booleans()))
        if action == "allocate":
            keys = sorted(e.detail.get("proposed", {}))
            if not keys or data.draw(st.booleans(), label="take proposal"):
                return ResolveIn(action=action)
            cents = int(Decimal(e.detail["amount"]) * 100)
            cuts = data.draw(st.lists(st.integers(0, abs(cents)), min_size=len(keys),
                                      max_size=len(keys)), label="cuts")
            parts = split(abs(cents), len(keys), cuts)
            sign = -1 if cents < 0 else 1
            return ResolveIn(action=action, allocations={
                k: Decimal(money(sign * p)) for k, p in zip(keys, parts, strict=True)})
        if action == "link_payer":
            return ResolveIn(action=action,
                             payer_id=data.draw(st.sampled_from(sorted(self.payers.values()))))
        if action == "set_trace":
            return ResolveIn(action=action, check_trace_id=f"S{self._next()}")
        return ResolveIn(action=action)

    # -- the invariant ------------------------------------------------------------------------

    @invariant()
    def money_is_right(self) -> None:
        if hasattr(self, "pid"):
            self.read(check_posting)


async def _scalars(s: AsyncSession, q: Any) -> list[Any]:
    return list((await s.scalars(q)).all())


async def check_rows_belong_to_their_line(s: AsyncSession) -> None:
    """A ledger row's claim and practice are its line's (no foreign key of their own since
    migration 0251_ledger_implied_fks: the line's key implies them, this keeps the rule)."""
    wrong = (await s.execute(
        select(LedgerEntry.id)
        .join(ClaimLine, ClaimLine.id == LedgerEntry.claim_line_id)
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .where((LedgerEntry.claim_id != ClaimLine.claim_id)
               | (LedgerEntry.practice_id != Claim.practice_id)))).scalars().all()
    assert not wrong, f"ledger rows whose claim or practice is not their line's: {wrong}"


async def check_posting(s: AsyncSession) -> None:
    await check_rows_belong_to_their_line(s)
    rows = await ledger_rows(s)
    check_reset_rows(rows)
    await check_claim_rows(s, rows)
    dcs = {d.id: d for d in (await s.execute(select(
        DepositClaim.id, DepositClaim.deposit_id, DepositClaim.claim_id, DepositClaim.state,
        DepositClaim.paid, DepositClaim.remit_status, DepositClaim.reverses_id))).all()}
    procs: dict[int, list[Any]] = defaultdict(list)
    for p in (await s.execute(select(
            DepositProcedure.id, DepositProcedure.deposit_claim_id, DepositProcedure.paid,
            DepositProcedure.claim_line_id, DepositProcedure.excluded))).all():
        procs[p.deposit_claim_id].append(p)
    adjs = list((await s.execute(select(
        DepositAdjustment.id, DepositAdjustment.deposit_claim_id,
        DepositAdjustment.deposit_procedure_id, DepositAdjustment.level,
        DepositAdjustment.group_code, DepositAdjustment.reason, DepositAdjustment.amount,
        DepositAdjustment.allocations, DepositAdjustment.applied,
        DepositAdjustment.plb_claim_id))).all())
    lines_of: dict[int, list[int]] = defaultdict(list)
    for lid, cid in (await s.execute(select(ClaimLine.id, ClaimLine.claim_id))).all():
        lines_of[cid].append(lid)
    _check_sources(rows, dcs, adjs)
    _check_payments(rows, dcs, procs, adjs)
    _check_adjustments_once(rows, dcs, procs, adjs, lines_of)


def _check_sources(rows: list[Any], dcs: dict[int, Any], adjs: list[Any]) -> None:
    """Every ledger row points at a source that exists; a row still in effect at one that is
    in effect (a posted deposit claim of the same claim, an applied PLB on that claim)."""
    undone = undone_ids(rows)
    plbs = {a.id: a for a in adjs if a.level == "provider"}
    for r in rows:
        live = not r.source_type.endswith("_reset") and r.id not in undone
        if r.source_type in ("deposit_claim", "deposit_claim_reset"):
            dc = dcs.get(r.source_id)
            assert dc is not None, f"ledger row {r.id}: deposit claim {r.source_id} is gone"
            if live:
                assert dc.state == "posted", (
                    f"ledger row {r.id} ({r.kind} {r.amount}) is in effect but its deposit "
                    f"claim {dc.id} is {dc.state}")
                assert dc.claim_id == r.claim_id, (
                    f"ledger row {r.id} is on claim {r.claim_id}, its deposit claim {dc.id} on "
                    f"{dc.claim_id}")
        elif r.source_type in ("deposit_plb", "deposit_plb_reset"):
            plb = plbs.get(r.source_id)
            assert plb is not None, f"ledger row {r.id}: PLB {r.source_id} is gone"
            if live:
                assert plb.applied and plb.plb_claim_id == r.claim_id, (r, plb)
        else:
            assert r.source_type == "claim", f"ledger row {r.id}: unknown source {r.source_type}"
    for plb in plbs.values():
        net = sum((r.amount for r in rows if r.source_id == plb.id
                   and r.source_type in ("deposit_plb", "deposit_plb_reset")), ZERO)
        assert net == (-plb.amount if plb.applied else ZERO), (
            f"PLB {plb.id} ({plb.reason} {plb.amount}, applied={plb.applied}) has {net} in the "
            "ledger")


def _net_by_dc(rows: list[Any]) -> dict[int, dict[tuple[str, int], Decimal]]:
    """Per deposit claim: net ledger amount by (kind, claim line), resets included."""
    out: dict[int, dict[tuple[str, int], Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for r in rows:
        if r.source_type in ("deposit_claim", "deposit_claim_reset"):
            out[r.source_id][(r.kind, r.claim_line_id)] += r.amount
    return out


def _check_payments(rows: list[Any], dcs: dict[int, Any], procs: dict[int, list[Any]],
                    adjs: list[Any]) -> None:
    """The insurance money posted from each deposit claim is what the payer paid on it."""
    net = _net_by_dc(rows)
    claim_cas = {a.deposit_claim_id for a in adjs if a.level == "claim"}
    for dc in dcs.values():
        mine = {k: v for k, v in net.get(dc.id, {}).items() if v != 0}
        if dc.state != "posted":
            assert not mine, (
                f"deposit claim {dc.id} is {dc.state} but the ledger holds {dict(mine)} from it")
            continue
        if dc.reverses_id is not None:
            before = net.get(dc.reverses_id, {})
            left = {k: v + before.get(k, ZERO) for k, v in mine.items()}
            assert not any(left.values()), (
                f"reversal {dc.id} does not exactly undo {dc.reverses_id}: {left}")
            continue
        paid = sum((v for (kind, _), v in mine.items() if kind == "insurance_payment"), ZERO)
        ps = procs.get(dc.id, [])
        active = [p for p in ps if not p.excluded]
        if len(active) == len(ps):
            assert paid == dc.paid, (
                f"deposit claim {dc.id} (CLP04 {dc.paid}) posted {paid} of insurance payment")
        elif dc.id not in claim_cas:
            expected = sum((p.paid for p in active), ZERO)
            assert paid == expected, (dc.id, paid, expected)
        if ps and dc.id not in claim_cas:
            by_line = {line: v for (kind, line), v in mine.items() if kind == "insurance_payment"}
            want = {p.claim_line_id: p.paid for p in active if p.paid}
            assert by_line == want, (
                f"deposit claim {dc.id}: payments by line {by_line}, SVC03 by line {want}")


def _check_adjustments_once(rows: list[Any], dcs: dict[int, Any], procs: dict[int, list[Any]],
                            adjs: list[Any], lines_of: dict[int, list[int]]) -> None:
    """On each line, the net write-offs (and patient transfers) per reason never exceed what one
    adjudication of the claim carries for that line and reason."""
    proc_line = {p.id: (p.claim_line_id, p.excluded) for ps in procs.values() for p in ps}
    per_dc: dict[int, dict[tuple[int, str], Decimal]] = defaultdict(
        lambda: defaultdict(lambda: ZERO))
    for a in adjs:
        dc = dcs.get(a.deposit_claim_id) if a.deposit_claim_id else None
        if dc is None or dc.remit_status == "22" or dc.claim_id is None:
            continue
        reason = f"{a.group_code}-{a.reason}"
        if a.deposit_procedure_id is not None:
            line, excluded = proc_line[a.deposit_procedure_id]
            if line is not None and not excluded:
                per_dc[dc.id][(line, reason)] += a.amount
        elif a.allocations:
            for k, v in a.allocations.items():
                per_dc[dc.id][(int(k), reason)] += Decimal(v)
        else:
            for line in lines_of[dc.claim_id]:
                per_dc[dc.id][(line, reason)] += a.amount
    cap: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for amounts in per_dc.values():
        for k, v in amounts.items():
            cap[k] = max(cap[k], v)
    posted: dict[tuple[str, int, str], Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        if (r.source_type in ("deposit_claim", "deposit_claim_reset")
                and r.kind in ("insurance_adjustment", "transfer_to_patient")
                and r.reason not in NOT_TRANSFERS):
            posted[(r.kind, r.claim_line_id, r.reason)] += r.amount
    for (kind, line, reason), amount in posted.items():
        assert amount <= cap[(line, reason)], (
            f"line {line}: {kind} {reason} posted {amount} in all, but one adjudication "
            f"carries {cap[(line, reason)]}")


def test_posting_invariant(migrated_sqlite_template: Path) -> None:
    PostingMachine.template = migrated_sqlite_template
    # more and longer runs than the receipts machine: a leak needs post, duplicate, resolve
    run_state_machine_as_test(PostingMachine, settings=settings(
        MACHINE_SETTINGS, max_examples=50, stateful_step_count=15))
