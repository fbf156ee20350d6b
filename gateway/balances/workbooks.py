"""The `.xlsx` files of the balances domain: the collection worklist and the A/R summary
(with an openpyxl bar chart). Amounts are written as numbers with a money format; they come
from Decimals quantized to cents, never from floats computed here."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from gateway.balances.collections import WorklistEntry
from gateway.balances.reports import ArSummary

MONEY_FORMAT = "#,##0.00"
WORKLIST_HEADERS = ("Rule", "Action", "Account", "Location", "Payer", "Patient portion",
                    "Total", "Oldest bucket", "Last payment")


def worklist_xlsx(entries: list[WorklistEntry]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Worklist"
    ws.append(WORKLIST_HEADERS)
    for e in entries:
        ws.append([e.rule, e.action, e.account, e.location or "", e.payer_name or "",
                   e.patient_portion, e.total, e.oldest_bucket or "", e.last_payment])
        row = ws.max_row
        for col in (6, 7):
            ws.cell(row, col).number_format = MONEY_FORMAT
        ws.cell(row, 9).number_format = "yyyy-mm-dd"
    return _save(wb)


def ar_summary_xlsx(summary: ArSummary) -> bytes:
    """Sheets: by payer and by location (bucket columns), the trend, and a bar chart of the
    buckets by payer."""
    wb = Workbook()
    by_payer = wb.active
    assert by_payer is not None
    by_payer.title = "By payer"
    _grid(by_payer, "Payer", summary.buckets, summary.by_payer)
    _grid(wb.create_sheet("By location"), "Location", summary.buckets, summary.by_location)
    trend = wb.create_sheet("Trend")
    trend.append(["Sync", "Synced at", "Total", *summary.buckets])
    for point in summary.trend:
        trend.append([point.sync_id, point.synced_at.replace(tzinfo=None), point.total,
                      *(point.buckets[b] for b in summary.buckets)])
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    chart.title, chart.y_axis.title = "A/R by payer and bucket", "Balance"
    rows = len(summary.by_payer)
    data = Reference(by_payer, min_col=2, max_col=1 + len(summary.buckets), min_row=1,
                     max_row=1 + rows)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(by_payer, min_col=1, min_row=2, max_row=1 + rows))
    by_payer.add_chart(chart, f"A{rows + 4}")
    return _save(wb)


def _grid(ws: object, label: str, buckets: tuple[str, ...],
          rows: dict[str, dict[str, Decimal]]) -> None:
    from openpyxl.worksheet.worksheet import Worksheet

    assert isinstance(ws, Worksheet)
    ws.append([label, *buckets, "Total"])
    for name, values in rows.items():
        ws.append([name, *(values[b] for b in buckets), sum(values.values(), Decimal("0.00"))])
        for col in range(2, len(buckets) + 3):
            ws.cell(ws.max_row, col).number_format = MONEY_FORMAT


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
