"""Issue 16 follow-up: the same adjudication re-sent under a new trace number is a Duplicate
Claim Payment, whatever shape it has (a $0 line, no service lines, a payment within what the
patient owes), and never writes its adjustments off twice."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import func, select

from gateway.ledger.models import LedgerEntry
from gateway.posting.engine import post_deposit
from gateway.posting.models import ClaimPaymentFingerprint, DepositClaim
from gateway.posting.queue import list_errors, resolve_error
from gateway.posting.reset import reset_deposit
from gateway.posting.schemas import ResolveIn
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835

# a $0 line written off in full (no Payment Exceeds Open Balance can see its repeat)
ZERO_LINE = Clp("PCN1", "1", "100.00", "0.00", [
    Svc("92014", "100.00", "0.00", [("CO", "45", "100.00")])], icn="ICN1")
# no service lines: the payment and the claim-level CAS split on the claim's one line
NO_LINES = Clp("PCN1", "1", "100.00", "60.00", [], cas=[("CO", "45", "30.00"),
                                                     ("PR", "1", "10.00")], pr="10.00",
               icn="ICN1")
# the payment (5.00) is within what the patient still owes after the first posting (140.00)
WITHIN_PATIENT = Clp("PCN1", "1", "150.00", "5.00", [
    Svc("92014", "150.00", "5.00", [("CO", "45", "5.00"), ("PR", "1", "140.00")])],
    pr="140.00", icn="ICN1")


async def _setup(session, pid, charge):
    p = await h.payers(session, pid)
    return await h.claim(session, pid, "PCN1", [("92014", charge, [])], payer_id=p["acme"])


async def _post_file(session, pid, tmp_path, clp, trace):
    text = build_835([Pay(trace, clp.paid, [clp])], control=int(trace[1:]))
    (d,) = (await h.import_text(session, pid, text, tmp_path, f"{trace}.835")).deposits
    return await post_deposit(session, pid, d.id), d.id


async def _rows(session, cid):
    return list((await session.execute(
        select(LedgerEntry.kind, LedgerEntry.reason, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.claim_id == cid, LedgerEntry.kind != "charge")
        .group_by(LedgerEntry.kind, LedgerEntry.reason)
        .order_by(LedgerEntry.kind, LedgerEntry.reason))).all())


async def _resent_is_refused(session, pid, tmp_path, clp, charge):
    cid = await _setup(session, pid, charge)
    first, _ = await _post_file(session, pid, tmp_path, clp, "T1")
    assert (first.posted_claims, first.error_claims) == (1, 0)
    once = await _rows(session, cid)
    again, dep2 = await _post_file(session, pid, tmp_path, clp, "T2")
    assert (again.posted_claims, again.error_claims) == (0, 1)
    (e,) = await list_errors(session, pid)
    assert (e.deposit_id, e.level, e.type, e.actions) == (
        dep2, "claim", "Duplicate Claim Payment", ["ignore", "exclude"])
    assert await _rows(session, cid) == once  # nothing of the repeat reached the ledger
    return cid, e


async def test_a_zero_line_resent_under_a_new_trace_is_not_written_off_again(
        session, practice, tmp_path):
    await _resent_is_refused(session, practice.practice_id, tmp_path, ZERO_LINE, "100.00")


async def test_a_claim_without_lines_resent_under_a_new_trace_is_not_posted_again(
        session, practice, tmp_path):
    await _resent_is_refused(session, practice.practice_id, tmp_path, NO_LINES, "100.00")


async def test_a_payment_within_the_patient_balance_resent_is_not_posted_again(
        session, practice, tmp_path):
    pid = practice.practice_id
    cid, e = await _resent_is_refused(session, pid, tmp_path, WITHIN_PATIENT, "150.00")
    # ignored: the second check's 5.00 posts as a credit with the payer; CO-45 stays 5.00 and
    # the patient still owes 140.00 (once)
    await resolve_error(session, pid, e.id, ResolveIn(action="ignore"), actor="user:7")
    (holder,) = await _fingerprint_holders(session)
    assert holder != e.deposit_id  # the original holds the adjudication; the credit does not
    b = await h.balances(session, cid)
    assert (b.insurance_paid, b.adjustments, b.patient_balance, b.insurance_balance) == (
        D("10.00"), D("5.00"), D("140.00"), D("-5.00"))


async def test_excluding_the_repeat_posts_nothing_and_disburses_the_deposit(
        session, practice, tmp_path):
    pid = practice.practice_id
    cid, e = await _resent_is_refused(session, pid, tmp_path, ZERO_LINE, "100.00")
    out = await resolve_error(session, pid, e.id, ResolveIn(action="exclude"), actor="user:7")
    assert out.posted_status == "Disbursed"
    assert (await h.balances(session, cid)).balance == D("0.00")


async def test_a_reset_original_lets_the_same_adjudication_post_from_the_new_deposit(
        session, practice, tmp_path):
    pid = practice.practice_id
    cid = await _setup(session, pid, "100.00")
    _, dep1 = await _post_file(session, pid, tmp_path, ZERO_LINE, "T1")
    assert await _fingerprint_holders(session) == [dep1]
    await reset_deposit(session, pid, dep1, actor="user:7")
    assert await _fingerprint_holders(session) == []  # the reset undid that adjudication
    again, dep2 = await _post_file(session, pid, tmp_path, ZERO_LINE, "T2")
    assert (again.posted_claims, again.error_claims) == (1, 0)
    assert await _rows(session, cid) == [("insurance_adjustment", "CO-45", D("100.00"))]
    assert await _fingerprint_holders(session) == [dep2]


async def _fingerprint_holders(session):
    """The deposits whose claims hold a claim payment fingerprint (the unique key that decides
    a repeat between processes: tests/posting/test_fingerprint_race.py)."""
    return list((await session.scalars(
        select(DepositClaim.deposit_id).join(
            ClaimPaymentFingerprint, ClaimPaymentFingerprint.deposit_claim_id == DepositClaim.id)
        .order_by(DepositClaim.deposit_id))).all())


async def test_the_same_adjudication_twice_in_one_deposit_posts_once(session, practice, tmp_path):
    pid = practice.practice_id
    cid = await _setup(session, pid, "100.00")
    text = build_835([Pay("T1", "0.00", [ZERO_LINE, ZERO_LINE])])
    (d,) = (await h.import_text(session, pid, text, tmp_path)).deposits
    r = await post_deposit(session, pid, d.id)
    assert (r.posted_claims, r.error_claims) == (1, 1)
    assert await _rows(session, cid) == [("insurance_adjustment", "CO-45", D("100.00"))]


PAID = Clp("PCN1", "1", "150.00", "100.00", [
    Svc("92014", "150.00", "100.00", [("CO", "45", "50.00")])], icn="ICN1")
TAKE_BACK = Clp("PCN1", "22", "-150.00", "-100.00", [
    Svc("92014", "-150.00", "-100.00", [("CO", "45", "-50.00")])], icn="ICN1")


async def test_a_reversed_posting_gives_its_adjudication_to_the_next_posting(
        session, practice, tmp_path):
    """The take-back ends the first posting, so the same adjudication sent again after it
    posts, and takes over the first one's fingerprint (not a false Duplicate Claim Payment)."""
    pid = practice.practice_id
    cid = await _setup(session, pid, "150.00")
    _, dep1 = await _post_file(session, pid, tmp_path, PAID, "T1")
    text = build_835([Pay("T2", "0.00", [TAKE_BACK, PAID])], control=2)
    (d2,) = (await h.import_text(session, pid, text, tmp_path, "T2.835")).deposits
    r = await post_deposit(session, pid, d2.id)
    assert (r.posted_claims, r.error_claims) == (2, 0)
    assert await _fingerprint_holders(session) == [d2.id]
    assert await _rows(session, cid) == [("insurance_adjustment", "CO-45", D("50.00")),
                                         ("insurance_payment", None, D("100.00"))]
    assert dep1 != d2.id
