"""Paper claims (billed on paper, a payer without electronic claims, a secondary to a payer
without electronic COB) go into a print batch, not an 837P; the batch's CMS-1500 PDF, read
back with pypdf, holds each claim's fields at their boxes in both forms; a biller marks it
printed then mailed (audited, in that order only), which bills its claims; the dashboard
count of batches waiting falls as they go, and each new batch notifies once."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.connectors import create_connector
from gateway.admin.payers import get_or_add_payer
from gateway.clearinghouse.models import ClaimBatch, ClaimBatchClaim
from gateway.core.errors import UserError
from gateway.db.engine import make_sessionmaker
from gateway.db.models import AuditLog, Coverage, Notification, Payer
from gateway.jobs.service import JobIn, define_job, run_fire
from gateway.ledger.models import Claim
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims, get_or_create_patient
from gateway.paper import service as paper
from gateway.paper.cms1500 import BOXES, LEFT_PT, LINE_COLUMNS, LINE_ROWS, diagnosis_position
from gateway.paper.pdf import BASELINE_PT
from tests.clearinghouse.conftest import Remote
from tests.clearinghouse.test_batches import EDI
from tests.clearinghouse.test_cob import _post_era, _visit

FIRE = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
CODES = ["92004", "92015", "92250", "92133", "92083", "92020", "92025", "92060"]


async def _claim(session: AsyncSession, practice_id: int, payer: Payer, account: str, *,
                 billing: str = "electronic", codes: list[str] | None = None) -> int:
    pid = await get_or_create_patient(session, practice_id, PatientIn(
        account=account, first_name="Ann", last_name=f"Lee{account}", dob=dt.date(1961, 3, 4)))
    session.add(Coverage(patient_id=pid, payer_id=payer.id, rank=1, member_id=f"MEM{account}",
                         group_number=f"G{account}"))
    await session.flush()
    (cid,) = await create_claims(session, practice_id, [ClaimIn(
        patient=PatientIn(account=account), payer_id=payer.id, payer_rank=1,
        service_date_from=dt.date(2026, 11, 2), patient_control_number=f"PCN{account}",
        diagnosis_codes=["H52.13", "H40.011"],
        lines=[ClaimLineIn(procedure_code=code, charge=Decimal("10.00") * (n + 1),
                           diagnosis_pointers=[1, 2])
               for n, code in enumerate(codes or ["92014"])])])
    claim = await session.get(Claim, cid)
    assert claim is not None
    claim.billing = billing
    return cid


@pytest.fixture
async def world(session: AsyncSession, practice, local_remote: Remote) -> dict[str, int]:
    primary_id, secondary_id = await _visit(session, practice.practice_id)
    await _post_era(session, practice.practice_id, primary_id, [
        (Decimal("100.00"), Decimal("45.00"), Decimal("20.00")),
        (Decimal("50.00"), Decimal("20.00"), Decimal("10.00"))])
    secondary = await session.get(Claim, secondary_id)
    assert secondary is not None
    medicare = await session.get(Payer, secondary.payer_id)
    assert medicare is not None
    medicare.accepts_electronic_cob = False
    vba, _ = await get_or_add_payer(session, practice.practice_id, "Vision Benefits of America",
                                    "VBA01")
    paper_payer, _ = await get_or_add_payer(session, practice.practice_id, "Local Union Plan",
                                            None)
    paper_payer.accepts_electronic_claims = False
    ids = {
        "cob": secondary_id,
        "electronic": await _claim(session, practice.practice_id, vba, "E1"),
        "on_paper": await _claim(session, practice.practice_id, vba, "P1", billing="paper"),
        "paper_payer": await _claim(session, practice.practice_id, paper_payer, "P2",
                                    codes=CODES),
    }
    ids["connector"] = await create_connector(session, practice.practice_id,
                                              "clearinghouse_sftp", "ch",
                                              local_remote.config_dict(edi=EDI))
    await session.commit()
    return ids


async def _run_batch_claims(engine: AsyncEngine, session: AsyncSession, practice_id: int,
                            connector_id: int, name: str = "batch") -> dict:
    job_id = await define_job(session, practice_id, JobIn(
        name=name, kind="batch_claims", pattern="daily", start_date=dt.date(2026, 11, 1),
        connector_id=connector_id, params={"upload_after_batching": True}))
    await session.commit()
    out = await run_fire(make_sessionmaker(engine), job_id, FIRE)
    assert out.status == "ok", out.error
    return out.result


def _grid(pdf: bytes) -> list[dict[tuple[int, int], str]]:
    """Per page, the data text (Courier) by the grid cell it starts in."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        cells: dict[tuple[int, int], str] = {}

        def visit(text: str, cm: list, tm: list, font: dict | None, size: float,
                  cells: dict[tuple[int, int], str] = cells) -> None:
            if not text.strip() or not font or "Courier" not in str(font.get("/BaseFont")):
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            col = (x - LEFT_PT) / 7.2
            row = (792 - y - BASELINE_PT) / 12
            assert abs(col - round(col)) < 0.01 and abs(row - round(row)) < 0.01, (text, x, y)
            cells[(round(col), round(row))] = text.strip()
        page.extract_text(visitor_text=visit)
        pages.append(cells)
    return pages


