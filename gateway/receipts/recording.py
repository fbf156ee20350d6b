"""Recording a receipt: the patient, type, method and amount checked, never the same receipt
twice (a unique constraint on its dedupe key decides), and the engine run on it at once.

`record_many` records a batch whose patients the caller already holds (a vendor file's
payments): one type lookup, one bulk insert of the receipts and of their first history
line, the new ids read back by their dedupe keys; the caller runs the engine on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.admin.practices import get_practice
from gateway.core.errors import UserError
from gateway.core.money import cents
from gateway.db.models import Appointment, Location, Patient
from gateway.db.upsert import insert_if_absent
from gateway.posting.bulk import insert_rows
from gateway.receipts.amounts import receipt_amount
from gateway.receipts.common import (
    MESSAGES,
    RECEIPTS,
    chunks,
    loose_key,
    now,
    owned,
    write_messages,
)
from gateway.receipts.enums import Method, ReceiptStatus, Source
from gateway.receipts.models import Receipt
from gateway.receipts.receipt_types import resolve_type
from gateway.receipts.reconcile import reconcile
from gateway.receipts.schemas import ReceiptIn

METHOD_ALIASES: dict[str, Method] = {
    "cash": Method.CASH, "check": Method.CHECK, "cheque": Method.CHECK,
    "moneyorder": Method.CHECK, "card": Method.CARD, "creditcard": Method.CARD,
    "debitcard": Method.CARD, "credit": Method.CARD, "debit": Method.CARD,
    "visa": Method.CARD, "mastercard": Method.CARD, "mc": Method.CARD, "amex": Method.CARD,
    "americanexpress": Method.CARD, "discover": Method.CARD, "cc": Method.CARD,
    "hsa": Method.CARD, "fsa": Method.CARD, "ach": Method.ACH, "eft": Method.ACH,
    "echeck": Method.ACH, "banktransfer": Method.ACH, "other": Method.OTHER,
}


def normalize_method(text: str, where: str = "method") -> Method:
    """The payment method people wrote ("Visa", "EFT", "cheque"...); UserError if unknown."""
    method = METHOD_ALIASES.get(loose_key(text))
    if method is None:
        raise UserError(f"unknown payment method {text!r} (cash, check, card, ACH or other)",
                        where=where)
    return method


def dedupe_key(account: str | None, received_on: dt.date, amount: Decimal,
               check_number: str | None) -> str:
    """The identity of a receipt for "never twice": chart number, date, amount, trace."""
    return "|".join([(account or "").strip().upper(), received_on.isoformat(),
                     str(int(cents(amount) * 100)), (check_number or "").strip().upper()])


async def _patient(session: AsyncSession, practice_id: int,
                   data: ReceiptIn) -> tuple[int | None, str | None]:
    """(patient id or None when not known, chart number) of a new receipt."""
    account = data.patient_account.strip() if data.patient_account else None
    if data.patient_id is not None:
        patient = await owned(session, Patient, data.patient_id, practice_id, "patient_id")
        return patient.id, patient.account
    if not account:
        return None, account
    found = await session.scalar(select(Patient.id).where(Patient.practice_id == practice_id,
                                                          Patient.account == account))
    return found, account


async def _values(session: AsyncSession, practice_id: int, data: ReceiptIn, actor: str,
                  dedupe: bool | None) -> dict[str, Any]:
    """The new receipt's row, every reference checked."""
    amount = receipt_amount(data.amount)
    type_name, behaviour = await resolve_type(session, practice_id, data.type)
    method = normalize_method(data.method)
    patient_id, account = await _patient(session, practice_id, data)
    await owned(session, Location, data.location_id, practice_id, "location_id")
    appointment = await owned(session, Appointment, data.appointment_id, practice_id,
                              "appointment_id")
    if appointment is not None and patient_id is not None and appointment.patient_id != patient_id:
        raise UserError(f"appointment {appointment.id} is not this patient's",
                        where="appointment_id")
    use_key = dedupe if dedupe is not None else bool(data.check_number)
    key = dedupe_key(account, data.received_on, amount, data.check_number) if use_key else None
    return {
        "practice_id": practice_id, "patient_id": patient_id, "patient_account": account,
        "received_on": data.received_on, "type_name": type_name, "behaviour": behaviour,
        "method": method, "source": data.source, "check_number": data.check_number,
        "statement_id": data.statement_id, "payer_name": data.payer_name,
        "comment": data.comment, "location_id": data.location_id,
        "appointment_id": data.appointment_id, "amount": amount, "status": ReceiptStatus.NEW,
        "dedupe_key": key, "created_by": actor,
    }


