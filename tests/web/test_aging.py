"""Aging in a browser: upload a location's file, see the result counts and the bar chart;
a bad file says why and writes nothing."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import func, select

from gateway.aging.models import AgingSnapshot
from tests.aging.helpers import FIXTURES
from tests.web.conftest import Staff, make_staff, sign_in


async def test_upload_aging_file_and_see_the_chart(page: Page, staff: Staff, db,
                                                   shot) -> None:
    await sign_in(page, staff.biller)
    await page.goto("/aging")
    # a single-location practice: its location is chosen already
    await expect(page.locator("#aging-location")).to_have_value(str(staff.location_id))
    await expect(page.locator(f"#location-{staff.location_id}")).to_contain_text(
        "No aging file imported")
    await page.select_option("#aging-vendor", "eyefinity")
    await page.set_input_files("#aging-file", str(FIXTURES / "eyefinity_ar_detail.xls"))
    await expect(page.locator("#aging-chosen")).to_contain_text("eyefinity_ar_detail.xls")
    await page.check("#aging-confirm")
    await shot("aging-confirm")
    async with page.expect_navigation():
        await page.click("#aging-go")
    result = page.locator("#aging-result")
    await expect(result).to_contain_text("Imported 5 row(s), balance 584.99")
    await expect(result).to_contain_text("claims created 5, updated 0, completed 0, reopened 0")
    await expect(result).to_contain_text("payers added 4")
    chart = page.locator(f"#chart-{staff.location_id}")
    await expect(chart.locator("g.bar")).to_have_count(5)
    await expect(chart.locator("g.bar").first).to_have_attribute("data-bucket", "0-30")
    assert sum([float(await r.get_attribute("height") or 0) > 0
                for r in await chart.locator("rect").all()]) >= 1
    await shot("aging-chart")


async def test_bad_aging_file_is_refused_whole(page: Page, db, tmp_path: Path) -> None:
    staff = await make_staff(db, locations=2)
    bad = tmp_path / "aging.csv"
    bad.write_text("this,is,not\nan,aging,export\n")
    await sign_in(page, staff.biller)
    await page.goto("/aging")
    await expect(page.locator("#aging-location")).to_have_value("")  # two locations: choose
    await page.select_option("#aging-location", str(staff.location_id))
    await page.select_option("#aging-vendor", "crystalpm")
    await page.set_input_files("#aging-file", str(bad))
    await page.check("#aging-confirm")
    async with page.expect_navigation():
        await page.click("#aging-go")
    await expect(page.locator("#aging-error")).to_contain_text("The file was not imported")
    assert await db.scalar(select(func.count()).select_from(AgingSnapshot).where(
        AgingSnapshot.practice_id == staff.practice_id)) == 0
