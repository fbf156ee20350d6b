"""Collection rules produce a worklist (accounts leave it when they stop matching) exported as
.xlsx; the A/R summary as JSON and as a workbook with a bar chart, checked cell by cell."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart

from gateway.balances.collections import add_rule, worklist
from gateway.balances.edits import set_portion
from gateway.balances.reports import ar_summary
from gateway.balances.service import sync_connector
from gateway.balances.workbooks import WORKLIST_HEADERS, ar_summary_xlsx, worklist_xlsx
from gateway.core.errors import UserError
from gateway.core.money import parse_money
from tests.balances.conftest import drop

TODAY = dt.date(2026, 12, 1)


def _money(value: object) -> Decimal:
    return parse_money(value)  # a spreadsheet number read back, to cents


async def _synced(session, practice, make_connector, tmp_path, fixture="snapshot1") -> int:
    cid = await make_connector(practice.practice_id, "compulink")
    drop(tmp_path / "drop-compulink", "compulink", fixture)
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    return cid


async def _rules(session, practice) -> None:
    await add_rule(session, practice.practice_id, "collect old", "collections",
                   {"min_patient_portion": "45.00", "oldest_bucket_at_least": "91_120",
                    "no_payment_days": 60})
    await add_rule(session, practice.practice_id, "remind", "reminder",
                   {"min_patient_portion": "10", "oldest_bucket_at_least": "61_90",
                    "not_in_collections": True})
    await session.commit()


async def test_worklist_from_rules_and_its_workbook(session, practice, make_connector,
                                                    tmp_path):
    await _synced(session, practice, make_connector, tmp_path)
    await _rules(session, practice)
    entries = await worklist(session, practice.practice_id, TODAY)
    # A2: 50.00 patient, all in 91-120, never paid -> collections (and so not reminded)
    # A1: 40.00 patient, oldest 61-90 -> reminder; A3 has no patient portion
    assert [(e.rule, e.account) for e in entries] == [("collect old", "A2"), ("remind", "A1")]
    wb = load_workbook(io.BytesIO(worklist_xlsx(entries)))
    ws = wb["Worklist"]
    assert [c.value for c in ws[1]] == list(WORKLIST_HEADERS)
    row2 = [c.value for c in ws[2]]
    assert row2[:5] == ["collect old", "collections", "A2", "Main", None]
    assert (_money(row2[5]), _money(row2[6]), row2[7], row2[8]) == (
        Decimal("50.00"), Decimal("50.00"), "91_120", None)
    row3 = [c.value for c in ws[3]]
    assert row3[:5] == ["remind", "reminder", "A1", "Main", "VSP"]
    assert (_money(row3[5]), _money(row3[6]), row3[7]) == (
        Decimal("40.00"), Decimal("100.00"), "61_90")
    assert row3[8] == dt.datetime(2026, 10, 15) and ws.cell(3, 6).number_format == "#,##0.00"
    assert ws.max_row == 3


async def test_account_leaves_the_worklist_when_it_stops_matching(session, practice,
                                                                  make_connector, tmp_path):
    await _synced(session, practice, make_connector, tmp_path)
    await _rules(session, practice)
    ids = {e.account: e.account_id for e in await worklist(session, practice.practice_id, TODAY)}
    await set_portion(session, practice.practice_id, ids["A1"], field="patient_portion",
                      value=Decimal("5.00"), reason="paid at the desk", actor="cli",
                      user_id=None)
    await session.commit()
    assert [e.account for e in await worklist(session, practice.practice_id, TODAY)] == ["A2"]


async def test_bad_rule_is_refused(session, practice):
    with pytest.raises(UserError):
        await add_rule(session, practice.practice_id, "x", "reminder", {"colour": "red"})
    with pytest.raises(UserError):
        await add_rule(session, practice.practice_id, "x", "shout", {})


async def test_ar_summary_json_and_workbook(session, practice, make_connector, tmp_path):
    cid = await _synced(session, practice, make_connector, tmp_path)
    drop(tmp_path / "drop-compulink", "compulink", "snapshot2")
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    summary = await ar_summary(session, practice.practice_id)
    z = Decimal("0.00")
    assert summary.by_payer == {
        "(none)": {"0_30": z, "31_60": z, "61_90": z, "91_120": Decimal("50.00"),
                   "120_plus": z},
        "VSP": {"0_30": Decimal("40.00"), "31_60": Decimal("20.00"),
                "61_90": Decimal("50.00"), "91_120": z, "120_plus": z},
    }
    assert summary.by_location["North"]["0_30"] == Decimal("30.00")
    assert summary.total == Decimal("160.00")
    assert [(p.total, p.buckets["0_30"]) for p in summary.trend] == [
        (Decimal("225.00"), Decimal("85.00")), (Decimal("160.00"), Decimal("40.00"))]

    wb = load_workbook(io.BytesIO(ar_summary_xlsx(summary)))
    ws = wb["By payer"]
    assert [c.value for c in ws[1]] == ["Payer", "0_30", "31_60", "61_90", "91_120",
                                        "120_plus", "Total"]
    assert ws["A2"].value == "(none)" and _money(ws["E2"].value) == Decimal("50.00")
    assert [_money(c.value) for c in ws[3][1:]] == [
        Decimal("40.00"), Decimal("20.00"), Decimal("50.00"), z, z, Decimal("110.00")]
    loc = wb["By location"]
    assert [loc.cell(r, 1).value for r in (2, 3)] == ["Main", "North"]
    assert _money(loc["G2"].value) == Decimal("130.00")
    assert _money(loc["G3"].value) == Decimal("30.00")
    trend = wb["Trend"]
    assert [_money(trend.cell(r, 3).value) for r in (2, 3)] == [
        Decimal("225.00"), Decimal("160.00")]
    charts = ws._charts  # openpyxl keeps a sheet's charts here
    assert len(charts) == 1 and isinstance(charts[0], BarChart)
