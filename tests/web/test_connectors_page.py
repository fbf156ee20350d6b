"""Connectors in a browser: Check reports the plugin's own check (folders, problems), Run now
runs the connector's enabled jobs and the run shows on its tile; a biller sees neither and a
forged check is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import select

from gateway.admin.connectors import create_connector
from gateway.jobs.models import JobRun
from gateway.jobs.service import JobIn, define_job
from tests.web.conftest import Server, Staff, post_as, sign_in


async def local_clearinghouse(db, practice_id: int, root: Path) -> int:
    for name in ("era", "ack", "claims"):
        (root / name).mkdir(parents=True)
    (root / "era" / "waiting.835").write_text("ISA*")
    return await create_connector(db, practice_id, "clearinghouse_sftp", "Local clearinghouse", {
        "transport": "local", "era_dir": str(root / "era"), "ack_dir": str(root / "ack"),
        "claims_dir": str(root / "missing"), "after_download": "leave"})


async def test_admin_checks_and_runs_a_connector(page: Page, staff: Staff, db, shot,
                                                 tmp_path: Path) -> None:
    cid = await local_clearinghouse(db, staff.practice_id, tmp_path / "ch")
    job_id = await define_job(db, staff.practice_id, JobIn(
        name="Poll local ERAs", kind="poll_eras", pattern="hourly", connector_id=cid,
        start_date=dt.date.today()))
    await db.commit()
    await sign_in(page, staff.admin)
    await page.goto("/connectors")
    row = page.locator(f"#conn-{cid}")
    await row.locator("button[data-action=check]").click()
    result = page.locator("#check-result")
    await expect(result).to_contain_text("Local clearinghouse")
    await expect(result).to_contain_text("era_dir 1 file")
    await expect(result).to_contain_text("missing")
    await shot("connector-check")
    await page.locator(f"#conn-{cid} button[data-action=run]").click()
    await expect(page.locator("#run-result")).to_contain_text("Poll local ERAs")
    runs = (await db.scalars(select(JobRun).where(JobRun.job_id == job_id))).all()
    assert [r.trigger for r in runs] == ["manual"]
    await page.goto("/")
    await expect(page.locator(f"#connector-{cid} dd").nth(0)).not_to_have_text("never")


async def test_biller_cannot_check_or_run(page: Page, staff: Staff, db, server: Server,
                                          tmp_path: Path) -> None:
    cid = await local_clearinghouse(db, staff.practice_id, tmp_path / "ch")
    await db.commit()
    await sign_in(page, staff.biller)
    await page.goto("/connectors")
    await expect(page.locator(f"#conn-{cid}")).to_contain_text("Local clearinghouse")
    await expect(page.locator(f"#conn-{cid} button")).to_have_count(0)
    for action in ("check", "run"):
        r = await post_as(page, server, f"/connectors/{cid}/{action}", {})
        assert r.status_code == 403
