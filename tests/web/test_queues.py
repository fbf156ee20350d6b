"""The error queues in a browser: resolve a claim-level error and watch the counter drop;
a viewer sees no resolve buttons and a forged resolve is refused."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect
from sqlalchemy import select

from gateway.posting.models import PostingError
from tests.web.arrange import procedure_conflict_deposit, unmatched_claim_deposit
from tests.web.conftest import Server, Staff, sign_in


async def test_resolve_claim_error_counter_drops(page: Page, staff: Staff, db, shot) -> None:
    arranged = await unmatched_claim_deposit(db, staff.practice_id, 1)
    await sign_in(page, staff.biller)
    await expect(page.locator("#count-claim-errors .n")).to_have_text("1")
    await shot("dashboard")
    async with page.expect_navigation():
        await page.click("#count-claim-errors")
    await expect(page).to_have_url("/queues/claim")
    row = page.locator("#queue tbody tr").first
    await expect(row).to_contain_text("Claim Not Found")
    await expect(row.locator("button[data-action]")).to_have_text(["Link claim", "Exclude"])
    await shot("claim-queue")
    await row.locator("input[name=claim_id]").fill(str(arranged["claim_id"]))
    await row.locator("button[data-action=link_claim]").click()
    await expect(page.locator("#resolved-flash")).to_contain_text("Link claim")
    await expect(page.locator("#queue tbody")).to_contain_text("No open claim errors")
    await expect(page.locator("#tab-claim")).to_have_text("Claim errors (0)")
    await page.goto("/")
    await expect(page.locator("#count-claim-errors .n")).to_have_text("0")
    await page.goto("/queues/history")
    await expect(page.locator("#history tbody tr").first).to_contain_text(staff.biller)
    await expect(page.locator("#history tbody tr").first).to_contain_text("link claim")
    await shot("history")
    err = (await db.scalars(select(PostingError).where(
        PostingError.deposit_id == arranged["deposit_id"]))).one()
    await db.refresh(err)
    assert err.resolution == "link_claim" and err.resolved_by.startswith("user:")


async def test_viewer_sees_no_resolve_buttons_and_forged_post_is_refused(
        page: Page, staff: Staff, db, server: Server) -> None:
    await unmatched_claim_deposit(db, staff.practice_id, 2)
    await sign_in(page, staff.viewer)
    await page.goto("/queues/claim")
    row = page.locator("#queue tbody tr").first
    await expect(row).to_contain_text("Claim Not Found")
    await expect(row.locator("button")).to_have_count(0)
    err_id = int((await row.get_attribute("id") or "").split("-")[1])
    # a forged POST with the viewer's own session and a valid CSRF token: the role refuses
    csrf = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies) as client:
        r = await client.post(f"/queues/errors/{err_id}/resolve",
                              data={"csrf_token": csrf, "action": "exclude"})
    assert r.status_code == 403
    err = await db.get(PostingError, err_id)
    await db.refresh(err)
    assert err is not None and err.resolved_at is None


async def test_queue_filters_and_pages_on_the_server(page: Page, staff: Staff, db) -> None:
    arranged = await unmatched_claim_deposit(db, staff.practice_id, 3)
    db.add_all([PostingError(practice_id=staff.practice_id, deposit_id=arranged["deposit_id"],
                             level="claim", type="Carrier Payment Mismatch",
                             message=f"mismatch {n}", detail={}) for n in range(54)])
    await db.commit()
    await sign_in(page, staff.viewer)
    await page.goto("/queues/claim")
    await expect(page.locator("#queue tbody tr")).to_have_count(50)
    await expect(page.locator("#tab-claim")).to_have_text("Claim errors (55)")
    async with page.expect_navigation():
        await page.click("#next-page")
    await expect(page.locator("#queue tbody tr")).to_have_count(5)
    await expect(page.locator("#next-page")).to_have_count(0)
    await page.select_option("#filter-type", "Claim Not Found")
    async with page.expect_navigation():
        await page.click("form.filters button[type=submit]")
    await expect(page.locator("#queue tbody tr")).to_have_count(1)
    await expect(page.locator("#queue tbody tr")).to_contain_text("Claim Not Found")


async def test_link_a_procedure_from_the_claims_lines(page: Page, staff: Staff, db) -> None:
    await procedure_conflict_deposit(db, staff.practice_id, 4)
    await sign_in(page, staff.biller)
    await expect(page.locator("#count-procedure-errors .n")).to_have_text("1")
    await page.goto("/queues/procedure")
    row = page.locator("#queue tbody tr").first
    await expect(row).to_contain_text("Procedure Code Conflict")
    await expect(row.locator("select[name=claim_line_id] option")).to_have_text(
        ["1: 92014 150.00"])
    async with page.expect_navigation():
        await row.locator("button[data-action=link_procedure]").click()
    await expect(page.locator("#resolved-flash")).to_contain_text("Link procedure")
    await expect(page.locator("#tab-procedure")).to_have_text("Procedure errors (0)")
