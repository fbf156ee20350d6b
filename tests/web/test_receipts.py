"""Receipts in a browser: the error queue, Change Status for several with a hold date, and an
Excel import whose problems are listed row by row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from playwright.async_api import Page, expect
from sqlalchemy import select

from gateway.receipts.models import Receipt
from tests.web.arrange import error_receipts
from tests.web.conftest import Staff, sign_in


async def test_change_status_of_several_receipts(page: Page, staff: Staff, db, shot) -> None:
    ids = await error_receipts(db, staff.practice_id, 3)
    await sign_in(page, staff.biller)
    await page.goto("/receipts")
    await expect(page.locator("#receipts tbody tr")).to_have_count(3)
    for rid in ids[:2]:
        await page.check(f"#receipt-{rid} input[name=ids]")
    hold = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    await page.select_option("#bulk-status", "Hold")
    await page.fill("#bulk-hold-until", hold)
    await shot("receipts-picked")
    async with page.expect_navigation():
        await page.click("#bulk-apply")
    await expect(page.locator("#done-flash")).to_contain_text("2 receipt(s) set to Hold")
    # the error queue keeps only the third
    await expect(page.locator("#receipts tbody tr")).to_have_count(1)
    await expect(page.locator(f"#receipt-{ids[2]}")).to_be_visible()
    await page.select_option("#filter-status", "Hold")
    async with page.expect_navigation():
        await page.click("#receipt-search-go")
    await expect(page.locator("#receipts tbody tr")).to_have_count(2)
    await expect(page.locator(f"#receipt-{ids[0]} .status")).to_have_text(f"Hold until {hold}")
    rows = (await db.scalars(select(Receipt).where(Receipt.id.in_(ids))
                             .order_by(Receipt.id).execution_options(populate_existing=True)))
    assert [(r.status, r.hold_until) for r in rows] == [
        ("Hold", dt.date.fromisoformat(hold)), ("Hold", dt.date.fromisoformat(hold)),
        ("Error", None)]
    async with page.expect_navigation():
        await page.click(f"#receipt-{ids[0]} a")
    await expect(page.locator("#receipt-status")).to_have_text("Hold")
    await expect(page.locator("#receipt-history")).to_contain_text(f"until {hold}")
    await shot("receipt-detail")


async def test_import_shows_problems_row_by_row(page: Page, staff: Staff, tmp_path: Path,
                                                shot) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Patient ID", "Date", "Amount", "Type"])
    ws.append(["CH001", "2026-03-02", "25.00", "Co-Pay"])
    ws.append(["CH002", "not a date", "10.00", "Co-Pay"])
    ws.append(["CH003", "2026-03-02", "-4.00", "Mystery"])
    path = tmp_path / "receipts.xlsx"
    wb.save(path)
    await sign_in(page, staff.biller)
    await page.goto("/receipts")
    async with page.expect_navigation():
        await page.click("#import-link")
    await page.set_input_files("#import-file", str(path))
    async with page.expect_navigation():
        await page.click("#import-go")
    await expect(page.locator("#import-result")).to_contain_text("3 row(s); 1 receipt(s) created")
    problems = page.locator("#import-problems tbody tr")
    await expect(problems.first).to_contain_text("3")
    texts = await problems.all_inner_texts()
    assert any(t.startswith("3") and "Date" in t for t in texts), texts
    assert any(t.startswith("4") and "Amount" in t for t in texts), texts
    assert any(t.startswith("4") and "Type" in t for t in texts), texts
    await shot("receipts-import")
