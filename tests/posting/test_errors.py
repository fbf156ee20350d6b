"""Every posting error type: a test that produces it and one that resolves it."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.db.models import AuditLog
from gateway.ledger.models import ClaimLine
from gateway.posting.engine import post_deposit
from gateway.posting.models import Deposit, DepositClaim, PostingError
from gateway.posting.queue import list_errors, resolve_error
from gateway.posting.schemas import ResolveIn
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835

PAID = [Svc("92014", "150.00", "100.00", [("CO", "45", "50.00")])]


async def _setup(session: AsyncSession, practice) -> dict[str, int]:
    p = await h.payers(session, practice.practice_id)
    await h.claim(session, practice.practice_id, "PCN1", [("92014", "150.00", [])],
                  payer_id=p["acme"])
    return p


async def _import(session, practice, tmp_path, pays, name="era.835"):
    res = await h.import_text(session, practice.practice_id, build_835(pays), tmp_path, name)
    return res.deposits


async def _errors(session, practice, **kw):
    return await list_errors(session, practice.practice_id, **kw)


async def _resolve(session, practice, error_id, **kw):
    return await resolve_error(session, practice.practice_id, error_id, ResolveIn(**kw),
                               actor="user:7")


async def _audited(session, error_id) -> AuditLog:
    row = await session.scalar(select(AuditLog).where(
        AuditLog.object_type == "posting_error", AuditLog.object_id == error_id))
    assert row is not None
    return row


# -- deposit level ----------------------------------------------------------------------------


async def test_debit_era_is_ignored_and_resolved(session, practice, tmp_path):
    await _setup(session, practice)
    (d,) = await _import(session, practice, tmp_path,
                         [Pay("T1", "100.00", [Clp("PCN1", "1", "150.00", "100.00", PAID)],
                              credit="D")])
    assert d.status == "Ignore" and d.errors == ["Debit ERA", "Deposit Does Not Balance"]
    with pytest.raises(UserError, match="ignored"):
        await post_deposit(session, practice.practice_id, d.id)
    (e, _) = await _errors(session, practice, level="deposit")
    assert e.type == "Debit ERA" and e.actions == ["ignore"]
    out = await _resolve(session, practice, e.id, action="ignore")
    assert out.error.resolved_by == "user:7" and out.error.resolution == "ignore"
    assert (await _audited(session, e.id)).action == "posting_error.ignore"
    assert (await session.get(Deposit, d.id)).status == "Ignore"


@pytest.mark.parametrize("code", ["D", "P", "X"])
async def test_invalid_handling_code_ignores_the_deposit(session, practice, tmp_path, code):
    await _setup(session, practice)
    (d,) = await _import(session, practice, tmp_path, [
        Pay("T1", "100.00", [Clp("PCN1", "1", "150.00", "100.00", PAID)], handling=code)])
    assert d.status == "Ignore" and d.errors == ["Invalid Handling Code"]
    (e,) = await _errors(session, practice)
    await _resolve(session, practice, e.id, action="ignore")
    assert await _errors(session, practice) == []


async def test_notification_only_posts_adjustments_without_cash(session, practice, tmp_path):
    p = await h.payers(session, practice.practice_id)
    cid = await h.claim(session, practice.practice_id, "PCN1", [("92014", "150.00", [])],
                        payer_id=p["acme"])
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "0", [
        Clp("PCN1", "1", "150.00", "0", [Svc("92014", "150.00", "0", [("CO", "45", "40.00"),
                                                                      ("PR", "1", "110.00")])])],
        handling="H", method="NON")])
    assert d.errors == []
    r = await post_deposit(session, practice.practice_id, d.id)
    assert r.posted_status == "Disbursed"
    b = await h.balances(session, cid)
    assert (b.insurance_paid, b.adjustments, b.patient_balance) == (D("0.00"), D("40.00"),
                                                                    D("110.00"))


async def test_payer_mismatch_blocks_until_a_payer_is_linked(session, practice, tmp_path):
    p = await _setup(session, practice)
    (d,) = await _import(session, practice, tmp_path, [
        Pay("T1", "100.00", [Clp("PCN1", "1", "150.00", "100.00", PAID)],
            payer="UNKNOWN PLAN", payer_id="ZZZ9")])
    assert d.errors == ["Payer Mismatch"]
    with pytest.raises(UserError, match="Payer Mismatch"):
        await post_deposit(session, practice.practice_id, d.id)
    (e,) = await _errors(session, practice)
    with pytest.raises(UserError, match="no payer"):
        await _resolve(session, practice, e.id, action="link_payer", payer_id=999)
    await _resolve(session, practice, e.id, action="link_payer", payer_id=p["acme"])
    assert (await session.get(Deposit, d.id)).payer_id == p["acme"]
    r = await post_deposit(session, practice.practice_id, d.id)
    assert r.posted_status == "Disbursed"


async def test_missing_trace_number_resolved_by_setting_it(session, practice, tmp_path):
    await _setup(session, practice)
    (d,) = await _import(session, practice, tmp_path, [
        Pay("", "100.00", [Clp("PCN1", "1", "150.00", "100.00", PAID)])])
    assert d.errors == ["Missing Check/Trace Number"]
    (e,) = await _errors(session, practice)
    await _resolve(session, practice, e.id, action="set_trace", check_trace_id="CHK555")
    assert (await session.get(Deposit, d.id)).check_trace_id == "CHK555"
    assert (await post_deposit(session, practice.practice_id, d.id)).posted_status == "Disbursed"


async def test_duplicate_deposit_is_blocked_then_acknowledged(session, practice, tmp_path):
    await _setup(session, practice)
    pay = Pay("T1", "100.00", [Clp("PCN1", "1", "150.00", "100.00", PAID)])
    (first,) = await _import(session, practice, tmp_path, [pay])
    # the same payment in a different file (another interchange control number)
    res = await h.import_text(session, practice.practice_id, build_835([pay], control=2),
                              tmp_path, "again.835")
    (dup,) = res.deposits
    assert dup.status == "Ignore" and dup.duplicate_of_id == first.id
    assert dup.errors == ["Duplicate Deposit"]
    with pytest.raises(UserError):
        await post_deposit(session, practice.practice_id, dup.id)
    (e,) = await _errors(session, practice)
    await _resolve(session, practice, e.id, action="ignore")
    # the same file content again writes nothing at all
    again = await h.import_text(session, practice.practice_id, build_835([pay]), tmp_path,
                                "era.835")
    assert again.duplicate_file and again.deposits == []
    assert len((await session.scalars(select(Deposit))).all()) == 2


async def test_deposit_does_not_balance_and_plb_is_not_an_imbalance(session, practice, tmp_path):
    await _setup(session, practice)
    (ok,) = await _import(session, practice, tmp_path, [
        Pay("T1", "90.00", [Clp("PCN1", "1", "150.00", "100.00", PAID)],
            plb=[("WO", "OLD1", "10.00")])])
    assert ok.errors == []
    (bad,) = await _import(session, practice, tmp_path, [
        Pay("T2", "95.00", [Clp("PCN1", "1", "150.00", "100.00", PAID)])], "b.835")
    assert bad.errors == ["Deposit Does Not Balance"]
    (e,) = await _errors(session, practice)
    assert e.detail == {"difference": "-5.00"}
    await _resolve(session, practice, e.id, action="ignore")
    assert await _errors(session, practice) == []


# -- claim level ------------------------------------------------------------------------------


async def test_claim_not_found_with_candidates_then_linked(session, practice, tmp_path):
    p = await h.payers(session, practice.practice_id)
    c1 = await h.claim(session, practice.practice_id, "A-1", [("92014", "150.00", [])],
                       payer_id=p["acme"])
    c2 = await h.claim(session, practice.practice_id, "A-2", [("92014", "150.00", [])],
                       payer_id=p["acme"])
    clean = await h.claim(session, practice.practice_id, "A-3", [("92015", "40.00", [])],
                          payer_id=p["acme"])
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "130.00", [
        Clp("WRONG", "1", "150.00", "100.00", PAID, dos="20260105"),
        Clp("A-3", "1", "40.00", "30.00", [Svc("92015", "40.00", "30.00",
                                               [("CO", "45", "10.00")])]),
    ])])
    r = await post_deposit(session, practice.practice_id, d.id)
    assert (r.posted_claims, r.error_claims, r.posted_status) == (1, 1, "Not Disbursed")
    assert (await h.balances(session, clean)).balance == D("0.00")  # partial posting
    (e,) = await _errors(session, practice, level="claim")
    assert e.type == "Claim Not Found" and e.detail["candidates"] == [c1, c2]
    with pytest.raises(UserError, match="no claim"):
        await _resolve(session, practice, e.id, action="link_claim", claim_id=10_000)
    out = await _resolve(session, practice, e.id, action="link_claim", claim_id=c2)
    assert out.reposted and out.posted_status == "Disbursed"
    assert (await h.balances(session, c2)).balance == D("0.00")
    assert (await h.balances(session, c1)).balance == D("150.00")


async def test_claim_matched_by_patient_dos_and_total(session, practice, tmp_path):
    p = await h.payers(session, practice.practice_id)
    cid = await h.claim(session, practice.practice_id, "OURS-1", [("92014", "150.00", [])],
                        payer_id=p["acme"], last="ROE", first="RICK")
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "100.00", [
        Clp("THEIRS", "1", "150.00", "100.00", PAID, patient=("ROE", "RICK", "X1"),
            icn="ICN77")])])
    r = await post_deposit(session, practice.practice_id, d.id)
    assert r.posted_claims == 1
    dc = await session.scalar(select(DepositClaim).where(DepositClaim.deposit_id == d.id))
    assert (dc.claim_id, dc.match_method) == (cid, "patient_dos_total")
    # a later ERA with an unknown CLP01 but the payer claim number seen before
    (d2,) = await _import(session, practice, tmp_path, [Pay("T2", "-100.00", [
        Clp("OTHER", "22", "-150.00", "-100.00",
            [Svc("92014", "-150.00", "-100.00", [("CO", "45", "-50.00")])],
            patient=("X", "Y", "Z"), icn="ICN77")], credit="C")], "rev.835")
    r2 = await post_deposit(session, practice.practice_id, d2.id)
    assert r2.posted_claims == 1
    assert (await h.balances(session, cid)).balance == D("150.00")


async def test_carrier_payment_mismatch_then_accepted_or_excluded(session, practice, tmp_path):
    p = await _setup(session, practice)
    other = await h.claim(session, practice.practice_id, "PCN2", [("92014", "150.00", [])],
                          payer_id=p["acme"])
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "200.00", [
        Clp("PCN1", "1", "150.00", "100.00", [Svc("92014", "150.00", "100.00",
                                                   [("CO", "45", "40.00")])]),
        Clp("PCN2", "1", "150.00", "100.00", [Svc("92014", "150.00", "100.00",
                                                   [("CO", "45", "40.00")])]),
    ])])
    r = await post_deposit(session, practice.practice_id, d.id)
    assert r.error_claims == 2
    e1, e2 = await _errors(session, practice)
    assert e1.type == e2.type == "Carrier Payment Mismatch"
    assert "adjustments total 40.00" in e1.message
    await _resolve(session, practice, e1.id, action="ignore")
    out = await _resolve(session, practice, e2.id, action="exclude")
    assert out.posted_status == "Disbursed"
    assert (await h.balances(session, other)).balance == D("150.00")
    detail = (await session.scalars(select(DepositClaim).where(
        DepositClaim.deposit_id == d.id).order_by(DepositClaim.sequence))).all()
    assert [dc.state for dc in detail] == ["posted", "excluded"]


async def test_claim_level_adjustment_preallocated_then_allocated(session, practice, tmp_path):
    p = await h.payers(session, practice.practice_id)
    cid = await h.claim(session, practice.practice_id, "PCN1",
                        [("92014", "150.00", []), ("92015", "50.00", [])], payer_id=p["acme"])
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "120.00", [
        Clp("PCN1", "1", "200.00", "120.00", [
            Svc("92014", "150.00", "90.00", []), Svc("92015", "50.00", "30.00", [])],
            cas=[("CO", "45", "80.00")])])])
    await post_deposit(session, practice.practice_id, d.id)
    (e,) = await _errors(session, practice, level="claim")
    assert e.type == "Claim-Level Adjustment Found"
    lines = (await session.scalars(select(ClaimLine.id).where(ClaimLine.claim_id == cid)
                                   .order_by(ClaimLine.line_number))).all()
    assert e.detail["proposed"] == {str(lines[0]): "60.00", str(lines[1]): "20.00"}
    with pytest.raises(UserError, match="allocate it fully"):
        await _resolve(session, practice, e.id, action="allocate",
                       allocations={str(lines[0]): D("60.00")})
    out = await _resolve(session, practice, e.id, action="allocate",
                         allocations={str(lines[0]): D("60.00"), str(lines[1]): D("20.00")})
    assert out.posted_status == "Disbursed"
    assert [b.balance for b in await h.line_bals(session, cid)] == [D("0.00"), D("0.00")]


async def test_claim_without_lines_on_one_line_claim_posts(session, practice, tmp_path):
    p = await _setup(session, practice)
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "100.00", [
        Clp("PCN1", "1", "150.00", "100.00", [], cas=[("CO", "45", "50.00")])])])
    r = await post_deposit(session, practice.practice_id, d.id)
    assert r.posted_status == "Disbursed"
    assert p


# -- procedure level --------------------------------------------------------------------------


async def test_procedure_code_conflict_then_linked(session, practice, tmp_path):
    p = await h.payers(session, practice.practice_id)
    cid = await h.claim(session, practice.practice_id, "PCN1",
                        [("92014", "150.00", []), ("92250", "60.00", [])], payer_id=p["acme"])
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "140.00", [
        Clp("PCN1", "1", "210.00", "140.00", [
            Svc("92014", "150.00", "100.00", [("CO", "45", "50.00")]),
            Svc("92228", "60.00", "40.00", [("CO", "45", "20.00")])])])])
    await post_deposit(session, practice.practice_id, d.id)
    assert (await h.balances(session, cid)).balance == D("210.00")  # no half-posted claim
    (e,) = await _errors(session, practice)
    assert e.type == "Procedure Code Conflict" and e.level == "procedure"
    line2 = e.detail["candidates"][0]["id"]
    line1 = (await session.scalars(select(ClaimLine.id).where(
        ClaimLine.claim_id == cid, ClaimLine.line_number == 1))).one()
    with pytest.raises(UserError, match="already paid"):
        await _resolve(session, practice, e.id, action="link_procedure", claim_line_id=line1)
    out = await _resolve(session, practice, e.id, action="link_procedure", claim_line_id=line2)
    assert out.posted_status == "Disbursed"
    assert (await h.balances(session, cid)).balance == D("0.00")


async def test_modifiers_then_code_alone_and_restated_code(session, practice, tmp_path):
    p = await h.payers(session, practice.practice_id)
    cid = await h.claim(session, practice.practice_id, "PCN1", [
        ("92014", "150.00", ["25"]), ("92014", "150.00", []), ("92250", "60.00", ["RT"])],
        payer_id=p["acme"])
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "260.00", [
        Clp("PCN1", "1", "360.00", "260.00", [
            Svc("92014", "150.00", "100.00", [("CO", "45", "50.00")]),  # no modifier: line 2
            Svc("92014", "150.00", "110.00", [("CO", "45", "40.00")], mods=["25"]),  # line 1
            # payer restated 92250-RT as 92251 and dropped the modifier
            Svc("92251", "60.00", "50.00", [("CO", "45", "10.00")], orig="HC:92250:RT"),
        ])])])
    r = await post_deposit(session, practice.practice_id, d.id)
    assert r.posted_status == "Disbursed"
    paid = [b.insurance_paid for b in await h.line_bals(session, cid)]
    assert paid == [D("110.00"), D("100.00"), D("50.00")]


async def test_missing_payment_type_then_chosen_and_saved_as_rule(session, practice, tmp_path):
    p = await _setup(session, practice)
    await h.claim(session, practice.practice_id, "PCN2", [("92014", "150.00", [])],
                  payer_id=p["acme"])
    pay = Pay("T1", "100.00", [
        Clp("PCN1", "1", "150.00", "100.00", [Svc("92014", "150.00", "100.00",
                                                   [("CO", "B10", "50.00")])])])
    (d,) = await _import(session, practice, tmp_path, [pay])
    await post_deposit(session, practice.practice_id, d.id)
    (e,) = await _errors(session, practice)
    assert (e.type, e.level, e.detail["reason"]) == ("Missing Payment Type", "procedure", "B10")
    with pytest.raises(UserError, match="payment type must be"):
        await _resolve(session, practice, e.id, action="payment_type", payment_type="bogus")
    await _resolve(session, practice, e.id, action="payment_type", payment_type="write_off",
                   save_rule=True)
    assert (await session.get(Deposit, d.id)).posted_status == "Disbursed"
    # the saved payer rule applies to the next ERA without an error
    (d2,) = await _import(session, practice, tmp_path, [Pay("T2", "100.00", [
        Clp("PCN2", "1", "150.00", "100.00", [Svc("92014", "150.00", "100.00",
                                                   [("CO", "B10", "50.00")])])])], "2.835")
    r = await post_deposit(session, practice.practice_id, d2.id)
    assert r.posted_status == "Disbursed"


async def test_payment_exceeds_open_balance_then_accepted_as_credit(session, practice, tmp_path):
    p = await _setup(session, practice)
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "100.00", [
        Clp("PCN1", "1", "150.00", "100.00", PAID)])])
    await post_deposit(session, practice.practice_id, d.id)
    # the same claim paid again on another check (another adjudication of it): double posting
    # is an error, not a credit. The very same adjudication again is a Duplicate Claim Payment
    # (tests/posting/test_repeats.py), ignored the same way.
    (d2,) = await _import(session, practice, tmp_path, [Pay("T2", "100.00", [
        Clp("PCN1", "1", "150.00", "100.00", PAID, icn="ICN2")])], "2.835")
    r = await post_deposit(session, practice.practice_id, d2.id)
    assert r.error_claims == 1
    (e,) = await _errors(session, practice)
    assert e.type == "Payment Exceeds Open Balance"
    assert e.detail == {"paid": "100.00", "open_balance": "0.00"}
    out = await _resolve(session, practice, e.id, action="ignore")
    assert out.posted_status == "Disbursed with Credits"
    cid = (await session.get(DepositClaim, e.deposit_claim_id)).claim_id
    # the credit is the duplicate payment; the line's write-off is not posted a second time
    # (issue 16: it was, leaving -150.00)
    b = await h.balances(session, cid)
    assert (b.balance, b.insurance_paid, b.adjustments) == (D("-100.00"), D("200.00"),
                                                            D("50.00"))
    assert p


async def test_negative_line_payment_outside_reversal(session, practice, tmp_path):
    p = await _setup(session, practice)
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "-20.00", [
        Clp("PCN1", "1", "150.00", "-20.00", [Svc("92014", "150.00", "-20.00",
                                                   [("CO", "45", "170.00")])])])])
    await post_deposit(session, practice.practice_id, d.id)
    (e,) = await _errors(session, practice)
    assert e.type == "Negative Line Payment"
    await _resolve(session, practice, e.id, action="exclude")
    assert (await session.get(Deposit, d.id)).posted_status == "Disbursed"
    assert p


async def test_errors_are_not_duplicated_when_posting_again(session, practice, tmp_path):
    await _setup(session, practice)
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "100.00", [
        Clp("NOPE", "1", "150.00", "100.00", PAID, patient=("NOBODY", "X", "Q"))])])
    await post_deposit(session, practice.practice_id, d.id)
    await post_deposit(session, practice.practice_id, d.id)
    assert len(await _errors(session, practice)) == 1
    assert len((await session.scalars(select(PostingError))).all()) == 1


async def test_resolve_rejects_wrong_action_and_other_practice(session, practice,
                                                               other_practice, tmp_path):
    await _setup(session, practice)
    (d,) = await _import(session, practice, tmp_path, [Pay("T1", "100.00", [
        Clp("NOPE", "1", "150.00", "100.00", PAID, patient=("NOBODY", "X", "Q"))])])
    await post_deposit(session, practice.practice_id, d.id)
    (e,) = await _errors(session, practice)
    with pytest.raises(UserError, match="does not resolve"):
        await _resolve(session, practice, e.id, action="payment_type", payment_type="denial")
    with pytest.raises(UserError, match="no posting error"):
        await resolve_error(session, other_practice.practice_id, e.id,
                            ResolveIn(action="exclude"), actor="user:9")