def _at(box: str) -> tuple[int, int]:
    return BOXES[box].col, BOXES[box].row


async def test_paper_claims_print_in_both_forms_at_their_boxes(
        engine: AsyncEngine, session: AsyncSession, practice, world):
    result = await _run_batch_claims(engine, session, practice.practice_id, world["connector"])
    assert result["print_batch"]["claims"] == 3, result
    assert not any("paper" in why or "print" in why for why in result["reasons"]), result
    sent = (await session.scalars(select(ClaimBatchClaim.claim_id))).all()
    assert list(sent) == [world["electronic"]]  # the 837P holds the electronic claim only
    batch_id = result["print_batch"]["id"]
    batch = await paper.get_print_batch(session, practice.practice_id, batch_id)
    assert (batch.claim_count, batch.page_count) == (3, 4)  # eight lines take two forms
    assert batch.total_charge == Decimal("245.00") + Decimal("10.00") + Decimal("360.00")
    for kind in ("preprinted", "plain"):
        _, pdf = await paper.batch_pdf(session, practice.practice_id, batch_id, kind)
        cob, on_paper, first, second = _grid(pdf)  # claims in id order
        assert cob[_at("1a")] == "1EG4TE5MK72" and cob[_at("2")] == "SMITH, JANE"
        assert cob[_at("3")] == "05 01 1950" and cob[_at("26")] == "V1R2"
        assert cob[_at("9d")] == "VISION BENEFITS OF AMERICA" and cob[_at("9a")] == "VBA123"
        assert cob[_at("11d_yes")] == "X" and cob[_at("29")].split() == ["150", "00"]
        assert cob[_at("28")].split() == ["245", "00"]
        assert cob[(LINE_COLUMNS["24d"][0], LINE_ROWS[1])] == "92015"
        assert cob[(LINE_COLUMNS["24f"][0], LINE_ROWS[0])].split() == ["165", "00"]
        assert on_paper[_at("1a")] == "MEMP1" and on_paper[_at("11")] == "GP1"
        assert on_paper[diagnosis_position(0)] == "H52.13"
        assert on_paper[diagnosis_position(1)] == "H40.011"
        assert on_paper[(LINE_COLUMNS["24e"][0], LINE_ROWS[0])] == "AB"
        assert on_paper[_at("33a")] == "1234567893" and on_paper[_at("25")] == "123456789"
        assert on_paper[_at("33")] == "BRIGHT EYES OPTOMETRY"
        assert [first[(LINE_COLUMNS["24d"][0], r)] for r in LINE_ROWS] == CODES[:6]
        assert [second[(LINE_COLUMNS["24d"][0], r)] for r in LINE_ROWS[:2]] == CODES[6:]
        assert first[_at("28")].split() == ["210", "00"]  # 10+20+...+60, this form's own
        assert second[_at("28")].split() == ["150", "00"]
        assert _at("11d_yes") not in first and first[_at("11d_no")] == "X"


async def test_print_then_mail_is_audited_bills_the_claims_and_clears_the_counter(
        engine: AsyncEngine, session: AsyncSession, practice, world):
    before = await paper.waiting_batches(session, practice.practice_id)
    assert before.total == 0
    result = await _run_batch_claims(engine, session, practice.practice_id, world["connector"])
    batch_id = result["print_batch"]["id"]
    waiting = await paper.waiting_batches(session, practice.practice_id)
    assert (waiting.to_print, waiting.to_mail, waiting.to_send) == (1, 0, 0)
    notes = await session.scalar(select(func.count()).select_from(Notification).where(
        Notification.object_type == "print_batch", Notification.object_id == batch_id))
    assert notes == 3  # one per active user of the practice, for this one new batch
    with pytest.raises(UserError, match="only a printed batch"):
        await paper.mark_mailed(session, practice.practice_id, batch_id, actor="biller")
    await paper.mark_printed(session, practice.practice_id, batch_id, actor="biller")
    await session.commit()
    waiting = await paper.waiting_batches(session, practice.practice_id)
    assert (waiting.to_print, waiting.to_mail) == (0, 1)
    with pytest.raises(UserError, match="only a built batch"):
        await paper.mark_printed(session, practice.practice_id, batch_id, actor="biller")
    await paper.mark_mailed(session, practice.practice_id, batch_id, actor="biller")
    await session.commit()
    assert (await paper.waiting_batches(session, practice.practice_id)).total == 0
    actions = (await session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == "print_batch").order_by(AuditLog.id))).all()
    assert list(actions) == ["print_batch.printed", "print_batch.mailed"]
    session.expire_all()
    states = (await session.scalars(select(Claim.billing_state).where(
        Claim.id.in_([world["cob"], world["on_paper"], world["paper_payer"]])))).all()
    assert set(states) == {"billed"}
    again = await _run_batch_claims(engine, session, practice.practice_id, world["connector"],
                                    name="again")
    assert again["batched"] == 0 and again["print_batch"]["claims"] == 0


