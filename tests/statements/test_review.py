"""The Statement ePayments view: unprocessed by default, a date range of everything with what
it became, Mark Reviewed (audited), the .xlsx export and the reconciliation workbook."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from gateway.core.errors import NotFound, UserError
from gateway.db.models import AuditLog
from gateway.posting.report import reconciliation_report
from gateway.statements import review
from gateway.statements.importer import import_payment_file
from gateway.statements.models import StatementPaymentRecord
from gateway.statements.schemas import PaymentSearch
from tests.statements import helpers as h


async def _arrange(session, pid, tmp_path):
    await h.patient_with_claim(session, pid, "A1", "80.00")
    spf = h.as_file(tmp_path, "f.csv", h.text(
        h.row("P1", "Settled", "10.00"),
        h.row("P2", "Settled", "11.00", account="ZZ", statement="S-ZZ"),
        h.row("P3", "Failed", "12.00"), h.row("P4", "Settled", "13.00", statement="S-X"),
        h.row("P5", "Pending", "14.00", paid_on=h.DAY - dt.timedelta(days=30))))
    return await import_payment_file(session, pid, spf, today=h.DAY)


async def _ids(session, *txids):
    rows = dict((await session.execute(select(StatementPaymentRecord.transaction_id,
                                              StatementPaymentRecord.id))).tuples().all())
    return [rows[t] for t in txids]


async def test_default_view_is_the_unprocessed_with_reasons_and_mark_reviewed_clears_it(
        session, practice, other_practice, tmp_path):
    pid = practice.practice_id
    await _arrange(session, pid, tmp_path)
    queue = await review.search(session, pid)
    assert {(p.transaction_id, p.reason) for p in queue} == {
        ("P2", "patient account 'ZZ' not found"), ("P4", "statement 'S-X' not found")}
    assert await review.unprocessed_count(session, pid) == 2
    p2, p4, p1 = await _ids(session, "P2", "P4", "P1")
    with pytest.raises(UserError, match="is posted, not unprocessed"):
        await review.mark_reviewed(session, pid, [p2, p1], actor="user:7")
    with pytest.raises(NotFound):
        await review.mark_reviewed(session, other_practice.practice_id, [p2], actor="user:9")
    done = await review.mark_reviewed(session, pid, [p2, p4], actor="user:7", user_id=None)
    assert done.reviewed == [p2, p4]
    again = await review.mark_reviewed(session, pid, [p2], actor="user:7")
    assert (again.reviewed, again.already_reviewed) == ([], [p2])
    assert await review.search(session, pid) == []
    assert await review.unprocessed_count(session, pid) == 0
    await session.flush()
    audits = (await session.scalars(select(AuditLog.object_id).where(
        AuditLog.action == "statement_payment.review"))).all()
    assert sorted(audits) == sorted([p2, p4])
    shown = await review.show(session, pid, p2)
    assert shown.reviewed_by == "user:7" and shown.reviewed_at is not None


async def test_a_date_range_reports_every_payment_with_what_it_became(session, practice,
                                                                      tmp_path):
    pid = practice.practice_id
    await _arrange(session, pid, tmp_path)
    window = PaymentSearch(date_from=h.DAY - dt.timedelta(days=7), date_to=h.DAY)
    became = {p.transaction_id: p.state for p in await review.search(session, pid, window)}
    assert became == {"P1": "posted", "P2": "unprocessed", "P3": "not_posted",
                      "P4": "unprocessed"}
    older = PaymentSearch(date_from=h.DAY - dt.timedelta(days=40), date_to=h.DAY,
                          state="waiting")
    assert [p.transaction_id for p in await review.search(session, pid, older)] == ["P5"]
    with pytest.raises(UserError, match="after date_to"):
        await review.search(session, pid, PaymentSearch(date_from=h.DAY,
                                                        date_to=h.DAY - dt.timedelta(days=1)))


async def test_the_xlsx_export_and_the_reconciliation_workbook(session, practice, tmp_path):
    pid = practice.practice_id
    res = await _arrange(session, pid, tmp_path)
    data = await review.export_xlsx(session, pid, PaymentSearch(date_from=h.DAY,
                                                                date_to=h.DAY))
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("Payment ID", "Transaction ID", "Status", "Became")
    by_tx = {r[1]: r for r in rows[1:]}
    assert set(by_tx) == {"P1", "P2", "P3", "P4"}
    assert by_tx["P1"][3] == "posted" and D(str(by_tx["P1"][11])) == D("10.00")
    out = tmp_path / "recon.xlsx"
    totals = await reconciliation_report(session, pid, out, date_from=h.DAY, date_to=h.DAY,
                                         type="Statement")
    assert totals["deposits"] == 1
    # P1, P2, P4 settled: the deposit holds their money, and balances against it
    assert (totals["Amount"], totals["Payments"], totals["Difference"]) == (
        D("34.00"), D("34.00"), D("0.00"))
    sheet = load_workbook(out)["Deposit Reconciliation"]
    ids = [r[0] for r in sheet.iter_rows(min_row=5, values_only=True)]
    assert res.deposit_id in ids


async def test_post_again_once_the_patient_and_statement_exist(session, practice, tmp_path):
    from gateway.statements.retry import retry

    pid = practice.practice_id
    await _arrange(session, pid, tmp_path)
    p2, p4 = await _ids(session, "P2", "P4")
    await h.patient_with_claim(session, pid, "ZZ", "40.00")  # the missing patient arrives
    out = await retry(session, pid, [p2, p4], actor="user:7", today=h.DAY)
    assert (out.posted, out.still_unprocessed) == ([p2], [p4])
    shown = await review.show(session, pid, p2)
    assert shown.state == "posted" and shown.receipt_id is not None
    assert "statement 'S-X' not found" in (await review.show(session, pid, p4)).reason
