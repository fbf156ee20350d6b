"""Statement ePayments in a browser: the unprocessed ones by default with their reasons, a
date range shows all, Mark Reviewed for several drops the dashboard counter; a viewer has no
Mark Reviewed and a forged one is refused; the export downloads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.statements.models import StatementPaymentRecord
from tests.web.conftest import Server, Staff, post_as, sign_in


async def payments(db: AsyncSession, practice_id: int) -> list[int]:
    """Three unprocessed payments (with reasons) and one posted."""
    rows = [StatementPaymentRecord(
        practice_id=practice_id, transaction_id=f"T{n}", status="Settled", state=state,
        reason=reason, patient_account=f"P{n}", amount=Decimal(f"{20 + n}.00"),
        paid_on=dt.date(2026, 3, 1 + n), method="card")
        for n, (state, reason) in enumerate([
            ("unprocessed", "no patient with account P0"),
            ("unprocessed", "no patient with account P1"),
            ("unprocessed", "the statement was never mailed"),
            ("posted", None)])]
    db.add_all(rows)
    await db.commit()
    return [r.id for r in rows]


async def test_mark_several_reviewed_and_the_counter_drops(page: Page, staff: Staff, db,
                                                          shot) -> None:
    ids = await payments(db, staff.practice_id)
    await sign_in(page, staff.biller)
    await expect(page.locator("#count-unprocessed-epayments .n")).to_have_text("3")
    async with page.expect_navigation():
        await page.click("#count-unprocessed-epayments")
    table = page.locator("#payments tbody")
    await expect(table.locator("tr")).to_have_count(3)
    await expect(page.locator(f"#payment-{ids[2]}")).to_contain_text("never mailed")
    await shot("statement-payments")
    await page.check(f"#payment-{ids[0]} input[type=checkbox]")
    await page.check(f"#payment-{ids[1]} input[type=checkbox]")
    async with page.expect_navigation():
        await page.click("#mark-reviewed")
    await expect(page.locator("#done-flash")).to_contain_text("2 payments marked reviewed")
    await expect(table.locator("tr")).to_have_count(1)
    await page.fill("#date-from", "2026-03-01")
    await page.fill("#date-to", "2026-03-31")
    async with page.expect_navigation():
        await page.click("#payment-filter")
    await expect(table.locator("tr")).to_have_count(4)
    await expect(page.locator(f"#payment-{ids[0]}")).to_contain_text(f"by {staff.biller}")
    await expect(page.locator(f"#payment-{ids[3]}")).to_contain_text("posted")
    async with page.expect_download() as info:
        await page.click("#export")
    download = await info.value
    assert download.suggested_filename == "statement-epayments.xlsx"
    await page.goto("/")
    await expect(page.locator("#count-unprocessed-epayments .n")).to_have_text("1")
    reviewed = (await db.scalars(select(StatementPaymentRecord.reviewed_by).where(
        StatementPaymentRecord.id.in_(ids[:2])))).all()
    assert all(r and r.startswith("user:") for r in reviewed)


async def test_viewer_cannot_mark_reviewed(page: Page, staff: Staff, db,
                                           server: Server) -> None:
    ids = await payments(db, staff.practice_id)
    await sign_in(page, staff.viewer)
    await page.goto("/statement-payments")
    await expect(page.locator("#payments tbody tr")).to_have_count(3)
    await expect(page.locator("#mark-reviewed")).to_have_count(0)
    await expect(page.locator("#payments input[type=checkbox]")).to_have_count(0)
    r = await post_as(page, server, "/statement-payments/review", {"ids": str(ids[0])})
    assert r.status_code == 403
    row = await db.get(StatementPaymentRecord, ids[0])
    await db.refresh(row)
    assert row is not None and row.reviewed_at is None
