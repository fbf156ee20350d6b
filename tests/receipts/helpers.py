"""Arranging claims with patient balances for receipt tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.models import Appointment, Patient
from gateway.ledger.balances import line_balances
from gateway.ledger.models import ClaimLine, LedgerEntry
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims, get_or_create_patient


async def patient(session: AsyncSession, practice_id: int, account: str,
                  last: str = "Doe") -> int:
    return await get_or_create_patient(session, practice_id,
                                       PatientIn(account=account, first_name="Pat",
                                                 last_name=last))


async def claim(session: AsyncSession, practice_id: int, account: str, dos: dt.date,
                *patient_balances: str, copay_line: int | None = None, level: str = "Primary",
                status: str = "Open", invoice_date: dt.date | None = None,
                appointment_id: int | None = None) -> tuple[int, list[int]]:
    """A claim whose lines each carry the given patient balance (moved there by insurance)."""
    lines = [ClaimLineIn(procedure_code=f"9201{n}", charge=Decimal("200.00"),
                         copay=(n == copay_line))
             for n in range(1, len(patient_balances) + 1)]
    (cid,) = await create_claims(session, practice_id, [ClaimIn(
        patient=PatientIn(account=account), service_date_from=dos, lines=lines, level=level,
        status=status, invoice_date=invoice_date, appointment_id=appointment_id)])
    line_ids = list((await session.scalars(
        select(ClaimLine.id).where(ClaimLine.claim_id == cid).order_by(ClaimLine.line_number)
    )).all())
    for lid, bal in zip(line_ids, patient_balances, strict=True):
        if Decimal(bal):
            session.add(LedgerEntry(practice_id=practice_id, claim_id=cid, claim_line_id=lid,
                                    kind="transfer_to_patient", amount=Decimal(bal),
                                    source_type="test", source_id=None))
    await session.flush()
    return cid, line_ids


async def appointment(session: AsyncSession, practice_id: int, account: str,
                      when: dt.datetime) -> int:
    pid = await session.scalar(select(Patient.id).where(Patient.practice_id == practice_id,
                                                        Patient.account == account))
    a = Appointment(practice_id=practice_id, patient_id=pid, starts_at=when)
    session.add(a)
    await session.flush()
    return a.id


async def patient_balances(session: AsyncSession, claim_ids: list[int]) -> dict[int, Decimal]:
    return {lid: b.patient_balance for lid, b in (await line_balances(session, claim_ids)).items()}
