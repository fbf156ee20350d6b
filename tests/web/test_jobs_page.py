"""The job scheduler page: add a weekly job with the pattern fields and see its next fires,
edit it to monthly with an end date, disable, enable, delete; a viewer reads only and a
forged delete is refused; a bad schedule is the service's message and nothing changes."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Page, expect
from sqlalchemy import select

from gateway.jobs.models import JobDefinition
from gateway.jobs.service import JobIn, define_job
from tests.web.conftest import Server, Staff, post_as, sign_in


async def test_biller_adds_edits_disables_and_deletes_a_job(page: Page, staff: Staff, db,
                                                            shot) -> None:
    await sign_in(page, staff.biller)
    await page.goto("/jobs")
    async with page.expect_navigation():
        await page.click("#add-job")
    await page.fill("#job-name", "Twice weekly reconciliation")
    await page.select_option("#job-kind", "reconcile_receipts")
    await page.select_option("#job-pattern", "weekly")
    await page.fill("#job-start", "2026-01-05")
    await page.fill("#job-time", "09:30")
    await page.check("#job-weekdays input[value='0']")
    await page.check("#job-weekdays input[value='3']")
    await shot("job-new")
    async with page.expect_navigation():
        await page.click("#job-save")
    await expect(page.locator("#done-flash")).to_contain_text("created")
    await expect(page.locator("#job-summary")).to_contain_text("every week on Mon, Thu at 09:30")
    job = await db.scalar(select(JobDefinition).where(
        JobDefinition.practice_id == staff.practice_id,
        JobDefinition.name == "Twice weekly reconciliation"))
    assert job is not None and job.weekdays == [0, 3] and job.time_of_day == dt.time(9, 30)
    await page.click("#edit-job summary")
    await page.select_option("#job-pattern", "monthly")
    await page.uncheck("#job-weekdays input[value='0']")
    await page.uncheck("#job-weekdays input[value='3']")
    await page.fill("#job-month-day", "31")
    await page.fill("#job-end", "2030-12-31")
    async with page.expect_navigation():
        await page.click("#job-save")
    await expect(page.locator("#job-summary")).to_contain_text(
        "every month on day 31 at 09:30, until 2030-12-31")
    await shot("job")
    await page.goto("/jobs")
    row = page.locator(f"#job-{job.id}")
    await expect(row.locator(".next")).not_to_contain_text("none")
    async with page.expect_navigation():
        await row.locator("button[data-action=disable]").click()
    await expect(page.locator("#done-flash")).to_contain_text(f"Job {job.id} disabled")
    await expect(row.locator(".next")).to_have_text("none")
    await expect(row).to_contain_text("disabled")
    async with page.expect_navigation():
        await row.locator("button[data-action=enable]").click()
    await expect(row.locator(".next")).not_to_contain_text("none")
    await shot("jobs")
    async with page.expect_navigation():
        await row.locator("button[data-action=delete]").click()
    await expect(page.locator("#done-flash")).to_contain_text(f"Job {job.id} deleted")
    await expect(page.locator(f"#job-{job.id}")).to_have_count(0)
    assert await db.scalar(select(JobDefinition.id).where(
        JobDefinition.id == job.id)) is None


async def test_viewer_reads_jobs_and_a_forged_delete_is_refused(page: Page, staff: Staff, db,
                                                                server: Server) -> None:
    job_id = await define_job(db, staff.practice_id, JobIn(
        name="Nightly", kind="reconcile_receipts", start_date=dt.date.today()))
    await db.commit()
    await sign_in(page, staff.viewer)
    await page.goto("/jobs")
    await expect(page.locator(f"#job-{job_id}")).to_contain_text("every day at 02:00")
    await expect(page.locator(f"#job-{job_id} button")).to_have_count(0)
    await expect(page.locator("#add-job")).to_have_count(0)
    r = await post_as(page, server, f"/jobs/{job_id}/delete", {})
    assert r.status_code == 403
    assert await db.scalar(select(JobDefinition.id).where(JobDefinition.id == job_id))


async def test_a_bad_schedule_is_refused_with_the_reason(page: Page, staff: Staff, db,
                                                         server: Server) -> None:
    job_id = await define_job(db, staff.practice_id, JobIn(
        name="Daily", kind="reconcile_receipts", start_date=dt.date.today()))
    await db.commit()
    await sign_in(page, staff.biller)
    await page.goto(f"/jobs/{job_id}")
    r = await post_as(page, server, f"/jobs/{job_id}", {
        "name": "Daily", "pattern": "daily", "every": "1", "time_of_day": "02:00",
        "weekdays[]": "2", "enabled": "on"})
    assert r.status_code == 400 and "weekdays are only for the weekly pattern" in r.text
    r = await post_as(page, server, f"/jobs/{job_id}", {
        "name": "Daily", "pattern": "daily", "every": "1", "time_of_day": "25:00"})
    assert r.status_code == 400 and "not a time of day" in r.text
    job = await db.get(JobDefinition, job_id)
    await db.refresh(job)
    assert job is not None and job.weekdays is None and job.enabled
