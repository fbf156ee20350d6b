"""Deposits in a browser: search, details with the balancing pop-up, Send to Posting, the ERA
in words, the workbook; another practice's deposit is a 404."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.web.arrange import clean_deposit
from tests.web.conftest import Staff, make_staff, sign_in


async def test_find_balance_and_post_a_deposit(page: Page, staff: Staff, db, shot) -> None:
    arranged = await clean_deposit(db, staff.practice_id, 1)
    dep = arranged["deposit_id"]
    await sign_in(page, staff.biller)
    await page.goto("/deposits")
    await page.fill("input[name=check_trace_id]", "OKT1")
    async with page.expect_navigation():
        await page.click("#deposit-search button[type=submit]")
    await expect(page.locator("#deposits tbody tr")).to_have_count(1)
    await expect(page.locator(f"#deposit-{dep}")).to_contain_text("100.00")
    await shot("deposit-list")
    async with page.expect_navigation():
        await page.click(f"#deposit-{dep} a")
    await page.click("#balancing summary")
    await expect(page.locator("#bal-difference")).to_have_text("0.00")
    await expect(page.locator("#bal-payments")).to_have_text("100.00")
    await expect(page.locator("#bal-plb")).to_have_text("0.00")
    await shot("deposit-balancing")
    async with page.expect_navigation():
        await page.click("#action-post")
    await expect(page.locator("#done-flash")).to_contain_text("1 claim(s) posted, 0 with errors")
    await expect(page.locator("#deposit-status")).to_have_text("Sent to Posting")
    await expect(page.locator("#deposit-claims tbody tr").first).to_contain_text("posted")
    # the stored totals moved with the post: the CO-45 is a write-off now (its rule's type)
    await expect(page.locator("#bal-adjustments")).to_have_text("50.00")
    await shot("deposit-posted")
    async with page.expect_navigation():
        await page.click("#deposit-claims tbody tr a")
    await expect(page.locator("#era-view")).to_contain_text(
        "Contractual obligation: Charge exceeds fee schedule (CO-45): 50.00")
    await expect(page.locator("#era-view")).to_contain_text("Processed as primary")
    await shot("deposit-claim")
    await page.goto("/deposits")
    await page.click("#report-form >> xpath=.. >> summary")
    async with page.expect_download() as info:
        await page.click("#download-report")
    download = await info.value
    assert download.suggested_filename.startswith("deposit-reconciliation-")
    assert (await download.path()).read_bytes()[:2] == b"PK"  # an xlsx is a zip


async def test_another_practices_deposit_is_not_found(page: Page, staff: Staff, db) -> None:
    other = await make_staff(db)
    theirs = await clean_deposit(db, other.practice_id, 2)
    await sign_in(page, staff.admin)
    response = await page.goto(f"/deposits/{theirs['deposit_id']}")
    assert response is not None and response.status == 404
    await expect(page.locator("#error-message")).to_contain_text(
        f"no deposit {theirs['deposit_id']}")
    response = await page.goto(f"/deposits/{theirs['deposit_id']}/claims/1")
    assert response is not None and response.status == 404
    await page.goto("/deposits")
    await expect(page.locator("#deposits tbody")).to_contain_text("No deposits match")


async def test_ignoring_a_deposit_takes_its_errors_off_the_queue(page: Page, staff: Staff,
                                                                 db, shot) -> None:
    """The deposit's Edit (status) goes through the API's service: Ignore closes the open
    errors, Back to New opens them again."""
    from tests.web.arrange import unmatched_claim_deposit

    arranged = await unmatched_claim_deposit(db, staff.practice_id, 31)
    dep = arranged["deposit_id"]
    await sign_in(page, staff.biller)
    await expect(page.locator("#count-claim-errors .n")).to_have_text("1")
    await page.goto(f"/deposits/{dep}")
    async with page.expect_navigation():
        await page.click("#action-ignore")
    await expect(page.locator("#deposit-status")).to_have_text("Ignore")
    await shot("deposit-ignored")
    await page.goto("/")
    await expect(page.locator("#count-claim-errors .n")).to_have_text("0")
    await page.goto(f"/deposits/{dep}")
    async with page.expect_navigation():
        await page.click("#action-unignore")
    await expect(page.locator("#deposit-status")).to_have_text("New")
    await page.goto("/")
    await expect(page.locator("#count-claim-errors .n")).to_have_text("1")
