"""Issue 16: the side paths of posting, each with the case that found it."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gateway.core.errors import UserError
from gateway.core.x12.errors import X12Error
from gateway.ledger.models import LedgerEntry
from gateway.posting.deposit_status import set_deposit_status
from gateway.posting.engine import post_deposit
from gateway.posting.models import Deposit, DepositClaim
from gateway.posting.queue import list_errors, resolve_error
from gateway.posting.reset import remove_deposit, reset_deposit
from gateway.posting.schemas import ResolveIn
from gateway.posting.search import show_deposit
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835


async def _import(session, pid, tmp_path, pays, name="era.835"):
    return (await h.import_text(session, pid, build_835(pays), tmp_path, name)).deposits


async def _resolve(session, pid, error_id, **kw):
    return await resolve_error(session, pid, error_id, ResolveIn(**kw), actor="user:7")


async def _payments(session, claim_id) -> D:
    total = await session.scalar(select(func.sum(LedgerEntry.amount)).where(
        LedgerEntry.claim_id == claim_id, LedgerEntry.kind == "insurance_payment"))
    return total or D("0.00")


# -- claim-level and line-level adjustments together ------------------------------------------

# CLP03 200 - (claim CAS PR-1 20 + line CAS 20 + 10) = CLP04 150; the lines pay 130 + 40 = 170,
# of which the claim-level deductible takes 20.
BOTH_LEVELS = Clp("PCN1", "1", "200.00", "150.00", [
    Svc("92014", "150.00", "130.00", [("CO", "45", "20.00")]),
    Svc("92015", "50.00", "40.00", [("CO", "45", "10.00")]),
], cas=[("PR", "1", "20.00")], pr="20.00")


async def test_claim_and_line_adjustments_balance_and_post_the_payer_payment(
        session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "PCN1", [("92014", "150.00", []), ("92015", "50.00", [])],
                        payer_id=p["acme"])
    (d,) = await _import(session, pid, tmp_path, [Pay("T1", "150.00", [BOTH_LEVELS])])
    await post_deposit(session, pid, d.id)
    errors = await list_errors(session, pid)
    # no spurious Carrier Payment Mismatch: only the split of the claim-level deductible
    assert [e.type for e in errors] == ["Claim-Level Adjustment Found"]
    out = await _resolve(session, pid, errors[0].id, action="allocate")  # the proposal
    assert out.posted_status == "Disbursed"
    b = await h.balances(session, cid)
    # 150.00 of insurance payment for a 150.00 payment, and the patient owes the deductible
    assert await _payments(session, cid) == D("150.00")
    assert (b.insurance_paid, b.adjustments, b.patient_balance, b.insurance_balance) == (
        D("150.00"), D("30.00"), D("20.00"), D("0.00"))


async def test_ignored_mismatch_then_allocation_never_posts_more_than_the_payment(
        session, practice, tmp_path):
    """Lines that do not pay the claim (170 - 0 claim CAS != 150): ignoring the mismatch
    cannot make the engine post 170.00 for a 150.00 payment: the guard refuses it."""
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "PCN1", [("92014", "150.00", []), ("92015", "50.00", [])],
                        payer_id=p["acme"])
    bad = Clp("PCN1", "1", "200.00", "150.00", [
        Svc("92014", "150.00", "130.00", [("CO", "45", "20.00")]),
        Svc("92015", "50.00", "40.00", [("CO", "45", "10.00")])])
    (d,) = await _import(session, pid, tmp_path, [Pay("T1", "150.00", [bad])])
    await post_deposit(session, pid, d.id)
    (e,) = await list_errors(session, pid)
    assert e.type == "Carrier Payment Mismatch"
    await _resolve(session, pid, e.id, action="ignore")
    (g,) = await list_errors(session, pid)
    assert (g.level, g.type, g.actions) == ("claim", "Posting Does Not Match Payment",
                                            ["exclude"])
    assert g.detail == {"posted": "170.00", "paid": "150.00"}
    assert await _payments(session, cid) == D("0.00")  # nothing of it reached the ledger
    out = await _resolve(session, pid, g.id, action="exclude")
    assert out.posted_status == "Disbursed"
    assert (await h.balances(session, cid)).balance == D("200.00")


async def test_one_line_claim_with_both_levels_posts_at_once(session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "PCN1", [("92014", "150.00", [])], payer_id=p["acme"])
    clp = Clp("PCN1", "1", "150.00", "100.00", [
        Svc("92014", "150.00", "120.00", [("CO", "45", "30.00")])], cas=[("PR", "1", "20.00")])
    (d,) = await _import(session, pid, tmp_path, [Pay("T1", "100.00", [clp])])
    r = await post_deposit(session, pid, d.id)
    assert (r.posted_claims, r.error_claims) == (1, 0)
    b = await h.balances(session, cid)
    assert (b.insurance_paid, b.adjustments, b.patient_balance) == (D("100.00"), D("30.00"),
                                                                    D("20.00"))


# -- ignore on Payment Exceeds Open Balance ---------------------------------------------------


async def test_ignored_overpayment_posts_the_payment_once_and_no_write_off_again(
        session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "PCN1", [("92014", "150.00", [])], payer_id=p["acme"])
    paid = Clp("PCN1", "1", "150.00", "80.00", [
        Svc("92014", "150.00", "80.00", [("CO", "45", "50.00"), ("PR", "1", "20.00")])],
        pr="20.00")
    (d1,) = await _import(session, pid, tmp_path, [Pay("T1", "80.00", [paid])])
    await post_deposit(session, pid, d1.id)
    # another adjudication (another payer claim number) paying the same again; the very same
    # adjudication re-sent is a Duplicate Claim Payment (tests/posting/test_repeats.py)
    again = Clp("PCN1", "1", "150.00", "80.00", paid.lines, pr="20.00", icn="ICN2")
    (d2,) = await _import(session, pid, tmp_path, [Pay("T2", "80.00", [again])], "dup.835")
    await post_deposit(session, pid, d2.id)
    (e,) = await list_errors(session, pid)
    assert e.type == "Payment Exceeds Open Balance"
    await _resolve(session, pid, e.id, action="ignore")
    b = await h.balances(session, cid)
    # the duplicate 80.00 is a credit with the payer; the write-off and the deductible stand
    assert (b.insurance_paid, b.adjustments, b.patient_balance, b.insurance_balance) == (
        D("160.00"), D("50.00"), D("20.00"), D("-80.00"))


# -- denials stay with the payer --------------------------------------------------------------


async def test_partly_denied_claim_stays_with_the_payer_that_denied_it(
        session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "PCN1", [("92014", "150.00", []), ("92250", "60.00", [])],
                        payer_id=p["acme"])
    clp = Clp("PCN1", "1", "210.00", "100.00", [
        Svc("92014", "150.00", "100.00", [("CO", "45", "50.00")]),
        Svc("92250", "60.00", "0.00", [("CO", "50", "60.00")])])  # not medically necessary
    (d,) = await _import(session, pid, tmp_path, [Pay("T1", "100.00", [clp])])
    await post_deposit(session, pid, d.id)
    c = await h.claim_row(session, cid)
    assert (c.status, c.level, c.payer_id, c.payer_rank) == ("Denied", "Primary", p["acme"], 1)
    assert (await h.balances(session, cid)).patient_balance == D("0.00")


async def test_whole_claim_denial_stays_with_the_payer(session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "PCN1", [("92014", "150.00", [])], payer_id=p["acme"])
    clp = Clp("PCN1", "4", "150.00", "0.00", [
        Svc("92014", "150.00", "0.00", [("CO", "50", "150.00")])])
    (d,) = await _import(session, pid, tmp_path, [Pay("T1", "0.00", [clp])])
    await post_deposit(session, pid, d.id)
    c = await h.claim_row(session, cid)
    assert (c.status, c.level, c.payer_id) == ("Denied", "Primary", p["acme"])


# -- the deposit's Adjustments ($) ------------------------------------------------------------


async def test_deposit_adjustments_are_the_balance_adjustments_and_plb_is_shown_apart(
        session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    await h.claim(session, pid, "PCN1", [("92014", "150.00", [])], payer_id=p["acme"])
    clp = Clp("PCN1", "1", "150.00", "80.00", [
        Svc("92014", "150.00", "80.00", [("CO", "45", "50.00"), ("PR", "1", "20.00")])],
        pr="20.00")
    (d,) = await _import(session, pid, tmp_path, [Pay("T1", "75.00", [clp],
                                                      plb=[("L6", "", "5.00")])])
    await post_deposit(session, pid, d.id)
    dep = (await show_deposit(session, pid, d.id)).deposit
    assert (dep.adjustments, dep.plb_adjustments, dep.difference) == (D("50.00"), D("5.00"),
                                                                      D("0.00"))


# -- ignoring and removing deposits -----------------------------------------------------------


async def test_an_ignored_deposit_leaves_the_error_queue_and_comes_back(
        session, practice, tmp_path):
    pid = practice.practice_id
    await h.payers(session, pid)
    (d,) = await _import(session, pid, tmp_path, [Pay("T1", "100.00", [
        Clp("NOPE", "1", "150.00", "100.00", [])], payer="NOBODY", payer_id="X9")])
    assert [e.type for e in await list_errors(session, pid)] == ["Payer Mismatch"]
    await set_deposit_status(session, pid, d.id, "Ignore", actor="user:7")
    assert await list_errors(session, pid) == []
    await set_deposit_status(session, pid, d.id, "New", actor="user:7")
    assert [e.type for e in await list_errors(session, pid)] == ["Payer Mismatch"]


async def test_after_a_reset_a_deposit_can_be_ignored_and_removed(session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "PCN1", [("92014", "150.00", [])], payer_id=p["acme"])
    (d,) = await _import(session, pid, tmp_path, [Pay("T1", "100.00", [Clp(
        "PCN1", "1", "150.00", "100.00", [Svc("92014", "150.00", "100.00",
                                              [("CO", "45", "50.00")])])])])
    await post_deposit(session, pid, d.id)
    with pytest.raises(UserError, match="reset it first"):
        await set_deposit_status(session, pid, d.id, "Ignore", actor="user:7")
    with pytest.raises(UserError, match="reset it first"):
        await remove_deposit(session, pid, d.id, actor="user:7")
    await reset_deposit(session, pid, d.id, actor="user:7")
    dep = await set_deposit_status(session, pid, d.id, "Ignore", actor="user:7")
    assert dep.status == "Ignore"
    await remove_deposit(session, pid, d.id, actor="user:7")
    assert await session.get(Deposit, d.id) is None
    assert (await h.balances(session, cid)).balance == D("150.00")
    # no ledger row is left pointing at a deposit claim that no longer exists
    left = (await session.scalars(select(LedgerEntry.source_id).where(
        LedgerEntry.source_type.like("deposit_claim%")))).all()
    assert left == [] and await session.scalar(select(func.count(DepositClaim.id))) == 0


# -- money from odd text ----------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "why"), [
    ("\u0661\u0662.\u0660\u0660", "not a"), ("92233720368547758.08", "too large"),
    ("12.345", "more than two decimals"), ("Infinity", "NaN or Infinity"),
])
async def test_an_era_with_odd_money_is_refused_located_and_writes_nothing(
        session, practice, tmp_path, amount, why):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "PCN1", [("92014", "150.00", [])], payer_id=p["acme"])
    era = build_835([Pay("T1", "12.00", [Clp("PCN1", "1", "150.00", amount, [])])])
    with pytest.raises(X12Error) as info:
        await h.import_text(session, pid, era, tmp_path)
    assert "(CLP), element CLP04" in str(info.value) and why in str(info.value)
    assert await session.scalar(select(func.count(Deposit.id))) == 0
    assert await _payments(session, cid) == D("0.00")
