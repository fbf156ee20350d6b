"""The biller's actions on receipts: change status in bulk (and ignore), hold, apply by hand,
reverse. Each writes a message on the receipt and an audit row (ids only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.admin.practices import practice_settings
from gateway.core.errors import NotFound, UserError
from gateway.core.money import ZERO, format_money
from gateway.db.models import Appointment, Patient
from gateway.ledger.models import Claim, ClaimLine
from gateway.receipts.amounts import receipt_amount
from gateway.receipts.applications import (
    LEDGER,
    SOURCE_TYPE,
    applied_amounts,
    load_claims,
    write_applications,
)
from gateway.receipts.common import locked_receipt, now, practice_today, write_messages
from gateway.receipts.enums import APPLICABLE, BULK_STATUSES, HoldSetBy, ReceiptStatus
from gateway.receipts.models import Receipt, ReceiptApplication
from gateway.receipts.schemas import ManualApplicationIn

NOT_A_VISIT = ("Cancelled", "Canceled", "No Show")  # appointment statuses a hold skips


async def change_status(
    session: AsyncSession, practice_id: int, ids: Sequence[int], status: str, *, actor: str,
    hold_until: dt.date | None = None, today: dt.date | None = None,
) -> int:
    """Move receipts among New, Hold, Ignore and Error, all or none. With a hold date every
    receipt becomes a biller's hold until it (the nightly run waits for it); without one each
    receipt keeps its own hold date and who set it."""
    if status not in BULK_STATUSES:
        raise UserError(f"status must be one of {', '.join(BULK_STATUSES)}", where="status")
    new_status = ReceiptStatus(status)
    if hold_until is not None and new_status != ReceiptStatus.HOLD:
        raise UserError("a hold date goes with status Hold", where="hold_until")
    wanted = sorted(set(ids))
    rows = (await session.scalars(
        select(Receipt).where(Receipt.practice_id == practice_id, Receipt.id.in_(wanted))
        .with_for_update().execution_options(populate_existing=True)
    )).all()
    missing = sorted(set(wanted) - {r.id for r in rows})
    if missing:
        raise NotFound(f"no receipt {', '.join(map(str, missing[:10]))}")
    stuck = [f"{r.id} ({r.status})" for r in rows if r.status not in BULK_STATUSES]
    if stuck:
        raise UserError(f"only New, Hold, Ignore and Error receipts change status this way: "
                        f"{', '.join(stuck[:10])}", where="ids")
    text = f"Status changed to {new_status} by {actor}."
    if hold_until is not None:
        text = f"Held by {actor} until {hold_until}."
    for r in rows:
        r.status = new_status
        if hold_until is not None:
            r.hold_until, r.hold_set_by = hold_until, HoldSetBy.USER
        r.status_reason = text
    await session.flush()
    await write_messages(session, [(r.id, actor, new_status, text, today) for r in rows])
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.status",
                object_type="receipt", detail={"ids": wanted, "status": str(new_status),
                                               "hold_until": str(hold_until or "")})
    return len(rows)


async def ignore(session: AsyncSession, practice_id: int, ids: Sequence[int], *,
                 actor: str) -> int:
    """Take receipts out of the engine's and the error queue's way."""
    return await change_status(session, practice_id, ids, ReceiptStatus.IGNORE, actor=actor)


async def _next_appointment(session: AsyncSession, practice_id: int, r: Receipt,
                            today: dt.date) -> Row[Any]:
    """(id, starts_at) of the patient's next appointment that is a visit; UserError if none."""
    if r.patient_id is None:
        raise UserError("the patient is not known, so there is no next appointment",
                        where="next_appointment")
    start = dt.datetime.combine(today, dt.time.min, tzinfo=dt.UTC)
    appt = (await session.execute(
        select(Appointment.id, Appointment.starts_at)
        .where(Appointment.practice_id == practice_id,
               Appointment.patient_id == r.patient_id,
               Appointment.starts_at >= start,
               Appointment.status.notin_(NOT_A_VISIT))
        .order_by(Appointment.starts_at).limit(1)
    )).first()
    if appt is None:
        raise UserError("the patient has no upcoming appointment", where="next_appointment")
    return appt


