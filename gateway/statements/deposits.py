"""Statement deposits: the money one payment file moved, as a deposit of type Statement, so
deposit search and the reconciliation workbook count it.

Its amount is the sum of the file's new money statuses (Settled, less the reversals); its
payments are the same events as stored (`StatementPaymentEvent.deposit_amount`), so the
deposit balances (difference 0) exactly when every money event of the file was recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import ZERO
from gateway.db.upsert import insert_if_absent
from gateway.posting.models import Deposit
from gateway.statements.models import StatementPaymentEvent

DEPOSIT_TYPE = "Statement"
PAYER = "Data Media ePayments"


async def create_file_deposit(
    session: AsyncSession, practice_id: int, imported_file_id: int, file_name: str,
    deposit_date: dt.date, amount: Decimal, *, any_unprocessed: bool,
) -> int:
    """The file's Statement deposit (once per file: the dedupe key decides)."""
    key = f"statement-file:{imported_file_id}"
    new_id = await insert_if_absent(session, cast(Table, Deposit.__table__), {
        "practice_id": practice_id, "type": DEPOSIT_TYPE, "status": "Sent to Posting",
        "posted_status": "Being Disbursed" if any_unprocessed else "Disbursed",
        "deposit_date": deposit_date, "era_payer_name": PAYER, "credit_debit": "C",
        "amount": amount, "plb_total": ZERO, "imported_file_id": imported_file_id,
        "file_sequence": 1, "file_name": file_name[:400], "dedupe_key": key,
    }, ["practice_id", "dedupe_key"])
    if new_id is not None:
        return new_id
    existing: int = (await session.execute(select(Deposit.id).where(
        Deposit.practice_id == practice_id, Deposit.dedupe_key == key))).scalar_one()
    return existing


@dataclass
class FileDeposit:
    """The Statement deposit of one file: made when the file's first money event comes (a
    file of waiting or failed payments has none), its amount summed as chunks go by."""

    practice_id: int
    imported_file_id: int
    file_name: str
    deposit_date: dt.date
    id: int | None = None
    amount: Decimal = ZERO

    async def take(self, session: AsyncSession, amount: Decimal) -> int:
        """Add a chunk's money to the deposit (made on first use); the deposit's id."""
        if self.id is None:
            self.id = await create_file_deposit(
                session, self.practice_id, self.imported_file_id, self.file_name,
                self.deposit_date, ZERO, any_unprocessed=False)
        self.amount += amount
        return self.id

    async def settle(self, session: AsyncSession, *, any_unprocessed: bool) -> None:
        """Store the summed amount, and whether payments of it still wait for a person."""
        if self.id is not None:
            await session.execute(update(Deposit).where(Deposit.id == self.id).values(
                amount=self.amount,
                posted_status="Being Disbursed" if any_unprocessed else "Disbursed"))


async def statement_payment_totals(session: AsyncSession,
                                   deposit_ids: Sequence[int]) -> dict[int, Decimal]:
    """Σ of the stored money events per Statement deposit (what deposit search shows as its
    payments)."""
    out: dict[int, Decimal] = {}
    for i in range(0, len(deposit_ids), 500):
        rows = await session.execute(
            select(StatementPaymentEvent.deposit_id,
                   func.sum(StatementPaymentEvent.deposit_amount))
            .where(StatementPaymentEvent.deposit_id.in_(deposit_ids[i:i + 500]))
            .group_by(StatementPaymentEvent.deposit_id))
        out.update((d, total or ZERO) for d, total in rows)
    return out
