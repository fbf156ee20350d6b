"""Receipt services against a real (SQLite) database: create, nightly and selected
reconciliation, holds, status changes, apply by hand, reverse, search, export, types."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gateway.admin.practices import update_settings
from gateway.core.errors import NotFound, UserError
from gateway.ledger.balances import line_balances
from gateway.ledger.models import Claim, LedgerEntry
from gateway.receipts import service
from gateway.receipts.enums import Source
from gateway.receipts.models import ReceiptApplication, ReceiptMessage
from gateway.receipts.schemas import ManualApplicationIn, ReceiptIn, ReceiptSearch, ReceiptTypeIn
from tests.receipts import helpers as h

VISIT = dt.date(2026, 3, 9)
TODAY = dt.date(2026, 3, 10)
ACTOR = "user:1"


def rin(amount: str, type_: str = "Co-Pay", account: str | None = "A1", on: dt.date = VISIT,
        **kw) -> ReceiptIn:
    return ReceiptIn(received_on=on, amount=D(amount), type=type_, patient_account=account, **kw)


async def create(session, pid, amount, type_="Co-Pay", today=TODAY, **kw) -> int:
    return await service.create_receipt(session, pid, rin(amount, type_, **kw), actor=ACTOR,
                                        today=today)


async def test_created_receipt_is_applied_with_one_ledger_row_per_application(session, practice):
    pid = practice.practice_id
    cid, (l1, l2) = await h.claim(session, pid, "A1", VISIT, "10.00", "40.00", copay_line=2)
    rid = await create(session, pid, "25.00")
    d = await service.show(session, pid, rid)
    assert (d.status, d.applied, d.unapplied) == ("Completed", D("25.00"), D("0.00"))
    assert [(a.claim_line_id, a.amount) for a in d.applications] == [(l2, D("25.00"))]
    entries = (await session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.source_type,
               LedgerEntry.source_id).where(LedgerEntry.source_type == "receipt_application")
    )).all()
    assert entries == [("patient_payment", D("25.00"), "receipt_application",
                        d.applications[0].id)]
    assert await h.patient_balances(session, [cid]) == {l1: D("10.00"), l2: D("15.00")}
    assert [m.text for m in d.messages][0] == "Receipt recorded."
    assert "co-pay" in d.messages[-1].text


async def test_check_number_receipt_is_never_recorded_twice(session, practice):
    pid = practice.practice_id
    await h.patient(session, pid, "A1")
    await create(session, pid, "25.00", check_number="1001", method="check")
    with pytest.raises(UserError, match="already recorded as receipt"):
        await create(session, pid, "25.00", check_number="1001", method="check")
    # cash without a trace number: two equal payments are two receipts
    await create(session, pid, "25.00")
    await create(session, pid, "25.00")


async def test_unknown_chart_number_is_an_error_receipt(session, practice):
    pid = practice.practice_id
    rid = await create(session, pid, "25.00", account="NOPE")
    d = await service.show(session, pid, rid)
    assert d.status == "Error" and d.patient_id is None and d.patient_account == "NOPE"
    assert "patient is not known" in (d.status_reason or "")


async def test_bad_input_is_a_located_user_error(session, practice):
    pid = practice.practice_id
    with pytest.raises(UserError, match="amount"):
        await create(session, pid, "0.00")
    with pytest.raises(UserError, match="whole cents"):
        await create(session, pid, "1.001")
    with pytest.raises(UserError, match="unknown receipt type"):
        await create(session, pid, "1.00", type_="Gift")
    with pytest.raises(UserError, match="method"):
        await create(session, pid, "1.00", method="barter")
    with pytest.raises(UserError, match="location"):
        await create(session, pid, "1.00", location_id=9999)


async def test_nightly_applies_a_held_copay_once_the_claim_arrives(session, practice):
    pid = practice.practice_id
    await h.patient(session, pid, "A1")
    rid = await create(session, pid, "25.00", today=VISIT)
    d = await service.show(session, pid, rid)
    assert d.status == "Hold" and d.hold_until == VISIT + dt.timedelta(days=3)
    assert d.hold_set_by == "engine"
    # a second night with nothing new: no new message
    res = await service.reconcile_practice(session, pid, VISIT + dt.timedelta(days=1))
    assert (res.considered, res.hold, res.unchanged) == (1, 1, 1)
    assert len((await service.show(session, pid, rid)).messages) == 2
    cid, (l1,) = await h.claim(session, pid, "A1", VISIT, "30.00")
    res = await service.reconcile_practice(session, pid, VISIT + dt.timedelta(days=2))
    assert (res.completed, res.applied) == (1, D("25.00"))
    d = await service.show(session, pid, rid)
    assert d.status == "Completed" and d.hold_until is None
    assert await h.patient_balances(session, [cid]) == {l1: D("5.00")}


async def test_nightly_turns_an_old_hold_into_an_error(session, practice):
    pid = practice.practice_id
    await h.patient(session, pid, "A1")
    rid = await create(session, pid, "25.00", today=VISIT)
    await service.reconcile_practice(session, pid, VISIT + dt.timedelta(days=3))
    d = await service.show(session, pid, rid)
    assert d.status == "Error" and "within 3 days" in (d.status_reason or "")
    # Error receipts are left alone by the nightly run
    res = await service.reconcile_practice(session, pid, VISIT + dt.timedelta(days=4))
    assert res.considered == 0


async def test_receipts_of_one_patient_in_one_run_share_the_balances(session, practice):
    pid = practice.practice_id
    cid, (l1,) = await h.claim(session, pid, "A1", VISIT, "30.00", level="Statement")
    await update_settings(session, pid, {"credit_receipt_hold_days": 0})
    r1 = await service.create_receipt(session, pid, rin("20.00", "General Payment"), actor=ACTOR,
                                      today=TODAY, reconcile_now=False)
    r2 = await service.create_receipt(session, pid, rin("20.00", "General Payment"), actor=ACTOR,
                                      today=TODAY, reconcile_now=False)
    res = await service.reconcile_practice(session, pid, TODAY)
    assert res.completed == 2
    # 20 + 10 pay the balance; the last 10 is the one recorded credit
    apps = (await session.execute(select(ReceiptApplication.receipt_id, ReceiptApplication.amount,
                                         ReceiptApplication.credit)
                                  .order_by(ReceiptApplication.id))).all()
    assert apps == [(r1, D("20.00"), False), (r2, D("10.00"), False), (r2, D("10.00"), True)]
    assert await h.patient_balances(session, [cid]) == {l1: D("-10.00")}
    status = await session.scalar(select(Claim.status).where(Claim.id == cid))
    assert status == "Credit Balance"


async def test_a_billers_hold_waits_for_its_date_at_night_but_not_when_selected(session,
                                                                                   practice):
    pid = practice.practice_id
    await h.claim(session, pid, "A1", VISIT, "30.00")
    rid = await service.create_receipt(session, pid, rin("25.00"), actor=ACTOR, today=TODAY,
                                       reconcile_now=False)
    await service.change_status(session, pid, [rid], "Hold", actor=ACTOR,
                                hold_until=dt.date(2026, 4, 1), today=TODAY)
    res = await service.reconcile_practice(session, pid, TODAY)
    assert res.considered == 0
    res = await service.reconcile_practice(session, pid, dt.date(2026, 4, 1))
    assert res.completed == 1
    rid2 = await service.create_receipt(session, pid, rin("1.00"), actor=ACTOR, today=TODAY,
                                        reconcile_now=False)
    await service.change_status(session, pid, [rid2], "Hold", actor=ACTOR,
                                hold_until=dt.date(2026, 4, 1), today=TODAY)
    res = await service.reconcile(session, pid, [rid2, rid], today=TODAY, actor=ACTOR)
    assert res.considered == 1 and res.results[0]["id"] == rid2
    assert res.skipped == [{"id": rid, "status": "Completed"}]


async def test_reconcile_of_another_practices_receipt_is_not_found(session, practice,
                                                                   other_practice):
    rid = await create(session, practice.practice_id, "5.00")
    with pytest.raises(NotFound):
        await service.reconcile(session, other_practice.practice_id, [rid], today=TODAY)
    with pytest.raises(NotFound):
        await service.show(session, other_practice.practice_id, rid)
    with pytest.raises(NotFound):
        await service.reverse(session, other_practice.practice_id, rid, actor=ACTOR)


async def test_bulk_status_change_is_all_or_nothing(session, practice):
    pid = practice.practice_id
    cid, _ = await h.claim(session, pid, "A1", VISIT, "30.00")
    done = await create(session, pid, "5.00")
    err = await create(session, pid, "5.00", account="NOPE")
    with pytest.raises(UserError, match=f"{done} \\(Completed\\)"):
        await service.change_status(session, pid, [done, err], "New", actor=ACTOR)
    assert (await service.show(session, pid, err)).status == "Error"
    assert await service.change_status(session, pid, [err], "Ignore", actor=ACTOR) == 1
    d = await service.show(session, pid, err)
    assert d.status == "Ignore" and "Status changed to Ignore" in d.messages[-1].text
    with pytest.raises(UserError, match="hold date goes with status Hold"):
        await service.change_status(session, pid, [err], "New", actor=ACTOR,
                                    hold_until=TODAY)
    assert await service.ignore(session, pid, [err], actor=ACTOR) == 1


async def test_bulk_status_change_without_a_hold_date_keeps_each_receipts_own(session,
                                                                               practice):
    # issue 16: a bulk Change Status without a hold date cleared every receipt's hold date
    pid = practice.practice_id
    await h.patient(session, pid, "A1")
    first = await create(session, pid, "5.00", account="NOPE")
    second = await create(session, pid, "6.00", account="NOPE")
    await service.hold(session, pid, first, actor=ACTOR, until=dt.date(2026, 4, 1), today=TODAY)
    await service.hold(session, pid, second, actor=ACTOR, until=dt.date(2026, 5, 1),
                       today=TODAY)
    assert await service.change_status(session, pid, [first, second], "Error",
                                       actor=ACTOR, today=TODAY) == 2
    assert await service.change_status(session, pid, [first, second], "Hold",
                                       actor=ACTOR, today=TODAY) == 2
    for rid, until in ((first, dt.date(2026, 4, 1)), (second, dt.date(2026, 5, 1))):
        d = await service.show(session, pid, rid)
        assert (d.status, d.hold_until, d.hold_set_by) == ("Hold", until, "user")
    # and the nightly run still waits for each one's own date
    assert (await service.reconcile_practice(session, pid, TODAY)).considered == 0
    assert (await service.reconcile_practice(session, pid, dt.date(2026, 4, 1))).considered == 1
    # a date given sets it on all
    await service.change_status(session, pid, [first, second], "Hold", actor=ACTOR,
                                hold_until=dt.date(2026, 6, 1), today=TODAY)
    assert {(await service.show(session, pid, i)).hold_until for i in (first, second)} == {
        dt.date(2026, 6, 1)}


async def test_hold_until_the_next_appointment(session, practice):
    pid = practice.practice_id
    await h.patient(session, pid, "A1")
    rid = await create(session, pid, "25.00", type_="Pre-Pay")
    with pytest.raises(UserError, match="no upcoming appointment"):
        await service.hold(session, pid, rid, actor=ACTOR, next_appointment=True, today=TODAY)
    await h.appointment(session, pid, "A1", dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC))
    nxt = await h.appointment(session, pid, "A1", dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC))
    await h.appointment(session, pid, "A1", dt.datetime(2026, 5, 20, 9, tzinfo=dt.UTC))
    until = await service.hold(session, pid, rid, actor=ACTOR, next_appointment=True,
                               today=TODAY)
    d = await service.show(session, pid, rid)
    assert until == dt.date(2026, 3, 20) and d.hold_until == until
    assert (d.status, d.hold_set_by, d.appointment_id) == ("Hold", "user", nxt)
    with pytest.raises(UserError, match="in the past"):
        await service.hold(session, pid, rid, actor=ACTOR, until=VISIT, today=TODAY)


async def test_copay_held_for_the_next_appointment_lands_on_that_visits_claim(session,
                                                                             practice):
    pid = practice.practice_id
    await h.patient(session, pid, "A1")
    appt = await h.appointment(session, pid, "A1", dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC))
    rid = await service.create_receipt(session, pid, rin("25.00"), actor=ACTOR, today=TODAY,
                                       reconcile_now=False)
    await service.hold(session, pid, rid, actor=ACTOR, next_appointment=True, today=TODAY)
    cid, (l1,) = await h.claim(session, pid, "A1", dt.date(2026, 3, 20), "40.00",
                               appointment_id=appt)
    await service.reconcile_practice(session, pid, dt.date(2026, 3, 21))
    d = await service.show(session, pid, rid)
    assert d.status == "Completed" and d.applications[0].claim_id == cid


async def test_apply_by_hand(session, practice):
    pid = practice.practice_id
    cid, (l1, l2) = await h.claim(session, pid, "A1", dt.date(2026, 1, 5), "10.00", "5.00")
    other, (o1,) = await h.claim(session, pid, "B2", dt.date(2026, 1, 5), "10.00")
    rid = await create(session, pid, "20.00", type_="Pre-Pay")
    with pytest.raises(UserError, match="more than the line's patient balance"):
        await service.apply_by_hand(session, pid, rid, [ManualApplicationIn(
            claim_line_id=l1, amount=D("12.00"))], actor=ACTOR)
    with pytest.raises(UserError, match="receipt's patient"):
        await service.apply_by_hand(session, pid, rid, [ManualApplicationIn(
            claim_line_id=o1, amount=D("1.00"))], actor=ACTOR)
    with pytest.raises(UserError, match="more than the 20.00 unapplied"):
        await service.apply_by_hand(session, pid, rid, [
            ManualApplicationIn(claim_line_id=l1, amount=D("10.00")),
            ManualApplicationIn(claim_line_id=l2, amount=D("11.00"), credit=True)], actor=ACTOR)
    with pytest.raises(NotFound):
        await service.apply_by_hand(session, pid, rid, [ManualApplicationIn(
            claim_line_id=999999, amount=D("1.00"))], actor=ACTOR)
    await service.apply_by_hand(session, pid, rid, [
        ManualApplicationIn(claim_line_id=l1, amount=D("10.00"))], actor=ACTOR)
    d = await service.show(session, pid, rid)
    assert (d.status, d.unapplied) == ("Hold", D("10.00"))
    await service.apply_by_hand(session, pid, rid, [
        ManualApplicationIn(claim_line_id=l2, amount=D("10.00"), credit=True)], actor=ACTOR)
    d = await service.show(session, pid, rid)
    assert (d.status, d.unapplied) == ("Completed", D("0.00"))
    assert d.applications[-1].applied_by == ACTOR and d.applications[-1].credit
    assert await h.patient_balances(session, [cid]) == {l1: D("0.00"), l2: D("-5.00")}
    with pytest.raises(UserError, match="Completed receipt cannot be applied"):
        await service.apply_by_hand(session, pid, rid, [ManualApplicationIn(
            claim_line_id=l1, amount=D("1.00"))], actor=ACTOR)


async def test_apply_by_hand_names_the_patient_of_an_unknown_patient_receipt(session, practice):
    pid = practice.practice_id
    cid, (l1,) = await h.claim(session, pid, "A1", VISIT, "10.00")
    rid = await create(session, pid, "10.00", account="TYPO")
    await service.apply_by_hand(session, pid, rid, [ManualApplicationIn(
        claim_line_id=l1, amount=D("10.00"))], actor=ACTOR)
    d = await service.show(session, pid, rid)
    assert (d.status, d.patient_account) == ("Completed", "A1")


async def test_reverse_restores_balances_claim_status_and_adds_a_negative_receipt(session,
                                                                                  practice):
    pid = practice.practice_id
    await update_settings(session, pid, {"credit_receipt_hold_days": 0})
    cid, lines = await h.claim(session, pid, "A1", VISIT, "10.00", "5.00", level="Statement")
    before = await line_balances(session, [cid])
    rid = await create(session, pid, "40.00", type_="General Payment")
    assert await session.scalar(select(Claim.status).where(Claim.id == cid)) == "Credit Balance"
    neg = await service.reverse(session, pid, rid, actor=ACTOR, today=TODAY)
    assert await line_balances(session, [cid]) == before
    assert await session.scalar(select(Claim.status).where(Claim.id == cid)) == "Open"
    d, n = await service.show(session, pid, rid), await service.show(session, pid, neg)
    assert (d.status, d.applied, d.unapplied) == ("Reversed", D("0.00"), D("40.00"))
    assert (n.status, n.amount, n.unapplied, n.reversal_of_id) == (
        "Reversed", D("-40.00"), D("-40.00"), rid)
    assert all(a.reversed_at is not None for a in d.applications)
    rows = (await session.execute(select(LedgerEntry.id, LedgerEntry.amount,
                                         LedgerEntry.reverses_id).where(
        LedgerEntry.source_type == "receipt_application").order_by(LedgerEntry.id))).all()
    assert len(rows) == 6 and sum(a for _, a, _ in rows) == 0
    assert [r for _, _, r in rows[3:]] == [i for i, _, _ in rows[:3]]
    assert [a for _, a, _ in rows[3:]] == [-a for _, a, _ in rows[:3]]
    with pytest.raises(UserError, match="already reversed"):
        await service.reverse(session, pid, rid, actor=ACTOR, today=TODAY)
    with pytest.raises(UserError, match="already reversed"):
        await service.reverse(session, pid, neg, actor=ACTOR, today=TODAY)


async def test_search_defaults_to_the_error_queue_and_filters(session, practice,
                                                             other_practice):
    pid = practice.practice_id
    await h.patient(session, pid, "A1", last="Rivera")
    await h.claim(session, pid, "A1", VISIT, "30.00")
    ok = await create(session, pid, "5.00", payer_name="Maria Rivera")
    bad = await create(session, pid, "7.00", account="ZZ")
    await create(session, other_practice.practice_id, "7.00", account="ZZ")
    assert [r.id for r in await service.search(session, pid)] == [bad]
    everything = ReceiptSearch(status=["all"])
    assert {r.id for r in await service.search(session, pid, everything)} == {ok, bad}
    for f, expect in [
        (ReceiptSearch(status=["Completed"]), [ok]),
        (ReceiptSearch(status=["all"], chart_number="A1"), [ok]),
        (ReceiptSearch(status=["all"], patient="rive"), [ok]),
        (ReceiptSearch(status=["all"], payer="maria"), [ok]),
        (ReceiptSearch(status=["all"], amount=D("7.00")), [bad]),
        (ReceiptSearch(status=["all"], receipt_id=ok), [ok]),
        (ReceiptSearch(status=["all"], date_from=TODAY), []),
        (ReceiptSearch(status=["all"], date_to=VISIT, type="co-pay"), [bad, ok]),
    ]:
        assert [r.id for r in await service.search(session, pid, f)] == expect, f
    with pytest.raises(UserError, match="unknown status"):
        await service.search(session, pid, ReceiptSearch(status=["Lost"]))


async def test_export_writes_the_search_as_xlsx(session, practice):
    pid = practice.practice_id
    await h.claim(session, pid, "A1", VISIT, "3.00")
    rid = await create(session, pid, "5.25", check_number="77", method="check")
    data = await service.export_xlsx(session, pid, ReceiptSearch(status=["all"]))
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == service.EXPORT_COLUMNS
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Receipt ID"], row["Status"], row["Patient ID"], row["Check/Trace Number"]) == (
        rid, "Hold", "A1", "77")
    assert D(str(row["Amount"])) == D("5.25") and D(str(row["Applied"])) == D("3")
    assert D(str(row["Unapplied"])) == D("2.25")


async def test_practice_defined_type_follows_its_behaviour(session, practice):
    pid = practice.practice_id
    await h.claim(session, pid, "A1", VISIT, "30.00")
    t = await service.create_type(session, pid, ReceiptTypeIn(name="Optical Deposit",
                                                              behaviour="prepay"), actor=ACTOR)
    assert t.id is not None and not t.builtin
    with pytest.raises(UserError, match="already exists"):
        await service.create_type(session, pid, ReceiptTypeIn(name="Optical Deposit",
                                                              behaviour="general"), actor=ACTOR)
    with pytest.raises(UserError, match="built-in"):
        await service.create_type(session, pid, ReceiptTypeIn(name="copay",
                                                              behaviour="general"), actor=ACTOR)
    rid = await create(session, pid, "30.00", type_="optical deposit")
    d = await service.show(session, pid, rid)
    assert (d.type, d.behaviour, d.status) == ("Optical Deposit", "prepay", "Hold")
    names = [x.name for x in await service.list_types(session, pid)]
    assert names[:5] == ["Co-Pay", "Patient Coinsurance", "Patient Deductible",
                         "General Payment", "Pre-Pay"] and names[5:] == ["Optical Deposit"]


async def test_every_step_leaves_a_message_and_every_action_an_audit_row(session, practice):
    pid = practice.practice_id
    await h.patient(session, pid, "A1")
    rid = await create(session, pid, "5.00")
    await service.change_status(session, pid, [rid], "Ignore", actor=ACTOR)
    await service.reverse(session, pid, rid, actor=ACTOR, today=TODAY)
    n = await session.scalar(select(func.count()).select_from(ReceiptMessage).where(
        ReceiptMessage.receipt_id == rid))
    assert n == 4  # recorded, held by the engine, ignored, reversed
    from gateway.db.models import AuditLog

    actions = (await session.scalars(select(AuditLog.action).where(
        AuditLog.practice_id == pid, AuditLog.action.like("receipt.%"))
        .order_by(AuditLog.id))).all()
    assert actions == ["receipt.create", "receipt.status", "receipt.reverse"]


async def test_record_many_records_new_receipts_by_key_and_the_engine_applies_them(
        session, practice):
    pid = practice.practice_id
    cid, _ = await h.claim(session, pid, "A1", VISIT, "10.00", "40.00", level="Statement")
    patient_id = await session.scalar(select(Claim.patient_id).where(Claim.id == cid))
    rows = [service.NewReceipt(key=f"k|{n}", patient_id=patient_id, patient_account="A1",
                               received_on=VISIT, amount=D(amount), method="Visa",
                               check_number=f"T{n}")
            for n, amount in enumerate(("5.00", "7.50"))]
    ids = await service.record_many(session, pid, "General Payment", Source.IMPORT,
                                    rows, actor=ACTOR, today=TODAY)
    assert sorted(ids) == ["k|0", "k|1"]
    first = await service.show(session, pid, ids["k|0"])
    assert (first.status, first.amount, first.method) == ("New", D("5.00"), "card")
    assert [m.text for m in first.messages] == ["Receipt recorded."]
    res = await service.reconcile(session, pid, list(ids.values()), today=TODAY,
                                  keep_results=False)
    assert (res.completed, res.results) == (2, [])
    assert sum((await h.patient_balances(session, [cid])).values()) == D("37.50")
    with pytest.raises(IntegrityError):  # the same key again is never a second receipt
        await service.record_many(session, pid, "General Payment", Source.IMPORT,
                                  rows[:1], actor=ACTOR, today=TODAY)
