"""Importing Data Media payment files: every status handled, posted through the receipt engine,
reversals undone to the cent, the same file or payment again changing nothing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from gateway.admin.practices import update_settings
from gateway.ledger.balances import line_balances
from gateway.posting.deposit_filter import DepositFilter
from gateway.posting.search import search_deposits
from gateway.receipts.models import Receipt
from gateway.statements import importer, review
from gateway.statements.importer import import_payment_file
from gateway.statements.models import StatementPaymentEvent, StatementPaymentRecord
from tests.statements import helpers as h


async def _import(session, practice_id, tmp_path, name, *rows):
    spf = h.as_file(tmp_path, name, h.text(*rows))
    res = await import_payment_file(session, practice_id, spf, actor="test", today=h.DAY)
    await session.flush()
    return res


async def _payment(session, txid):
    return await session.scalar(select(StatementPaymentRecord).where(
        StatementPaymentRecord.transaction_id == txid).execution_options(populate_existing=True))


async def test_settled_posts_a_receipt_through_the_engine_and_a_balanced_deposit(
        session, practice, tmp_path):
    pid = practice.practice_id
    cid, lines = await h.patient_with_claim(session, pid, "A1", "30.00", "20.00")
    res = await _import(session, pid, tmp_path, "f1.csv", h.row("P1", "Settled", "35.00"))
    assert (res.status, res.posted, res.unprocessed) == ("imported", 1, 0)
    rec = await _payment(session, "P1")
    assert rec.state == "posted" and rec.receipt_id is not None
    receipt = await session.get(Receipt, rec.receipt_id)
    assert (receipt.source, receipt.type_name, receipt.status) == (
        "statement_epayment", "Statement Payment", "Completed")
    assert receipt.statement_id == "S-A1" and receipt.amount == D("35.00")
    balances = await line_balances(session, [cid])
    assert sum(b.patient_balance for b in balances.values()) == D("15.00")
    (dep,) = await search_deposits(session, pid, DepositFilter(type="Statement"))
    assert (dep.id, dep.amount, dep.payments, dep.difference) == (
        res.deposit_id, D("35.00"), D("35.00"), D("0.00"))


async def test_the_same_file_again_and_the_same_payment_again_change_nothing(
        session, practice, tmp_path):
    pid = practice.practice_id
    await h.patient_with_claim(session, pid, "A1", "50.00")
    content = h.text(h.row("P1", "Settled", "10.00"))
    first = await import_payment_file(session, pid, h.as_file(tmp_path, "a.csv", content),
                                      today=h.DAY)
    again = await import_payment_file(session, pid, h.as_file(tmp_path, "b.csv", content),
                                      today=h.DAY)
    assert (first.status, again.status) == ("imported", "duplicate")
    # another file reporting the same payment with the same status: no new event, no receipt
    other = await _import(session, pid, tmp_path, "c.csv", h.row("P1", "Settled", "10.00"),
                          h.row("P2", "Pending", "5.00"))
    assert (other.new_payments, other.new_statuses, other.posted) == (1, 1, 0)
    assert await session.scalar(select(func.count()).select_from(Receipt)) == 1
    assert await session.scalar(select(func.count()).select_from(StatementPaymentEvent)) == 2


@pytest.mark.parametrize("status, state", [
    ("Pending", "waiting"), ("Authorized", "waiting"), ("Posted", "waiting"),
    ("ReversePosted", "waiting"), ("Failed", "not_posted"), ("Voided", "not_posted"),
])
async def test_statuses_that_wait_or_are_only_recorded_post_nothing(
        session, practice, tmp_path, status, state):
    pid = practice.practice_id
    await h.patient_with_claim(session, pid, "A1", "50.00")
    res = await _import(session, pid, tmp_path, "f.csv", h.row("P1", status, "10.00"))
    rec = await _payment(session, "P1")
    assert (rec.state, rec.status, rec.receipt_id, res.deposit_id) == (state, status, None, None)
    assert await session.scalar(select(func.count()).select_from(Receipt)) == 0


async def test_posted_is_posted_when_the_practice_says_so_and_settled_later_adds_nothing(
        session, practice, tmp_path):
    pid = practice.practice_id
    await h.patient_with_claim(session, pid, "A1", "50.00")
    await update_settings(session, pid, {"statement_payments_post_posted": True})
    await _import(session, pid, tmp_path, "f1.csv", h.row("P1", "Posted", "10.00"))
    rec = await _payment(session, "P1")
    assert rec.state == "posted"
    later = await _import(session, pid, tmp_path, "f2.csv", h.row("P1", "Settled", "10.00"))
    assert (later.new_statuses, later.posted) == (1, 0)
    assert await session.scalar(select(func.count()).select_from(Receipt)) == 1
    history = (await review.show(session, pid, rec.id)).history
    assert [e.status for e in history] == ["Posted", "Settled"]


async def test_auto_post_off_leaves_an_unprocessed_receipt_waiting(session, practice, tmp_path):
    pid = practice.practice_id
    cid, _ = await h.patient_with_claim(session, pid, "A1", "50.00")
    await update_settings(session, pid, {"statement_payments_auto_post": False})
    await _import(session, pid, tmp_path, "f.csv", h.row("P1", "Settled", "10.00"))
    rec = await _payment(session, "P1")
    receipt = await session.get(Receipt, rec.receipt_id)
    assert rec.state == "unprocessed" and "auto-post is off" in rec.reason
    assert receipt.status == "New"
    balances = await line_balances(session, [cid])
    assert sum(b.patient_balance for b in balances.values()) == D("50.00")


@pytest.mark.parametrize("account, statement, why", [
    ("NOPE", "S-A1", "patient account 'NOPE' not found"),
    ("A1", "S-NONE", "statement 'S-NONE' not found"),
    ("A1", None, "the payment names no statement"),
    ("B2", "S-A1", "belongs to another patient"),
])
async def test_a_payment_whose_patient_or_statement_is_not_found_is_unprocessed(
        session, practice, tmp_path, account, statement, why):
    pid = practice.practice_id
    await h.patient_with_claim(session, pid, "A1", "50.00")
    await h.patient_with_claim(session, pid, "B2", "50.00")
    await _import(session, pid, tmp_path, "f.csv",
                  h.row("P1", "Settled", "10.00", account=account, statement=statement))
    rec = await _payment(session, "P1")
    assert rec.state == "unprocessed" and why in rec.reason and rec.receipt_id is None
    assert await review.unprocessed_count(session, pid) == 1


@pytest.mark.parametrize("status", h.REVERSALS)
async def test_a_reversal_after_posting_restores_every_balance_to_the_cent(
        session, practice, tmp_path, status):
    pid = practice.practice_id
    cid, _ = await h.patient_with_claim(session, pid, "A1", "30.17", "20.05")
    cid2, _ = await h.patient_with_claim(session, pid, "A9", "12.34")
    before = await line_balances(session, [cid, cid2])
    await _import(session, pid, tmp_path, "f1.csv", h.row("P1", "Settled", "41.11"),
                  h.row("P9", "Settled", "12.34", account="A9", statement="S-A9"))
    assert await line_balances(session, [cid, cid2]) != before
    res = await _import(session, pid, tmp_path, "f2.csv",
                        h.row("P1", status, "41.11", debit=True),
                        h.row("P9", status, "12.34", account="A9", statement="S-A9",
                              debit=True))
    assert res.reversed == 2
    assert await line_balances(session, [cid, cid2]) == before
    rec = await _payment(session, "P1")
    assert rec.state == "reversed" and rec.reversal_receipt_id is not None
    (dep,) = await search_deposits(session, pid, DepositFilter(id=res.deposit_id))
    assert (dep.amount, dep.difference) == (D("-53.45"), D("0.00"))


async def test_a_reversal_of_an_unknown_or_hand_reversed_payment_is_unprocessed(
        session, practice, tmp_path):
    from gateway.receipts.service import reverse

    pid = practice.practice_id
    await h.patient_with_claim(session, pid, "A1", "50.00")
    await _import(session, pid, tmp_path, "f0.csv", h.row("P1", "ChargeBack", "9.00"))
    unknown = await _payment(session, "P1")
    assert unknown.state == "unprocessed" and "original unknown" in unknown.reason
    await _import(session, pid, tmp_path, "f1.csv", h.row("P2", "Settled", "10.00"),
                  h.row("P3", "Settled", "10.00"))
    await reverse(session, pid, (await _payment(session, "P2")).receipt_id, actor="user:1")
    await _import(session, pid, tmp_path, "f2.csv", h.row("P2", "Returned", "10.00"),
                  h.row("P3", "Reversed", "4.00"))
    by_hand, partial = await _payment(session, "P2"), await _payment(session, "P3")
    assert by_hand.state == "unprocessed" and "already reversed by hand" in by_hand.reason
    assert partial.state == "unprocessed" and "partial reversal" in partial.reason


async def test_a_payment_returned_before_posting_is_closed_without_touching_money(
        session, practice, tmp_path):
    pid = practice.practice_id
    await h.patient_with_claim(session, pid, "A1", "50.00")
    await _import(session, pid, tmp_path, "f1.csv", h.row("P1", "Pending", "10.00"))
    await _import(session, pid, tmp_path, "f2.csv", h.row("P1", "Returned", "10.00"))
    rec = await _payment(session, "P1")
    assert (rec.state, rec.receipt_id) == ("not_posted", None)


@pytest.mark.parametrize("mangle, where", [
    (lambda t: t.replace("TRL,2,", "TRL,3,"), "line 4, field count"),
    (lambda t: t.replace("TRL,2,15.00", "TRL,2,15.01"), "line 4, field total"),
    (lambda t: t.replace(",5.00,", ",5.5,"), "line 3, field amount"),
    (lambda t: t.replace(",2,Settled,", ",4,Settled,"), "line 2, field status_code"),
    (lambda t: t.replace(",2,Settled,", ",2,Voided,"), "line 2, field status"),
])
async def test_a_malformed_file_is_rejected_whole_with_a_located_error(
        session, practice, tmp_path, mangle, where):
    pid = practice.practice_id
    await h.patient_with_claim(session, pid, "A1", "50.00")
    good = h.text(h.row("P1", "Settled", "10.00"), h.row("P2", "Pending", "5.00"))
    spf = h.as_file(tmp_path, "bad.csv", mangle(good))
    res = await import_payment_file(session, pid, spf, today=h.DAY)
    assert res.status == "rejected" and res.why.startswith(f"bad.csv, {where}: "), res.why
    for model in (StatementPaymentRecord, StatementPaymentEvent, Receipt):
        assert await session.scalar(select(func.count()).select_from(model)) == 0
    assert await search_deposits(session, pid, DepositFilter(type="Statement")) == []


async def test_a_file_streams_through_in_chunks_and_a_later_chunk_reverses_an_earlier_one(
        session, practice, tmp_path, monkeypatch):
    """The plugin hands over no payment list, only a reader; chunks of two, so the reversal
    of P1 (line 6) is in the third chunk and still finds the receipt the first chunk posted."""
    monkeypatch.setattr(importer, "FLUSH_EVERY", 2)
    pid = practice.practice_id
    cid, _ = await h.patient_with_claim(session, pid, "A1", "90.00")
    spf = h.as_file(tmp_path, "s.csv", h.text(
        h.row("P1", "Settled", "10.00"), h.row("P2", "Settled", "20.00"),
        h.row("P3", "Settled", "30.00"), h.row("P4", "Pending", "5.00"),
        h.row("P1", "Reversed", "10.00", debit=True)))
    assert spf.payments == [] and spf.reader is not None and spf.count == 5
    res = await import_payment_file(session, pid, spf, today=h.DAY)
    assert (res.new_payments, res.new_statuses, res.posted, res.reversed) == (4, 5, 3, 1)
    assert [(await _payment(session, tx)).state for tx in ("P1", "P2", "P3", "P4")] == [
        "reversed", "posted", "posted", "waiting"]
    balances = await line_balances(session, [cid])
    assert sum(b.patient_balance for b in balances.values()) == D("40.00")
