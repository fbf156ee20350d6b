"""Helpers for the aging tests: fixture bytes, workbooks built with openpyxl, table counts."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.aging.models import AgingSnapshot, AgingSnapshotItem
from gateway.core.plugins import get_plugin_manager
from gateway.core.records import AgingContext, AgingExport, AgingSource
from gateway.db.models import AuditLog, ImportedFile, Notification, Patient, Payer
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry

FIXTURES = Path(__file__).parent.parent / "fixtures" / "aging"

TABLES = (Claim, ClaimLine, LedgerEntry, Patient, Payer, Notification, ImportedFile,
          AgingSnapshot, AgingSnapshotItem, AuditLog)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def source(name: str, content: bytes | None = None) -> AgingSource:
    return AgingSource(name=name, content=fixture(name) if content is None else content)


def parse(vendor: str, name: str, content: bytes | None = None,
          context: AgingContext | None = None) -> AgingExport:
    pm = get_plugin_manager()
    export = pm.hook.gateway_parse_aging_export(
        vendor=vendor, source=source(name, content), context=context or AgingContext()
    )
    assert export is not None
    return export.materialize()


def total(export: AgingExport) -> Decimal:
    return sum((r.balance for r in export.rows), Decimal("0.00"))


def xlsx(rows: list[list[object]], title: str = "Sheet1") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table, to prove that a rejected file wrote nothing."""
    out = {}
    for model in TABLES:
        out[model.__tablename__] = await session.scalar(select(func.count()).select_from(model))
    return out
