"""Building Data Media payment files and the practice they pay into, for statement tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.records import RemoteFile, StatementPaymentFile
from gateway.plugins.datamedia_statements import read
from gateway.plugins.datamedia_statements.config import DataMediaConfig
from gateway.plugins.datamedia_statements.format import STATUS_CODES, write_file
from gateway.statements.importer import record_statements
from gateway.statements.schemas import StatementIn
from tests.receipts import helpers as rh

CODES = {v: k for k, v in STATUS_CODES.items()}
DAY = dt.date(2026, 11, 20)
REVERSALS = ("Reversed", "ChargeBack", "Returned", "ReverseNSF", "RefundSettled")


def row(payment_id: str, status: str, amount: str, account: str = "A1",
        statement: str | None = "S-A1", debit: bool = False,
        paid_on: dt.date = DAY) -> dict[str, str]:
    return {
        "payment_id": payment_id, "status_code": str(CODES[status]), "status": status,
        "payment_date": paid_on.isoformat(),
        "estimated_settle_date": (paid_on + dt.timedelta(days=2)).isoformat(),
        "is_debit": "1" if debit else "0", "amount": amount, "payment_type": "CC",
        "customer_id": f"C-{account}", "customer_first_name": "Pat",
        "customer_last_name": "Doe", "authorization_trace": f"AUTH{payment_id}",
        "invoice_number": f"INV-{statement}", "statement_id": statement or "",
        "patient_account": account, "narration": "Statement payment, thank you",
    }


def text(*rows: dict[str, str], file_date: dt.date = DAY) -> str:
    return write_file("CLIENT1", file_date, rows)


def as_file(tmp: Path, name: str, content: str) -> StatementPaymentFile:
    """What the plugin hands the core for a file with this content (read by the layout)."""
    path = tmp / name
    path.write_text(content)
    data = path.read_bytes()
    remote = RemoteFile(name=name, kind="statement_payments", local_path=str(path),
                        size=len(data), sha256=hashlib.sha256(data).hexdigest())
    return read(DataMediaConfig(transport="local"), remote)


async def patient_with_claim(session: AsyncSession, practice_id: int, account: str,
                             *balances: str) -> tuple[int, list[int]]:
    """A patient with a statement S-<account> and a statement-level claim owing `balances`."""
    cid, lines = await rh.claim(session, practice_id, account, DAY - dt.timedelta(days=40),
                                *balances, level="Statement", status="Statement")
    await record_statements(session, practice_id, [StatementIn(
        statement_id=f"S-{account}", patient_account=account, statement_date=DAY,
        amount_due=sum((Decimal(b) for b in balances), Decimal("0.00")))])
    return cid, lines
