"""Notifications in a browser: the user's own, newest first; Mark read for one and for all,
and the dashboard counter follows."""

from __future__ import annotations

from playwright.async_api import Page, expect

from gateway.admin.notifications import notify_practice_users
from tests.web.conftest import Staff, sign_in


async def test_mark_one_then_all_read(page: Page, staff: Staff, db, shot) -> None:
    for n in range(3):
        await notify_practice_users(db, staff.practice_id, "payer_added",
                                    f"Payer {n} was added from the aging file")
    await db.commit()
    await sign_in(page, staff.viewer)
    await expect(page.locator("#count-notifications .n")).to_have_text("3")
    async with page.expect_navigation():
        await page.click("#count-notifications")
    rows = page.locator("#notifications tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.first).to_contain_text("Payer 2 was added")
    await shot("notifications")
    async with page.expect_navigation():
        await rows.first.locator("button").click()
    await expect(page.locator("#notifications button")).to_have_count(2)
    await page.goto("/")
    await expect(page.locator("#count-notifications .n")).to_have_text("2")
    await page.goto("/notifications")
    async with page.expect_navigation():
        await page.click("#mark-all-read")
    await expect(page.locator("#notifications tbody button")).to_have_count(0)
    await page.goto("/")
    await expect(page.locator("#count-notifications .n")).to_have_text("0")