async def create_receipt(
    session: AsyncSession, practice_id: int, data: ReceiptIn, *, actor: str,
    today: dt.date | None = None, reconcile_now: bool = True, dedupe: bool | None = None,
) -> int:
    """Record a receipt and run the engine on it at once. A receipt with a check/trace number
    (or any imported one) is refused when the same chart, date, amount and trace exist."""
    await get_practice(session, practice_id)
    values = await _values(session, practice_id, data, actor, dedupe)
    new_id = await insert_if_absent(session, RECEIPTS, values, ["practice_id", "dedupe_key"])
    if new_id is None:
        existing = await session.scalar(select(Receipt.id).where(
            Receipt.practice_id == practice_id, Receipt.dedupe_key == values["dedupe_key"]))
        raise UserError(f"this receipt (chart, date, amount, check/trace number) is already "
                        f"recorded as receipt {existing}", where="check_number")
    await write_messages(session, [(new_id, actor, ReceiptStatus.NEW, "Receipt recorded.",
                                    today)])
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.create",
                object_type="receipt", object_id=new_id)
    if reconcile_now:
        await reconcile(session, practice_id, [new_id], today=today, actor="engine")
    return new_id


@dataclass(frozen=True)
class NewReceipt:
    """One receipt of a batch (`record_many`): its patient known, its dedupe key unique."""

    key: str  # the dedupe key: the new receipt's id comes back under it
    patient_id: int
    patient_account: str
    received_on: dt.date
    amount: Decimal
    method: str
    check_number: str | None = None
    statement_id: str | None = None
    comment: str | None = None


async def record_many(session: AsyncSession, practice_id: int, type_name: str, source: Source,
                      rows: Sequence[NewReceipt], *, actor: str,
                      today: dt.date | None = None) -> dict[str, int]:
    """Record New receipts of one type in bulk; the new ids by dedupe key. A key already
    recorded is a conflict of the unique constraint (the whole transaction fails), never a
    second receipt; the caller's own idempotency keeps that from happening."""
    if not rows:
        return {}
    name, behaviour = await resolve_type(session, practice_id, type_name)
    at = now()
    await insert_rows(session, RECEIPTS, [{
        "practice_id": practice_id, "patient_id": r.patient_id,
        "patient_account": r.patient_account, "received_on": r.received_on,
        "type_name": name, "behaviour": behaviour,
        "method": normalize_method(r.method), "source": source,
        "check_number": r.check_number, "statement_id": r.statement_id,
        "comment": r.comment, "amount": receipt_amount(r.amount),
        "status": ReceiptStatus.NEW, "dedupe_key": r.key, "created_by": actor, "created_at": at,
    } for r in rows])
    keys = [r.key for r in rows]
    ids: dict[str, int] = {}
    for part in chunks(keys, 500):
        found = await session.execute(select(Receipt.dedupe_key, Receipt.id).where(
            Receipt.practice_id == practice_id, Receipt.dedupe_key.in_(part)))
        ids.update((k, i) for k, i in found.tuples() if k is not None)
    await insert_rows(session, MESSAGES, [
        {"receipt_id": ids[k], "actor": actor, "status": ReceiptStatus.NEW,
         "text": "Receipt recorded.", "run_on": today, "created_at": at} for k in keys])
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.create_many",
                object_type="receipt", detail={"source": str(source), "count": len(ids),
                                               "first_id": min(ids.values())})
    return ids
