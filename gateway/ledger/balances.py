"""Balances derived from the ledger: sums per kind, computed in SQL, never stored.

    total     = charge - insurance_payment - insurance_adjustment - patient_payment
                - patient_adjustment
    patient   = transfer_to_patient - patient_payment - patient_adjustment
    insurance = total - patient
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import ZERO
from gateway.ledger.models import LedgerEntry


class Balances(msgspec.Struct, kw_only=True):
    """The money on a claim or a claim line, as the ledger has it."""

    charges: Decimal = ZERO
    insurance_paid: Decimal = ZERO
    adjustments: Decimal = ZERO
    transferred_to_patient: Decimal = ZERO
    patient_paid: Decimal = ZERO
    patient_adjustments: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        return (
            self.charges
            - self.insurance_paid
            - self.adjustments
            - self.patient_paid
            - self.patient_adjustments
        )

    @property
    def patient_balance(self) -> Decimal:
        return self.transferred_to_patient - self.patient_paid - self.patient_adjustments

    @property
    def insurance_balance(self) -> Decimal:
        return self.balance - self.patient_balance

    def add(self, kind: str, amount: Decimal) -> None:
        field = _FIELD_OF_KIND[kind]
        setattr(self, field, getattr(self, field) + amount)

    def as_dict(self) -> dict[str, Decimal]:
        """Every figure a biller sees, derived ones included."""
        return {
            "charges": self.charges,
            "insurance_paid": self.insurance_paid,
            "adjustments": self.adjustments,
            "patient_paid": self.patient_paid,
            "patient_adjustments": self.patient_adjustments,
            "insurance_balance": self.insurance_balance,
            "patient_balance": self.patient_balance,
            "balance": self.balance,
        }


_FIELD_OF_KIND = {
    "charge": "charges",
    "insurance_payment": "insurance_paid",
    "insurance_adjustment": "adjustments",
    "transfer_to_patient": "transferred_to_patient",
    "patient_payment": "patient_paid",
    "patient_adjustment": "patient_adjustments",
}


async def _add_sums(session: AsyncSession, claim_ids: list[int], key: Any,
                    out: dict[int, Balances]) -> None:
    """The ledger of the claims summed by `key` (a LedgerEntry column) and kind into `out`."""
    for chunk_start in range(0, len(claim_ids), 500):
        chunk = claim_ids[chunk_start : chunk_start + 500]
        rows = await session.execute(
            select(key, LedgerEntry.kind, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.claim_id.in_(chunk))
            .group_by(key, LedgerEntry.kind)
        )
        for key_id, kind, total in rows:
            out[key_id].add(kind, total or ZERO)


async def line_balances(session: AsyncSession, claim_ids: Iterable[int]) -> dict[int, Balances]:
    """Balances per claim line of the given claims (lines without entries are absent)."""
    out: dict[int, Balances] = defaultdict(Balances)
    await _add_sums(session, list(claim_ids), LedgerEntry.claim_line_id, out)
    return dict(out)


async def claim_balances(session: AsyncSession, claim_ids: Iterable[int]) -> dict[int, Balances]:
    """Balances per claim."""
    ids = list(claim_ids)
    out: dict[int, Balances] = {i: Balances() for i in ids}
    await _add_sums(session, ids, LedgerEntry.claim_id, out)
    return out
