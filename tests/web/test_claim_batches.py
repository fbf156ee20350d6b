"""The 'claim batches to send or print' page: the dashboard counter leads there, the PDF of a
print batch downloads in both forms, and a biller marks it printed then mailed (a viewer
sees no marks)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from playwright.async_api import Page, expect
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.payers import get_or_add_payer
from gateway.clearinghouse.models import ClaimBatch
from gateway.db.models import Coverage
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims, get_or_create_patient
from gateway.paper.forms import Provider
from gateway.paper.service import build_print_batch
from tests.web.conftest import Staff, sign_in


async def _arrange(db: AsyncSession, staff: Staff) -> int:
    """One print batch of a paper claim, and one electronic batch waiting to be sent."""
    payer, _ = await get_or_add_payer(db, staff.practice_id, "Union Vision Fund", None)
    payer.accepts_electronic_claims = False
    pid = await get_or_create_patient(db, staff.practice_id, PatientIn(
        account="W1", first_name="Kim", last_name="Park", dob=dt.date(1970, 2, 3)))
    db.add(Coverage(patient_id=pid, payer_id=payer.id, rank=1, member_id="UVF778"))
    await db.flush()
    await create_claims(db, staff.practice_id, [ClaimIn(
        patient=PatientIn(account="W1"), payer_id=payer.id, service_date_from=dt.date(2026, 11, 2),
        diagnosis_codes=["H52.13"],
        lines=[ClaimLineIn(procedure_code="92014", charge=Decimal("150.00"))])])
    built = await build_print_batch(db, staff.practice_id, Provider(
        name="Bright Eyes", npi="1234567893", tin="123456789"))
    db.add(ClaimBatch(practice_id=staff.practice_id, name=f"CLM{staff.practice_id}_1.837",
                      interchange_control_number="1", group_control_number="1",
                      transaction_control_number="1", status="built", claim_count=1,
                      content=b"ISA", size=3, sha256="0" * 64))
    await db.commit()
    assert built.batch_id is not None
    return built.batch_id


async def test_a_biller_downloads_prints_and_mails_a_batch(page: Page, staff: Staff, db,
                                                           shot) -> None:
    batch_id = await _arrange(db, staff)
    await sign_in(page, staff.biller)
    await expect(page.locator("#count-batches-to-send .n")).to_have_text("2")
    async with page.expect_navigation():
        await page.click("#count-batches-to-send")
    assert page.url.endswith("/claims/waiting")
    await expect(page.locator("#waiting-summary")).to_contain_text("1 to send, 1 to print")
    row = page.locator(f"#print-batch-{batch_id}")
    for form in ("preprinted", "plain"):
        href = await row.locator(f"a.pdf-{form}").get_attribute("href")
        assert href is not None
        response = await page.request.get(href)
        assert response.headers["content-type"] == "application/pdf"
        text = PdfReader(io.BytesIO(await response.body())).pages[0].extract_text()
        assert "UVF778" in text and "PARK, KIM" in text and "92014" in text
    await shot("claim-batches")
    async with page.expect_navigation():
        await row.locator("button.mark").click()
    await expect(page.locator("#done-flash")).to_contain_text(f"{batch_id} marked printed")
    await expect(row).to_contain_text("printed")
    async with page.expect_navigation():
        await row.locator("button.mark").click()
    await expect(page.locator(f"#mailed-batch-{batch_id}")).to_be_visible()
    await expect(page.locator(f"#print-batch-{batch_id}")).to_have_count(0)
    await page.goto("/")
    await expect(page.locator("#count-batches-to-send .n")).to_have_text("1")


async def test_a_viewer_sees_the_batches_without_marks(page: Page, staff: Staff, db) -> None:
    batch_id = await _arrange(db, staff)
    await sign_in(page, staff.viewer)
    await page.goto("/claims/waiting")
    await expect(page.locator(f"#print-batch-{batch_id}")).to_contain_text("built")
    await expect(page.locator("button.mark")).to_have_count(0)
    response = await page.request.post(f"/claims/print-batches/{batch_id}/printed")
    assert response.status in (403, 400)