async def hold(
    session: AsyncSession, practice_id: int, receipt_id: int, *, actor: str,
    until: dt.date | None = None, next_appointment: bool = False, today: dt.date | None = None,
) -> dt.date:
    """Hold a receipt until a date, or until the patient's next appointment (which then
    becomes the receipt's appointment when it has none, so a co-pay finds that visit)."""
    r = await locked_receipt(session, practice_id, receipt_id)
    today = today or practice_today(await practice_settings(session, practice_id))
    if (until is None) == (not next_appointment):
        raise UserError("give either a date or next_appointment", where="until")
    if r.status not in BULK_STATUSES:
        raise UserError(f"a {r.status} receipt cannot be held", where="status")
    what = str(until)
    if until is None:
        appt = await _next_appointment(session, practice_id, r, today)
        until = appt.starts_at.date()
        what = f"the next appointment ({appt.id}) on {until}"
        if r.appointment_id is None:
            r.appointment_id = appt.id
    if until < today:
        raise UserError(f"hold date {until} is in the past", where="until")
    r.status, r.hold_until, r.hold_set_by = ReceiptStatus.HOLD, until, HoldSetBy.USER
    r.status_reason = f"Held by {actor} until {what}."
    await session.flush()
    await write_messages(session, [(r.id, actor, ReceiptStatus.HOLD, r.status_reason, today)])
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.hold",
                object_type="receipt", object_id=r.id, detail={"until": str(until)})
    return until


async def _lines_for(session: AsyncSession, practice_id: int, r: Receipt,
                     items: Sequence[ManualApplicationIn]) -> dict[int, Row[Any]]:
    """The chosen claim lines (id, claim, number, patient) checked: each once, each of the
    practice, all of the receipt's patient (or of one patient when it is not known)."""
    line_ids = [i.claim_line_id for i in items]
    if len(set(line_ids)) != len(line_ids):
        raise UserError("a claim line appears twice", where="applications")
    rows = {row.id: row for row in (await session.execute(
        select(ClaimLine.id, ClaimLine.claim_id, ClaimLine.line_number, Claim.patient_id)
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .where(ClaimLine.id.in_(line_ids), Claim.practice_id == practice_id)
    )).all()}
    for n, item in enumerate(items):
        if item.claim_line_id not in rows:
            raise NotFound(f"applications[{n}].claim_line_id: no claim line {item.claim_line_id}")
    patients = {row.patient_id for row in rows.values()}
    if r.patient_id is not None and patients != {r.patient_id}:
        raise UserError("every claim line must be of the receipt's patient",
                        where="applications")
    if r.patient_id is None and len(patients) != 1:
        raise UserError("the lines belong to several patients", where="applications")
    return rows


async def apply_by_hand(
    session: AsyncSession, practice_id: int, receipt_id: int,
    items: Sequence[ManualApplicationIn], *, actor: str, today: dt.date | None = None,
) -> list[int]:
    """Put parts of a receipt on chosen claim lines. Each amount must fit the line's patient
    balance unless marked as a credit; together they must fit what is unapplied."""
    r = await locked_receipt(session, practice_id, receipt_id)
    if r.status not in APPLICABLE:
        raise UserError(f"a {r.status} receipt cannot be applied", where="status")
    rows = await _lines_for(session, practice_id, r, items)
    patient_id = next(iter(rows.values())).patient_id
    claims = (await load_claims(session, practice_id, [patient_id]))[patient_id]
    balance = {x.id: x.patient_balance for c in claims for x in c.lines}
    unapplied = r.amount - (await applied_amounts(session, [r.id])).get(r.id, ZERO)
    apps = []
    at = now()
    for n, item in enumerate(items):
        amount = receipt_amount(item.amount, f"applications[{n}].amount")
        if not item.credit and amount > balance[item.claim_line_id]:
            raise UserError(
                f"{format_money(amount)} is more than the line's patient balance of "
                f"{format_money(balance[item.claim_line_id])} (mark it as a credit to allow it)",
                where=f"applications[{n}].amount")
        apps.append({"practice_id": practice_id, "receipt_id": r.id,
                     "claim_id": rows[item.claim_line_id].claim_id,
                     "claim_line_id": item.claim_line_id, "amount": amount,
                     "credit": item.credit, "applied_by": actor, "created_at": at,
                     "previous_claim_status": None})
    total = sum((a["amount"] for a in apps), ZERO)
    if total > unapplied:
        raise UserError(f"{format_money(total)} is more than the {format_money(unapplied)} "
                        f"unapplied", where="applications")
    if r.patient_id is None:
        r.patient_id = patient_id
        r.patient_account = await session.scalar(select(Patient.account).where(
            Patient.id == patient_id))
    ids = await write_applications(session, practice_id, apps, ids=True)
    parts = ", ".join(f"${format_money(a['amount'])} to claim {a['claim_id']} line "
                      f"{rows[a['claim_line_id']].line_number}"
                      + (" (credit)" if a["credit"] else "") for a in apps)
    if total == unapplied:
        r.status, r.hold_until, r.hold_set_by = ReceiptStatus.COMPLETED, None, None
    r.status_reason = f"Applied by hand by {actor}: {parts}."
    await session.flush()
    await write_messages(session, [(r.id, actor, r.status, r.status_reason, today)])
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.apply",
                object_type="receipt", object_id=r.id, detail={"applications": ids})
    return ids


