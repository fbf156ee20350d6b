"""The accounts pages: filters and paging on the server, synced beside effective values, a
biller's portion edit with a reason; a viewer has no edit form and a forged edit is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.connectors import create_connector
from gateway.balances.models import AccountBalance, BalanceEdit
from gateway.balances.service import sync_connector
from tests.web.conftest import Server, Staff, post_as, sign_in

FIXTURES = Path(__file__).parent.parent / "fixtures" / "balances"


async def synced_accounts(db: AsyncSession, practice_id: int, folder: Path) -> dict[str, int]:
    """The Eyefinity fixture export synced through a local connector: account -> id."""
    folder.mkdir(exist_ok=True)
    shutil.copyfile(FIXTURES / "eyefinity" / "snapshot1.csv", folder / "snapshot1.csv")
    cid = await create_connector(db, practice_id, "eyefinity", "Eyefinity", {
        "transport": "local",
        "balances": {"remote": {"transport": "local"}, "folder": str(folder)}})
    await sync_connector(db, practice_id, cid)
    await db.commit()
    rows = (await db.execute(select(AccountBalance.account, AccountBalance.id).where(
        AccountBalance.practice_id == practice_id))).all()
    return {account: account_id for account, account_id in rows}


async def test_biller_filters_and_edits_a_portion(page: Page, staff: Staff, db, shot,
                                                  tmp_path: Path) -> None:
    ids = await synced_accounts(db, staff.practice_id, tmp_path / "drop")
    await sign_in(page, staff.biller)
    await page.goto("/accounts")
    await expect(page.locator("#accounts tbody tr")).to_have_count(3)
    await shot("accounts")
    await page.select_option("#account-search select[name=bucket]", "91_120")
    async with page.expect_navigation():
        await page.click("#account-filter")
    await expect(page.locator("#accounts tbody tr")).to_have_count(1)
    await expect(page.locator("#accounts tbody")).to_contain_text("A2")
    await page.goto(f"/accounts/{ids['A1']}")
    row = page.locator("#portion-patient_portion")
    await expect(row.locator(".synced")).to_have_text("40.00")
    await expect(row.locator(".effective")).to_have_text("40.00")
    await page.select_option("#edit-field", "patient_portion")
    await page.fill("#edit-value", "30")
    await page.fill("#edit-reason", "promised payment")
    async with page.expect_navigation():
        await page.click("#edit-save")
    await expect(page.locator("#done-flash")).to_contain_text("Patient portion changed")
    await expect(row.locator(".synced")).to_have_text("40.00")
    await expect(row.locator(".effective")).to_have_text("30.00")
    await expect(page.locator("#edits tbody")).to_contain_text("promised payment")
    await expect(page.locator("#edits tbody")).to_contain_text(staff.biller)
    await shot("account")
    edit = await db.scalar(select(BalanceEdit).where(
        BalanceEdit.account_balance_id == ids["A1"]))
    assert edit is not None and str(edit.new_value) == "30.00" and edit.actor.startswith("user:")


async def test_viewer_reads_but_cannot_edit(page: Page, staff: Staff, db, server: Server,
                                            tmp_path: Path) -> None:
    ids = await synced_accounts(db, staff.practice_id, tmp_path / "drop")
    await sign_in(page, staff.viewer)
    await page.goto(f"/accounts/{ids['A3']}")
    await expect(page.locator("#portion-insurance_portion .effective")).to_have_text("75.00")
    await expect(page.locator("#edit-portion")).to_have_count(0)
    r = await post_as(page, server, f"/accounts/{ids['A3']}/portion",
                      {"field": "insurance_portion", "value": "1.00", "reason": "forged"})
    assert r.status_code == 403
    assert await db.scalar(select(BalanceEdit.id).where(
        BalanceEdit.account_balance_id == ids["A3"])) is None


async def test_blank_reason_is_a_message_and_nothing_changes(page: Page, staff: Staff, db,
                                                             server: Server,
                                                             tmp_path: Path) -> None:
    ids = await synced_accounts(db, staff.practice_id, tmp_path / "drop")
    await sign_in(page, staff.biller)
    await page.goto(f"/accounts/{ids['A1']}")
    r = await post_as(page, server, f"/accounts/{ids['A1']}/portion",
                      {"field": "patient_portion", "value": "12.00", "reason": " "})
    assert r.status_code == 400 and "reason is required" in r.text
    r = await post_as(page, server, f"/accounts/{ids['A1']}/portion",
                      {"field": "patient_portion", "value": "1.2.3", "reason": "x"})
    assert r.status_code == 400 and "not an amount" in r.text
    assert await db.scalar(select(BalanceEdit.id).where(
        BalanceEdit.account_balance_id == ids["A1"])) is None


async def test_the_claim_detail_of_an_account_shows(page: Page, staff: Staff, db,
                                                    tmp_path: Path) -> None:
    folder = tmp_path / "drop-claims"
    folder.mkdir()
    (folder / "ar.csv").write_text(
        "Acct #,Balance,Pat Bal,Ins Bal,Current,Open Claims\n"
        "A1,100.00,20.00,80.00,100.00,C-1|11/02/2026|VSP|50.00;C-2||EyeMed|30.00\n")
    cid = await create_connector(db, staff.practice_id, "compulink", "Compulink", {
        "transport": "local",
        "balances": {"remote": {"transport": "local"}, "folder": str(folder)}})
    await sync_connector(db, staff.practice_id, cid)
    await db.commit()
    a1 = await db.scalar(select(AccountBalance.id).where(
        AccountBalance.practice_id == staff.practice_id))
    await sign_in(page, staff.viewer)
    await page.goto(f"/accounts/{a1}")
    rows = page.locator("#claims tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("C-1")
    await expect(rows.nth(0)).to_contain_text("50.00")
    await expect(rows.nth(1)).to_contain_text("EyeMed")
