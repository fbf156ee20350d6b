"""The dashboard's connector tiles: last run, next run, last error, files in today."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Page, expect

from gateway.db.base import utcnow
from gateway.db.models import Connector, ImportedFile
from gateway.jobs.models import JobDefinition, JobRun
from tests.web.conftest import Staff, sign_in


async def test_connector_tile_shows_runs_and_errors(page: Page, staff: Staff, db, shot) -> None:
    c = Connector(practice_id=staff.practice_id, plugin="clearinghouse_sftp",
                  name="Clearinghouse SFTP", config={})
    db.add(c)
    await db.flush()
    job = JobDefinition(practice_id=staff.practice_id, name="Poll ERAs", kind="poll_eras",
                        connector_id=c.id, pattern="minutes", every=5,
                        start_date=dt.date.today() - dt.timedelta(days=1),
                        time_of_day=dt.time(0, 0), params={})
    db.add(job)
    await db.flush()
    now = utcnow()
    db.add_all([
        JobRun(job_id=job.id, fire_time=now - dt.timedelta(minutes=10), node="n1",
               started_at=now - dt.timedelta(minutes=10), status="failed",
               error="sftp: connection refused by host"),
        JobRun(job_id=job.id, fire_time=now - dt.timedelta(minutes=5), node="n1",
               started_at=now - dt.timedelta(minutes=5), finished_at=now, status="ok"),
        ImportedFile(practice_id=staff.practice_id, connector_id=c.id, kind="era",
                     name="in.835", sha256="a" * 64, size=10),
    ])
    await db.commit()
    await sign_in(page, staff.viewer)
    tile = page.locator(f"#connector-{c.id}")
    await expect(tile).to_contain_text("Clearinghouse SFTP")
    await expect(tile.locator("dd").nth(0)).to_contain_text("ok")
    await expect(tile.locator("dd").nth(1)).not_to_have_text("not scheduled")
    await expect(tile.locator("dd").nth(2)).to_contain_text("connection refused")
    await expect(tile.locator("dd").nth(3)).to_have_text("1")
    await shot("dashboard-connectors")


async def test_jobs_page_runs_a_job_now(page: Page, staff: Staff, db) -> None:
    from gateway.jobs.service import JobIn, define_job

    job_id = await define_job(db, staff.practice_id, JobIn(
        name="Nightly receipt reconciliation", kind="reconcile_receipts", pattern="daily",
        time_of_day=dt.time(2, 0), start_date=dt.date.today()))
    await db.commit()
    await sign_in(page, staff.admin)
    await page.goto("/jobs")
    row = page.locator(f"#job-{job_id}")
    await expect(row).to_contain_text("never")
    async with page.expect_navigation():
        await row.locator("button[data-action=run]").click()
    await expect(page.locator("#done-flash")).to_contain_text(f"Job {job_id} ran: ok")
    await expect(row).to_contain_text("ok")
    async with page.expect_navigation():
        await row.locator("a").click()
    await expect(page.locator("#runs tbody tr")).to_have_count(1)
    await expect(page.locator("#runs tbody tr")).to_contain_text("manual")


async def test_admin_adds_a_connector_with_a_write_only_secret(page: Page, staff: Staff) -> None:
    import json

    from gateway.web.pages.connectors import _examples

    config = json.loads(_examples()["clearinghouse_sftp"][0])
    config["password"] = "never-shown-again"
    await sign_in(page, staff.admin)
    await page.goto("/connectors")
    await page.select_option("#connector-plugin", "clearinghouse_sftp")
    await page.fill("#connector-name", "Clearinghouse")
    await page.fill("#connector-config", json.dumps(config))
    async with page.expect_navigation():
        await page.click("#connector-add")
    await expect(page.locator("#done-flash")).to_contain_text("added")
    row = page.locator("#connectors-list tbody tr").first
    await expect(row).to_contain_text("password")
    assert "never-shown-again" not in await page.content()
    await page.goto("/")
    await expect(page.locator("#connectors")).to_contain_text("Clearinghouse")