async def _undo_applications(session: AsyncSession, practice_id: int, r: Receipt) -> int:
    """Compensating ledger rows for each live application of `r`, `reversed_at` set, and the
    status a credit gave a claim put back. The number of applications undone."""
    apps = (await session.scalars(
        select(ReceiptApplication).where(ReceiptApplication.receipt_id == r.id,
                                         ReceiptApplication.reversed_at.is_(None))
    )).all()
    if not apps:
        return 0
    at = now()
    entries = (await session.execute(
        select(LEDGER).where(LEDGER.c.source_type == SOURCE_TYPE,
                             LEDGER.c.source_id.in_([a.id for a in apps]),
                             LEDGER.c.reverses_id.is_(None))
    )).all()
    await session.execute(insert(LEDGER), [
        {"practice_id": e.practice_id, "claim_id": e.claim_id,
         "claim_line_id": e.claim_line_id, "kind": e.kind, "amount": -e.amount,
         "payer_id": e.payer_id, "source_type": SOURCE_TYPE, "source_id": e.source_id,
         "reverses_id": e.id, "reason": "reversal", "created_at": at}
        for e in entries
    ])
    credit_status = (await practice_settings(session, practice_id)).credit_receipt_claim_status
    for a in apps:
        a.reversed_at = at
        if a.credit and a.previous_claim_status is not None:
            claim = await session.get(Claim, a.claim_id, populate_existing=True)
            if claim is not None and claim.status == credit_status:
                claim.status = a.previous_claim_status
    return len(apps)


async def reverse(session: AsyncSession, practice_id: int, receipt_id: int, *, actor: str,
                  today: dt.date | None = None) -> int:
    """Undo a receipt: compensating ledger rows for each application, the credit claim status
    put back, and a negative receipt so reports balance. Returns the negative receipt's id."""
    r = await locked_receipt(session, practice_id, receipt_id)
    today = today or practice_today(await practice_settings(session, practice_id))
    if r.status == ReceiptStatus.REVERSED or r.reversal_of_id is not None:
        raise UserError(f"receipt {r.id} is already reversed", where="status")
    undone = await _undo_applications(session, practice_id, r)
    negative = Receipt(
        practice_id=practice_id, patient_id=r.patient_id, patient_account=r.patient_account,
        received_on=today, type_name=r.type_name, behaviour=r.behaviour, method=r.method,
        source=r.source, check_number=r.check_number, statement_id=r.statement_id,
        payer_name=r.payer_name, location_id=r.location_id, appointment_id=r.appointment_id,
        amount=-r.amount, status=ReceiptStatus.REVERSED, reversal_of_id=r.id, created_by=actor,
        status_reason=f"Reversal of receipt {r.id}.",
    )
    session.add(negative)
    r.status, r.hold_until, r.hold_set_by = ReceiptStatus.REVERSED, None, None
    await session.flush()
    r.status_reason = (f"Reversed by {actor} on {today}: {undone} application(s) undone; "
                       f"receipt {negative.id} carries the negative amount.")
    reversed_ = ReceiptStatus.REVERSED
    await write_messages(session, [
        (r.id, actor, reversed_, r.status_reason, today),
        (negative.id, actor, reversed_, negative.status_reason or "", today)])
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.reverse",
                object_type="receipt", object_id=r.id, detail={"reversal": negative.id})
    return negative.id


