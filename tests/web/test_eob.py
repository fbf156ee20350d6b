"""A manual EOB keyed in from the keyboard alone, saved field by field."""

from __future__ import annotations

from decimal import Decimal as D

from playwright.async_api import Page, expect
from sqlalchemy import select

from gateway.posting.models import Deposit, DepositAdjustment, DepositProcedure
from gateway.web.models import EobDraft
from tests.posting import helpers as h
from tests.web.conftest import Staff, sign_in


async def _leave(page: Page, key: str = "Tab") -> None:
    """Leave a changed field: wait for the draft to have saved it (and what it computed)."""
    async with page.expect_response(lambda r: r.url.endswith("/fields") and r.ok):
        await page.keyboard.press(key)


async def test_manual_eob_from_the_keyboard(page: Page, staff: Staff, db, shot) -> None:
    p = await h.payers(db, staff.practice_id)
    claim_id = await h.claim(db, staff.practice_id, "EOB-1",
                             [("92014", "150.00", []), ("92015", "45.00", [])],
                             payer_id=p["acme"], account="EOBA")
    await db.commit()
    await sign_in(page, staff.biller)
    await page.goto("/deposits")
    await page.locator("#new-eob").focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await expect(page.locator("#payer_id")).to_be_focused()
    kb = page.keyboard
    async with page.expect_response(lambda r: r.url.endswith("/fields") and r.ok):
        await kb.type("Acme")  # a closed select picks the option typed, and says so at once
    await kb.press("Tab")
    await expect(page.locator("#deposit_date")).to_be_focused()
    await kb.press("Control+A")
    await kb.type("2026-02-03")
    await _leave(page)
    await kb.type("130.00")
    await _leave(page)
    await kb.type("CHK77")
    await _leave(page)
    await expect(page.locator("#claim_ref")).to_be_focused()
    await kb.type("EOB-1")
    async with page.expect_navigation():
        await kb.press("Enter")
    # line 1: paid, allowed (CO-45 follows), an adjustment line, then a blank one
    await expect(page.locator("#c0-l0-paid")).to_be_focused()
    await kb.type("100.00")
    await _leave(page)
    await kb.type("120.00")
    await _leave(page)
    await expect(page.locator("#c0-l0-co45")).to_have_value("30.00")
    await expect(page.locator("#c0-l0-co45")).to_be_focused()
    await kb.press("Tab")
    await kb.type("PR-2")
    await _leave(page)
    await kb.type("20.00")
    await _leave(page)
    await expect(page.locator("#c0-l0-a1-code")).to_be_focused()  # the new blank line
    await kb.press("Tab")  # blank: on to the next procedure
    await expect(page.locator("#c0-l1-paid")).to_be_focused()
    # line 2: paid, skip allowed, CO-45 (allowed follows)
    await kb.type("30.00")
    await _leave(page)
    await kb.press("Tab")
    await kb.type("15.00")
    await _leave(page)
    await expect(page.locator("#c0-l1-allowed")).to_have_value("30.00")
    # a take-back is refused at once
    await page.locator("#c0-l1-paid").focus()
    await kb.press("Control+A")
    await kb.type("-5.00")
    await _leave(page)
    await expect(page.locator("#c0-l1-problem")).to_contain_text("cannot take a payment back")
    await kb.press("Shift+Tab")
    await kb.press("Control+A")
    await kb.type("30.00")
    await _leave(page)
    await expect(page.locator("#c0-l1-problem")).to_have_text("")
    await expect(page.locator("#eob-entered")).to_have_text("130.00")
    # every field was saved as it was left
    draft = (await db.scalars(select(EobDraft).where(
        EobDraft.practice_id == staff.practice_id))).one()
    await db.refresh(draft)
    line1 = draft.payload["claims"][0]["lines"][0]
    assert (line1["paid"], line1["allowed"], line1["co45"]) == ("100.00", "120.00", "30.00")
    assert line1["adjustments"] == [{"code": "PR-2", "amount": "20.00"}]
    await shot("eob-entry")
    # on to the blank adjustment line of line 2, out of it to the claim box, then Save
    await kb.press("Tab")
    await kb.press("Tab")
    await expect(page.locator("#c0-l1-a0-code")).to_be_focused()
    await kb.press("Tab")
    await expect(page.locator("#claim_ref")).to_be_focused()
    await kb.press("Tab")
    await kb.press("Tab")
    await expect(page.locator("#save-eob")).to_be_focused()
    async with page.expect_navigation():
        await kb.press("Enter")
    await expect(page.locator("#done-flash")).to_contain_text("Manual EOB saved")
    await shot("eob-deposit")
    dep = (await db.scalars(select(Deposit).where(Deposit.practice_id == staff.practice_id,
                                                  Deposit.type == "EOB"))).one()
    assert (dep.amount, dep.check_trace_id, str(dep.deposit_date)) == (
        D("130.00"), "CHK77", "2026-02-03")
    procs = (await db.scalars(select(DepositProcedure).join(
        DepositAdjustment, DepositAdjustment.deposit_procedure_id == DepositProcedure.id,
        isouter=True).where(DepositProcedure.claim_line_id.is_not(None))
        .order_by(DepositProcedure.id))).unique().all()
    mine = [pr for pr in procs if pr.paid in (D("100.00"), D("30.00"))][-2:]
    assert [(pr.paid, pr.allowed) for pr in mine] == [(D("100.00"), D("120.00")),
                                                      (D("30.00"), D("30.00"))]
    adjs = (await db.scalars(select(DepositAdjustment).where(
        DepositAdjustment.deposit_id == dep.id).order_by(DepositAdjustment.id))).all()
    assert sorted((a.group_code, a.reason, a.amount) for a in adjs) == [
        ("CO", "45", D("15.00")), ("CO", "45", D("30.00")), ("PR", "2", D("20.00"))]
    assert claim_id
    assert (await db.scalar(select(EobDraft.id).where(EobDraft.id == draft.id))) is None
