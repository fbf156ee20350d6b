"""The Deposit Reconciliation report as an .xlsx workbook (openpyxl, write-only: memory stays
flat whatever the number of deposits).

Sheet "Deposit Reconciliation": title, filters, one row per deposit, a totals row.
Sheet "Claims": one row per deposit claim of those deposits.
Money cells are numbers with two decimals (written from Decimal, never float).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any, Required, TypedDict, Unpack

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import ZERO
from gateway.posting.deposit_filter import DepositFilter, deposit_conditions
from gateway.posting.models import Deposit, DepositClaim
from gateway.posting.search import deposits_out

DEPOSIT_COLUMNS = [
    "Deposit ID", "Type", "Status", "Posted Status", "Deposit Date", "Check/Trace", "Payer",
    "Owner", "File", "Amount", "Payments", "Adjustments", "PLB Adjustments", "Exclusions",
    "Difference",
    "Claims", "Posted Claims", "Open Errors",
]
MONEY_COLUMNS = ("Amount", "Payments", "Adjustments", "PLB Adjustments", "Exclusions",
                 "Difference")
CLAIM_COLUMNS = [
    "Deposit ID", "Claim Xref", "Claim ID", "Payer Claim Number", "Remit Status", "Charged",
    "Paid", "Allowed", "Deductible", "Coinsurance", "Copay", "Adjustments", "Denied", "State",
    "Result Status", "Result Level",
]
MONEY_FMT = "#,##0.00"
BATCH = 500


class ReportCriteria(TypedDict, total=False):
    """What the report is of, as keywords (the deposit dates are required)."""

    date_from: Required[dt.date]
    date_to: Required[dt.date]
    owner: str | None
    status: str | None
    type: str | None
    imported_file_id: int | None


async def reconciliation_report(session: AsyncSession, practice_id: int, out: str | Path,
                                **criteria: Unpack[ReportCriteria]) -> dict[str, Any]:
    """Write the workbook; returns the totals (and the number of deposits)."""
    date_from, date_to = criteria["date_from"], criteria["date_to"]
    owner, status = criteria.get("owner"), criteria.get("status")
    type, imported_file_id = criteria.get("type"), criteria.get("imported_file_id")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Deposit Reconciliation")
    ws.append([_cell(ws, "Deposit Reconciliation", strong=True)])
    filters = [f"Deposit dates {date_from.isoformat()} to {date_to.isoformat()}"]
    for label, value in (("Owner", owner), ("Status", status), ("Type", type),
                         ("Import file", imported_file_id)):
        if value is not None:
            filters.append(f"{label}: {value}")
    ws.append(["; ".join(filters)])
    ws.append([])
    ws.append([_cell(ws, h, strong=True) for h in DEPOSIT_COLUMNS])
    f = DepositFilter(date_from=date_from, date_to=date_to, owner=owner, status=status,
                      type=type, imported_file_id=imported_file_id)
    q = select(Deposit).where(*deposit_conditions(practice_id, f))
    q = q.order_by(Deposit.deposit_date, Deposit.id)
    totals, counts, deposit_ids = await _deposit_sheet(session, ws, q)
    await _claims_sheet(session, wb.create_sheet("Claims"), deposit_ids)
    wb.save(str(out))
    return {"deposits": len(deposit_ids), **{k: totals[k] for k in MONEY_COLUMNS}, **counts}


_BOLD = Font(bold=True)


def _cell(sheet: Any, value: Any, money: bool = False, strong: bool = False) -> Any:
    c = WriteOnlyCell(sheet, value=value)
    if money:
        c.number_format = MONEY_FMT
    if strong:
        c.font = _BOLD
    return c


def _values(d: Any) -> dict[str, Any]:
    return {
        "Deposit ID": d.id, "Type": d.type, "Status": d.status,
        "Posted Status": d.posted_status, "Deposit Date": d.deposit_date,
        "Check/Trace": d.check_trace_id, "Payer": d.payer, "Owner": d.owner,
        "File": d.file_name, "Amount": d.amount, "Payments": d.payments,
        "Adjustments": d.adjustments, "PLB Adjustments": d.plb_adjustments,
        "Exclusions": d.exclusions, "Difference": d.difference, "Claims": d.claims,
        "Posted Claims": d.posted_claims, "Open Errors": d.open_errors,
    }


async def _deposit_sheet(session: AsyncSession, ws: Any, q: Any,
                         ) -> tuple[dict[str, Decimal], dict[str, int], list[int]]:
    """One row per deposit (in batches: memory stays flat) and the totals row."""
    totals = {k: ZERO for k in MONEY_COLUMNS}
    counts = {"Claims": 0, "Posted Claims": 0, "Open Errors": 0}
    deposit_ids: list[int] = []
    offset = 0
    while True:
        deps = (await session.scalars(q.limit(BATCH).offset(offset))).all()
        if not deps:
            break
        offset += len(deps)
        for d in await deposits_out(session, deps):
            deposit_ids.append(d.id)
            values = _values(d)
            for k in MONEY_COLUMNS:
                totals[k] += values[k]
            for k in counts:
                counts[k] += values[k]
            row = []
            for h in DEPOSIT_COLUMNS:
                c = _cell(ws, values[h], money=h in MONEY_COLUMNS)
                if h == "Deposit Date":
                    c.number_format = "yyyy-mm-dd"
                row.append(c)
            ws.append(row)
    total_row = []
    for h in DEPOSIT_COLUMNS:
        if h == "Deposit ID":
            total_row.append(_cell(ws, "Totals", strong=True))
        elif h in totals:
            total_row.append(_cell(ws, totals[h], money=True, strong=True))
        elif h in counts:
            total_row.append(_cell(ws, counts[h], strong=True))
        else:
            total_row.append(None)
    ws.append(total_row)
    return totals, counts, deposit_ids


async def _claims_sheet(session: AsyncSession, cs: Any, deposit_ids: list[int]) -> None:
    cs.append([_cell(cs, h, strong=True) for h in CLAIM_COLUMNS])
    for i in range(0, len(deposit_ids), BATCH):
        chunk = deposit_ids[i : i + BATCH]
        rows = (await session.execute(
            select(DepositClaim.deposit_id, DepositClaim.claim_xref, DepositClaim.claim_id,
                   DepositClaim.payer_claim_number, DepositClaim.remit_status,
                   DepositClaim.charged, DepositClaim.paid, DepositClaim.allowed,
                   DepositClaim.deductible, DepositClaim.coinsurance, DepositClaim.copay,
                   DepositClaim.adjustments, DepositClaim.denied, DepositClaim.state,
                   DepositClaim.result_status, DepositClaim.result_level)
            .where(DepositClaim.deposit_id.in_(chunk))
            .order_by(DepositClaim.deposit_id, DepositClaim.sequence)
        )).all()
        for r in rows:
            cs.append([_cell(cs, v, money=isinstance(v, Decimal)) for v in r])