async def test_a_built_batch_waiting_for_a_biller_counts_and_notifies(
        engine: AsyncEngine, session: AsyncSession, practice, world):
    job_id = await define_job(session, practice.practice_id, JobIn(
        name="hold", kind="batch_claims", pattern="daily", start_date=dt.date(2026, 11, 1),
        connector_id=world["connector"], params={"upload_after_batching": False}))
    await session.commit()
    out = await run_fire(make_sessionmaker(engine), job_id, FIRE)
    assert out.status == "ok", out.error
    waiting = await paper.waiting_batches(session, practice.practice_id)
    assert (waiting.to_send, waiting.to_print, waiting.total) == (1, 1, 2)
    built = await session.scalar(select(ClaimBatch.id))
    notes = await session.scalar(select(func.count()).select_from(Notification).where(
        Notification.object_type == "claim_batch", Notification.object_id == built))
    assert notes == 3


async def test_a_foreign_or_unknown_form_is_refused(session: AsyncSession, practice,
                                                    other_practice, world, engine):
    result = await _run_batch_claims(engine, session, practice.practice_id, world["connector"])
    with pytest.raises(UserError, match="form must be one of"):
        await paper.batch_pdf(session, practice.practice_id, result["print_batch"]["id"], "red")
    from gateway.core.errors import NotFound
    with pytest.raises(NotFound):
        await paper.batch_pdf(session, other_practice.practice_id,
                              result["print_batch"]["id"], "plain")


async def test_the_api_lists_downloads_and_marks(engine: AsyncEngine, session: AsyncSession,
                                                 practice, other_practice, world, client):
    result = await _run_batch_claims(engine, session, practice.practice_id, world["connector"])
    batch_id = result["print_batch"]["id"]
    viewer, biller = practice.headers("viewer"), practice.headers("biller")
    listed = (await client.get("/api/print-batches?status=built", headers=viewer)).json()
    assert [b["id"] for b in listed["items"]] == [batch_id] and listed["total"] == 1
    waiting = (await client.get("/api/print-batches/waiting", headers=viewer)).json()
    assert waiting == {"to_send": 0, "to_print": 1, "to_mail": 0, "total": 1}
    r = await client.get(f"/api/print-batches/{batch_id}/pdf?form=plain", headers=viewer)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert len(_grid(r.content)) == 4
    bad = await client.get(f"/api/print-batches/{batch_id}/pdf?form=red", headers=viewer)
    assert bad.status_code == 422
    foreign = await client.get(f"/api/print-batches/{batch_id}",
                               headers=other_practice.headers("admin"))
    assert foreign.status_code == 404
    assert (await client.post(f"/api/print-batches/{batch_id}/printed",
                              headers=viewer)).status_code == 403
    early = await client.post(f"/api/print-batches/{batch_id}/mailed", headers=biller)
    assert early.status_code == 422 and "only a printed batch" in early.text
    printed = await client.post(f"/api/print-batches/{batch_id}/printed", headers=biller)
    assert printed.status_code == 200 and printed.json()["status"] == "printed"
    mailed = await client.post(f"/api/print-batches/{batch_id}/mailed", headers=biller)
    assert mailed.json()["status"] == "mailed" and mailed.json()["mailed_at"]


async def test_the_cli_lists_writes_the_pdf_and_marks(engine: AsyncEngine,
                                                      session: AsyncSession, practice, world,
                                                      gateway, tmp_path):
    result = await _run_batch_claims(engine, session, practice.practice_id, world["connector"])
    batch_id = str(result["print_batch"]["id"])
    pid = str(practice.practice_id)
    out = gateway("print-batches", "waiting", "--practice", pid, "--json")
    assert out.code == 0 and '"to_print":1' in out.out, out
    pdf = tmp_path / "batch.pdf"
    out = gateway("print-batches", "pdf", batch_id, "--practice", pid, "--out", str(pdf))
    assert out.code == 0, out
    assert len(_grid(pdf.read_bytes())) == 4
    out = gateway("print-batches", "mailed", batch_id, "--practice", pid)
    assert out.code == 2 and "only a printed batch" in out.err
    assert gateway("print-batches", "printed", batch_id, "--practice", pid).code == 0
    out = gateway("print-batches", "list", "--practice", pid, "--json")
    assert '"status":"printed"' in out.out
