"""Receipt services: create, reconcile (selected, all, nightly), the biller's actions (status,
hold, apply by hand, reverse, ignore), search and export.

Reconciliation works in chunks: for each chunk of receipts it loads the patients' claims,
lines and patient balances in three queries, decides every receipt in memory with
`gateway.receipts.disburse`, and writes applications, ledger rows, messages and status
changes with bulk statements. Services never commit; the caller's transaction decides.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.admin.practices import get_practice, practice_settings
from gateway.core.errors import NotFound, UserError
from gateway.core.money import ZERO, MoneyError, cents, format_money
from gateway.core.practice_settings import PracticeSettings
from gateway.db.models import Appointment, Location, Patient
from gateway.db.upsert import insert_if_absent
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.receipts import disburse
from gateway.receipts.amounts import exact_cents, receipt_amount
from gateway.receipts.models import (
    BEHAVIOURS,
    BUILTIN_TYPES,
    BULK_STATUSES,
    STATUSES,
    WORKABLE,
    Receipt,
    ReceiptApplication,
    ReceiptMessage,
    ReceiptType,
)
from gateway.receipts.schemas import (
    ApplicationOut,
    ManualApplicationIn,
    MessageOut,
    ReceiptDetail,
    ReceiptIn,
    ReceiptOut,
    ReceiptSearch,
    ReceiptTypeIn,
    ReceiptTypeOut,
    ReconcileResult,
)

log = logging.getLogger("gateway.receipts")

SOURCE_TYPE = "receipt_application"
PATIENT_KINDS = ("transfer_to_patient", "patient_payment", "patient_adjustment")
CHUNK = 1000

R = Receipt.__table__
A = ReceiptApplication.__table__
M = ReceiptMessage.__table__
L = LedgerEntry.__table__


def practice_today(settings: PracticeSettings) -> dt.date:
    """Today in the practice's time zone (the date a biller would write)."""
    try:
        return dt.datetime.now(ZoneInfo(settings.timezone)).date()
    except Exception:  # an unknown zone name: fall back to UTC rather than fail a night run
        return dt.datetime.now(dt.UTC).date()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- types ----------------------------------------------------------------------------------

def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_BUILTIN_ALIASES = {
    **{_norm(k): (k, v) for k, v in BUILTIN_TYPES.items()},
    "copay": ("Co-Pay", "copay"),
    "coinsurance": ("Patient Coinsurance", "coinsurance"),
    "deductible": ("Patient Deductible", "deductible"),
    "general": ("General Payment", "general"),
    "payment": ("General Payment", "general"),
    "prepayment": ("Pre-Pay", "prepay"),
}


async def resolve_type(session: AsyncSession, practice_id: int, name: str,
                       where: str = "type") -> tuple[str, str]:
    """(type name, behaviour) of a built-in or practice-defined type; UserError if unknown."""
    found = await _type_table(session, practice_id)
    hit = found.get(_norm(name))
    if hit is None:
        known = ", ".join(sorted({n for n, _ in found.values()}))
        raise UserError(f"unknown receipt type {name!r} (known: {known})", where=where)
    return hit


async def _type_table(session: AsyncSession, practice_id: int) -> dict[str, tuple[str, str]]:
    table = dict(_BUILTIN_ALIASES)
    rows = await session.execute(
        select(ReceiptType.name, ReceiptType.behaviour).where(
            ReceiptType.practice_id == practice_id, ReceiptType.active.is_(True)
        )
    )
    for name, behaviour in rows:
        table[_norm(name)] = (name, behaviour)
    return table


async def list_types(session: AsyncSession, practice_id: int) -> list[ReceiptTypeOut]:
    out = [ReceiptTypeOut(id=None, name=k, behaviour=v, builtin=True)
           for k, v in BUILTIN_TYPES.items()]
    rows = await session.scalars(
        select(ReceiptType).where(ReceiptType.practice_id == practice_id,
                                  ReceiptType.active.is_(True)).order_by(ReceiptType.name)
    )
    out += [ReceiptTypeOut(id=t.id, name=t.name, behaviour=t.behaviour, builtin=False)
            for t in rows]
    return out


async def create_type(session: AsyncSession, practice_id: int, data: ReceiptTypeIn,
                      actor: str) -> ReceiptTypeOut:
    """A practice-defined receipt type following one of the five behaviours."""
    name = data.name.strip()
    if data.behaviour not in BEHAVIOURS:  # pragma: no cover - the schema checks it
        raise UserError(f"behaviour must be one of {', '.join(BEHAVIOURS)}", where="behaviour")
    if _norm(name) in _BUILTIN_ALIASES or not _norm(name):
        raise UserError(f"{name!r} is a built-in receipt type", where="name")
    new_id = await insert_if_absent(
        session, ReceiptType.__table__,  # type: ignore[arg-type]
        {"practice_id": practice_id, "name": name, "behaviour": data.behaviour, "active": True},
        ["practice_id", "name"],
    )
    if new_id is None:
        raise UserError(f"receipt type {name!r} already exists", where="name")
    await audit(session, practice_id=practice_id, actor=actor, action="receipt_type.create",
                object_type="receipt_type", object_id=new_id,
                detail={"behaviour": data.behaviour})
    return ReceiptTypeOut(id=new_id, name=name, behaviour=data.behaviour, builtin=False)


# --- create -----------------------------------------------------------------------------

METHOD_ALIASES = {
    "cash": "cash", "check": "check", "cheque": "check", "moneyorder": "check",
    "card": "card", "creditcard": "card", "debitcard": "card", "credit": "card",
    "debit": "card", "visa": "card", "mastercard": "card", "mc": "card", "amex": "card",
    "americanexpress": "card", "discover": "card", "cc": "card",
    "ach": "ach", "eft": "ach", "echeck": "ach", "banktransfer": "ach",
    "other": "other", "hsa": "card", "fsa": "card",
}


def normalize_method(text: str, where: str = "method") -> str:
    method = METHOD_ALIASES.get(_norm(text))
    if method is None:
        raise UserError(f"unknown payment method {text!r} (cash, check, card, ACH or other)",
                        where=where)
    return method


def dedupe_key(account: str | None, received_on: dt.date, amount: Decimal,
               check_number: str | None) -> str:
    """The identity of a receipt for "never twice": chart number, date, amount, trace."""
    return "|".join([(account or "").strip().upper(), received_on.isoformat(),
                     str(int(cents(amount) * 100)), (check_number or "").strip().upper()])


def _check_amount(amount: Decimal, where: str = "amount") -> Decimal:
    return receipt_amount(amount, where)


async def _owned(session: AsyncSession, model: Any, obj_id: int | None, practice_id: int,
                 where: str) -> Any:
    if obj_id is None:
        return None
    obj = await session.get(model, obj_id)
    if obj is None or obj.practice_id != practice_id:
        raise UserError(f"no {model.__tablename__[:-1]} {obj_id} in this practice", where=where)
    return obj


async def create_receipt(
    session: AsyncSession, practice_id: int, data: ReceiptIn, *, actor: str,
    today: dt.date | None = None, reconcile_now: bool = True, dedupe: bool | None = None,
) -> int:
    """Record a receipt and run the engine on it at once. A receipt with a check/trace number
    (or any imported one) is refused when the same chart, date, amount and trace exist."""
    await get_practice(session, practice_id)
    amount = _check_amount(data.amount)
    type_name, behaviour = await resolve_type(session, practice_id, data.type)
    method = normalize_method(data.method)
    patient_id: int | None = None
    account = data.patient_account.strip() if data.patient_account else None
    if data.patient_id is not None:
        patient = await _owned(session, Patient, data.patient_id, practice_id, "patient_id")
        patient_id, account = patient.id, patient.account
    elif account:
        patient_id = await session.scalar(
            select(Patient.id).where(Patient.practice_id == practice_id,
                                     Patient.account == account)
        )
    await _owned(session, Location, data.location_id, practice_id, "location_id")
    appointment = await _owned(session, Appointment, data.appointment_id, practice_id,
                               "appointment_id")
    if appointment is not None and patient_id is not None and appointment.patient_id != patient_id:
        raise UserError(f"appointment {appointment.id} is not this patient's",
                        where="appointment_id")
    use_key = dedupe if dedupe is not None else bool(data.check_number)
    key = dedupe_key(account, data.received_on, amount, data.check_number) if use_key else None
    values = {
        "practice_id": practice_id, "patient_id": patient_id, "patient_account": account,
        "received_on": data.received_on, "type_name": type_name, "behaviour": behaviour,
        "method": method, "source": data.source, "check_number": data.check_number,
        "statement_id": data.statement_id, "payer_name": data.payer_name,
        "comment": data.comment, "location_id": data.location_id,
        "appointment_id": data.appointment_id, "amount": amount, "status": "New",
        "dedupe_key": key, "created_by": actor,
    }
    new_id = await insert_if_absent(session, R, values, ["practice_id", "dedupe_key"])  # type: ignore[arg-type]
    if new_id is None:
        existing = await session.scalar(
            select(Receipt.id).where(Receipt.practice_id == practice_id, Receipt.dedupe_key == key)
        )
        raise UserError(f"this receipt (chart, date, amount, check/trace number) is already "
                        f"recorded as receipt {existing}", where="check_number")
    await _messages(session, [(new_id, actor, "New", "Receipt recorded.", today)])
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.create",
                object_type="receipt", object_id=new_id)
    if reconcile_now:
        await reconcile(session, practice_id, [new_id], today=today, actor="engine")
    return new_id


async def _messages(session: AsyncSession,
                    rows: Sequence[tuple[int, str, str, str, dt.date | None]]) -> None:
    if rows:
        now = _now()
        await session.execute(insert(M), [
            {"receipt_id": rid, "actor": actor, "status": status, "text": text, "run_on": day,
             "created_at": now}
            for rid, actor, status, text, day in rows
        ])


# --- reconciliation ------------------------------------------------------------------------

async def reconcile_practice(session: AsyncSession, practice_id: int,
                             today: dt.date | None = None,
                             actor: str = "engine") -> ReconcileResult:
    """The nightly run: every New or Hold receipt of the practice (a biller's hold waits for
    its date). For the scheduler."""
    return await reconcile(session, practice_id, None, today=today, actor=actor)


async def reconcile(
    session: AsyncSession, practice_id: int, receipt_ids: Iterable[int] | None = None, *,
    today: dt.date | None = None, actor: str = "engine", chunk_size: int = CHUNK,
) -> ReconcileResult:
    """Run the engine on the given receipts (None: all workable ones). Selected receipts that
    are not New or Hold are skipped and listed; another practice's receipt is NotFound."""
    settings = await practice_settings(session, practice_id)
    today = today or practice_today(settings)
    rules = disburse.Rules.from_settings(settings)
    result = ReconcileResult()
    selected = receipt_ids is not None
    if receipt_ids is not None:
        ids = sorted(set(receipt_ids))
        found: dict[int, str] = {}
        for chunk in _chunks(ids, chunk_size):
            found.update((await session.execute(
                select(Receipt.id, Receipt.status).where(Receipt.practice_id == practice_id,
                                                         Receipt.id.in_(chunk))
            )).tuples().all())
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no receipt {', '.join(map(str, missing[:10]))}")
        result.skipped = [{"id": i, "status": s} for i, s in found.items() if s not in WORKABLE]
        work = [i for i in ids if found[i] in WORKABLE]
    else:
        work = list((await session.scalars(
            select(Receipt.id).where(
                Receipt.practice_id == practice_id,
                Receipt.status.in_(WORKABLE),
                # a biller's hold waits for its date while the receipt is on Hold
                or_(Receipt.status != "Hold", Receipt.hold_set_by.is_(None),
                    Receipt.hold_set_by != "user", Receipt.hold_until.is_(None),
                    Receipt.hold_until <= today),
            ).order_by(Receipt.id)
        )).all())
    for chunk in _chunks(work, chunk_size):
        await _reconcile_chunk(session, practice_id, chunk, rules, today, actor, result,
                               keep_results=selected)
    log.info("receipts reconciled practice=%s considered=%s completed=%s hold=%s error=%s",
             practice_id, result.considered, result.completed, result.hold, result.error)
    return result


def _chunks(ids: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


async def load_claims(session: AsyncSession, practice_id: int,
                      patient_ids: Iterable[int]) -> dict[int, list[disburse.ClaimView]]:
    """Every claim of these patients with its lines and their patient balances, in bulk."""
    pids = sorted(set(patient_ids))
    by_patient: dict[int, list[disburse.ClaimView]] = defaultdict(list)
    if not pids:
        return by_patient
    claims: dict[int, disburse.ClaimView] = {}
    rows = await session.execute(
        select(Claim.id, Claim.patient_id, Claim.service_date_from, Claim.appointment_id,
               Claim.level, Claim.status, Claim.invoice_date)
        .where(Claim.practice_id == practice_id, Claim.patient_id.in_(pids))
        .order_by(Claim.id)
        .with_for_update()  # PostgreSQL: two runs never pay the same balance twice
    )
    for cid, pid, dos, appt, level, status, invoice in rows:
        c = disburse.ClaimView(cid, dos, appt, level, status, invoice)
        claims[cid] = c
        by_patient[pid].append(c)
    if not claims:
        return by_patient
    lines: dict[int, disburse.Line] = {}
    rows = await session.execute(
        select(ClaimLine.id, ClaimLine.claim_id, ClaimLine.line_number, ClaimLine.procedure_code,
               ClaimLine.copay)
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .where(Claim.practice_id == practice_id, Claim.patient_id.in_(pids))
        .order_by(ClaimLine.claim_id, ClaimLine.line_number)
    )
    for lid, cid, number, code, copay in rows:
        line = disburse.Line(lid, cid, number, code, bool(copay), ZERO)
        lines[lid] = line
        claims[cid].lines.append(line)
    rows = await session.execute(
        select(LedgerEntry.claim_line_id, LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .join(Claim, Claim.id == LedgerEntry.claim_id)
        .where(Claim.practice_id == practice_id, Claim.patient_id.in_(pids),
               LedgerEntry.kind.in_(PATIENT_KINDS))
        .group_by(LedgerEntry.claim_line_id, LedgerEntry.kind)
    )
    for lid, kind, total in rows:
        if lid in lines and total:
            sign = 1 if kind == "transfer_to_patient" else -1
            lines[lid].patient_balance += sign * total
    return by_patient


async def applied_amounts(session: AsyncSession, receipt_ids: Iterable[int]) -> dict[int, Decimal]:
    """Σ applications not reversed, per receipt."""
    ids = list(receipt_ids)
    out: dict[int, Decimal] = {}
    for chunk in _chunks(ids, CHUNK):
        rows = await session.execute(
            select(ReceiptApplication.receipt_id, func.sum(ReceiptApplication.amount))
            .where(ReceiptApplication.receipt_id.in_(chunk),
                   ReceiptApplication.reversed_at.is_(None))
            .group_by(ReceiptApplication.receipt_id)
        )
        out.update((rid, total or ZERO) for rid, total in rows)
    return out


async def _reconcile_chunk(
    session: AsyncSession, practice_id: int, ids: Sequence[int], rules: disburse.Rules,
    today: dt.date, actor: str, result: ReconcileResult, keep_results: bool,
) -> None:
    rows = (await session.execute(
        select(Receipt.id, Receipt.patient_id, Receipt.behaviour, Receipt.received_on,
               Receipt.amount, Receipt.appointment_id, Receipt.status, Receipt.status_reason,
               Receipt.hold_until)
        .where(Receipt.id.in_(ids), Receipt.status.in_(WORKABLE))
        .order_by(Receipt.id)
        .with_for_update(skip_locked=True)
    )).all()
    if not rows:
        return
    applied = await applied_amounts(session, [r.id for r in rows])
    appointment_ids = {r.appointment_id for r in rows if r.appointment_id is not None}
    visit_dates: dict[int, dt.date] = {}
    if appointment_ids:
        for aid, starts in await session.execute(
            select(Appointment.id, Appointment.starts_at).where(Appointment.id.in_(appointment_ids))
        ):
            visit_dates[aid] = starts.date()
    claims_of = await load_claims(session, practice_id,
                                  (r.patient_id for r in rows if r.patient_id is not None))

    receipt_updates: list[dict[str, Any]] = []
    messages: list[tuple[int, str, str, str, dt.date | None]] = []
    new_apps: list[dict[str, Any]] = []
    claim_updates: dict[int, tuple[str, str]] = {}  # claim -> (new status, old status)
    now = _now()
    for r in rows:
        view = disburse.ReceiptView(
            id=r.id, behaviour=r.behaviour, received_on=r.received_on,
            unapplied=r.amount - applied.get(r.id, ZERO), patient_known=r.patient_id is not None,
            appointment_id=r.appointment_id, visit_date=visit_dates.get(r.appointment_id or -1),
        )
        claims = claims_of.get(r.patient_id, []) if r.patient_id is not None else []
        decision = disburse.decide(view, claims, rules, today)
        previous = {c.id: c.status for c in claims if c.id in decision.claim_status}
        disburse.commit(decision, claims)
        result.considered += 1
        for a in decision.applications:
            new_apps.append({
                "practice_id": practice_id, "receipt_id": r.id, "claim_id": a.claim_id,
                "claim_line_id": a.claim_line_id, "amount": a.amount, "credit": a.credit,
                "applied_by": "engine", "created_at": now,
                "previous_claim_status": previous.get(a.claim_id) if a.credit else None,
            })
        for cid, status in decision.claim_status.items():
            claim_updates[cid] = (status, claim_updates.get(cid, (None, previous[cid]))[1])
        result.applied += decision.applied
        result.applications += len(decision.applications)
        hold_until = decision.hold_until if decision.status == "Hold" else None
        changed = (decision.applications or decision.status != r.status
                   or decision.message != r.status_reason or hold_until != r.hold_until)
        if changed:
            receipt_updates.append({
                "_id": r.id, "_status": decision.status, "_reason": decision.message,
                "_hold": hold_until, "_by": "engine" if hold_until else None,
            })
            messages.append((r.id, actor, decision.status, decision.message, today))
        else:
            result.unchanged += 1
        counter = {"Completed": "completed", "Hold": "hold", "Error": "error"}[decision.status]
        setattr(result, counter, getattr(result, counter) + 1)
        if keep_results:
            result.results.append({"id": r.id, "status": decision.status,
                                   "applied": decision.applied, "message": decision.message})

    await _write_applications(session, practice_id, new_apps)
    if receipt_updates:
        await session.execute(
            update(R).where(R.c.id == bindparam("_id")).values(
                status=bindparam("_status"), status_reason=bindparam("_reason"),
                hold_until=bindparam("_hold"), hold_set_by=bindparam("_by"),
            ),
            receipt_updates,
        )
    if claim_updates:
        C = Claim.__table__
        await session.execute(
            update(C).where(C.c.id == bindparam("_id")).values(status=bindparam("_status")),
            [{"_id": cid, "_status": st} for cid, (st, _) in claim_updates.items()],
        )
    await _messages(session, messages)


async def _write_applications(session: AsyncSession, practice_id: int,
                              apps: list[dict[str, Any]]) -> list[int]:
    """Insert applications and their ledger rows (one patient_payment each), in bulk."""
    if not apps:
        return []
    # Batched multi-row INSERT ... RETURNING; rows come back in no promised order, so they are
    # matched on (receipt, line, credit), which one run never repeats for a receipt.
    returned = await session.execute(
        insert(A).returning(A.c.id, A.c.receipt_id, A.c.claim_line_id, A.c.credit), apps
    )
    id_of = {(rid, lid, bool(credit)): app_id for app_id, rid, lid, credit in returned}
    if len(id_of) != len(apps):  # pragma: no cover - guarded by how decisions are made
        raise RuntimeError("two applications of one receipt to one line in one run")
    ids = [id_of[(a["receipt_id"], a["claim_line_id"], bool(a["credit"]))] for a in apps]
    now = _now()
    await session.execute(insert(L), [
        {"practice_id": practice_id, "claim_id": a["claim_id"],
         "claim_line_id": a["claim_line_id"], "kind": "patient_payment", "amount": a["amount"],
         "source_type": SOURCE_TYPE, "source_id": app_id, "created_at": now,
         "reason": "credit" if a["credit"] else None}
        for a, app_id in zip(apps, ids, strict=True)
    ])
    return ids


# --- the biller's actions ---------------------------------------------------------------

async def _receipt(session: AsyncSession, practice_id: int, receipt_id: int) -> Receipt:
    r = await session.get(Receipt, receipt_id, with_for_update=True, populate_existing=True)
    if r is None or r.practice_id != practice_id:
        raise NotFound(f"no receipt {receipt_id}")
    return r


async def change_status(
    session: AsyncSession, practice_id: int, ids: Sequence[int], status: str, *, actor: str,
    hold_until: dt.date | None = None, today: dt.date | None = None,
) -> int:
    """Move receipts among New, Hold, Ignore and Error, all or none. With a hold date every
    receipt becomes a biller's hold until it (the nightly run waits for it); without one each
    receipt keeps its own hold date and who set it."""
    if status not in BULK_STATUSES:
        raise UserError(f"status must be one of {', '.join(BULK_STATUSES)}", where="status")
    if hold_until is not None and status != "Hold":
        raise UserError("a hold date goes with status Hold", where="hold_until")
    wanted = sorted(set(ids))
    rows = (await session.scalars(
        select(Receipt).where(Receipt.practice_id == practice_id, Receipt.id.in_(wanted))
        .with_for_update().execution_options(populate_existing=True)
    )).all()
    found = {r.id: r for r in rows}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"no receipt {', '.join(map(str, missing[:10]))}")
    stuck = [f"{r.id} ({r.status})" for r in rows if r.status not in BULK_STATUSES]
    if stuck:
        raise UserError(f"only New, Hold, Ignore and Error receipts change status this way: "
                        f"{', '.join(stuck[:10])}", where="ids")
    text = f"Status changed to {status} by {actor}."
    if hold_until is not None:
        text = f"Held by {actor} until {hold_until}."
    msgs = []
    for r in rows:
        r.status = status
        if hold_until is not None:
            r.hold_until, r.hold_set_by = hold_until, "user"
        r.status_reason = text
        msgs.append((r.id, actor, status, text, today))
    await session.flush()
    await _messages(session, msgs)
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.status",
                object_type="receipt", detail={"ids": wanted, "status": status,
                                               "hold_until": str(hold_until or "")})
    return len(rows)


async def ignore(session: AsyncSession, practice_id: int, ids: Sequence[int], *,
                 actor: str) -> int:
    """Take receipts out of the engine's and the error queue's way."""
    return await change_status(session, practice_id, ids, "Ignore", actor=actor)


async def hold(
    session: AsyncSession, practice_id: int, receipt_id: int, *, actor: str,
    until: dt.date | None = None, next_appointment: bool = False, today: dt.date | None = None,
) -> dt.date:
    """Hold a receipt until a date, or until the patient's next appointment (which then
    becomes the receipt's appointment when it has none, so a co-pay finds that visit)."""
    r = await _receipt(session, practice_id, receipt_id)
    today = today or practice_today(await practice_settings(session, practice_id))
    if (until is None) == (not next_appointment):
        raise UserError("give either a date or next_appointment", where="until")
    if r.status not in BULK_STATUSES:
        raise UserError(f"a {r.status} receipt cannot be held", where="status")
    if next_appointment:
        if r.patient_id is None:
            raise UserError("the patient is not known, so there is no next appointment",
                            where="next_appointment")
        start = dt.datetime.combine(today, dt.time.min, tzinfo=dt.UTC)
        appt = (await session.execute(
            select(Appointment.id, Appointment.starts_at)
            .where(Appointment.practice_id == practice_id,
                   Appointment.patient_id == r.patient_id,
                   Appointment.starts_at >= start,
                   Appointment.status.notin_(("Cancelled", "Canceled", "No Show")))
            .order_by(Appointment.starts_at).limit(1)
        )).first()
        if appt is None:
            raise UserError("the patient has no upcoming appointment", where="next_appointment")
        until = appt.starts_at.date()
        if r.appointment_id is None:
            r.appointment_id = appt.id
    assert until is not None
    if until < today:
        raise UserError(f"hold date {until} is in the past", where="until")
    r.status, r.hold_until, r.hold_set_by = "Hold", until, "user"
    what = f"the next appointment ({appt.id}) on {until}" if next_appointment else str(until)
    r.status_reason = f"Held by {actor} until {what}."
    await session.flush()
    await _messages(session, [(r.id, actor, "Hold", r.status_reason, today)])
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.hold",
                object_type="receipt", object_id=r.id, detail={"until": str(until)})
    return until


async def apply_by_hand(
    session: AsyncSession, practice_id: int, receipt_id: int,
    items: Sequence[ManualApplicationIn], *, actor: str, today: dt.date | None = None,
) -> list[int]:
    """Put parts of a receipt on chosen claim lines. Each amount must fit the line's patient
    balance unless marked as a credit; together they must fit what is unapplied."""
    r = await _receipt(session, practice_id, receipt_id)
    if r.status not in ("New", "Hold", "Error"):
        raise UserError(f"a {r.status} receipt cannot be applied", where="status")
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
    patients = {rows[i].patient_id for i in line_ids}
    if r.patient_id is not None and patients != {r.patient_id}:
        raise UserError("every claim line must be of the receipt's patient",
                        where="applications")
    if r.patient_id is None and len(patients) != 1:
        raise UserError("the lines belong to several patients", where="applications")
    claims = (await load_claims(session, practice_id, patients))[next(iter(patients))]
    balance = {x.id: x.patient_balance for c in claims for x in c.lines}
    unapplied = r.amount - (await applied_amounts(session, [r.id])).get(r.id, ZERO)
    total = ZERO
    apps = []
    now = _now()
    for n, item in enumerate(items):
        amount = _check_amount(item.amount, f"applications[{n}].amount")
        if not item.credit and amount > balance[item.claim_line_id]:
            raise UserError(
                f"{format_money(amount)} is more than the line's patient balance of "
                f"{format_money(balance[item.claim_line_id])} (mark it as a credit to allow it)",
                where=f"applications[{n}].amount")
        total += amount
        apps.append({"practice_id": practice_id, "receipt_id": r.id,
                     "claim_id": rows[item.claim_line_id].claim_id,
                     "claim_line_id": item.claim_line_id, "amount": amount,
                     "credit": item.credit, "applied_by": actor, "created_at": now,
                     "previous_claim_status": None})
    if total > unapplied:
        raise UserError(f"{format_money(total)} is more than the {format_money(unapplied)} "
                        f"unapplied", where="applications")
    if r.patient_id is None:
        r.patient_id = next(iter(patients))
        r.patient_account = await session.scalar(select(Patient.account).where(
            Patient.id == r.patient_id))
    ids = await _write_applications(session, practice_id, apps)
    parts = ", ".join(f"${format_money(a['amount'])} to claim {a['claim_id']} line "
                      f"{rows[a['claim_line_id']].line_number}" + (" (credit)" if a["credit"] else "")
                      for a in apps)
    if total == unapplied:
        r.status, r.hold_until, r.hold_set_by = "Completed", None, None
    r.status_reason = f"Applied by hand by {actor}: {parts}."
    await session.flush()
    await _messages(session, [(r.id, actor, r.status, r.status_reason, today)])
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.apply",
                object_type="receipt", object_id=r.id, detail={"applications": ids})
    return ids


async def reverse(session: AsyncSession, practice_id: int, receipt_id: int, *, actor: str,
                  today: dt.date | None = None) -> int:
    """Undo a receipt: compensating ledger rows for each application, the credit claim status
    put back, and a negative receipt so reports balance. Returns the negative receipt's id."""
    r = await _receipt(session, practice_id, receipt_id)
    today = today or practice_today(await practice_settings(session, practice_id))
    if r.status == "Reversed" or r.reversal_of_id is not None:
        raise UserError(f"receipt {r.id} is already reversed", where="status")
    apps = (await session.scalars(
        select(ReceiptApplication).where(ReceiptApplication.receipt_id == r.id,
                                         ReceiptApplication.reversed_at.is_(None))
    )).all()
    now = _now()
    if apps:
        entries = (await session.execute(
            select(L).where(L.c.source_type == SOURCE_TYPE,
                            L.c.source_id.in_([a.id for a in apps]),
                            L.c.reverses_id.is_(None))
        )).all()
        await session.execute(insert(L), [
            {"practice_id": e.practice_id, "claim_id": e.claim_id,
             "claim_line_id": e.claim_line_id, "kind": e.kind, "amount": -e.amount,
             "payer_id": e.payer_id, "source_type": SOURCE_TYPE, "source_id": e.source_id,
             "reverses_id": e.id, "reason": "reversal", "created_at": now}
            for e in entries
        ])
        settings = await practice_settings(session, practice_id)
        for a in apps:
            a.reversed_at = now
            if a.credit and a.previous_claim_status is not None:
                claim = await session.get(Claim, a.claim_id, populate_existing=True)
                if claim is not None and claim.status == settings.credit_receipt_claim_status:
                    claim.status = a.previous_claim_status
    negative = Receipt(
        practice_id=practice_id, patient_id=r.patient_id, patient_account=r.patient_account,
        received_on=today, type_name=r.type_name, behaviour=r.behaviour, method=r.method,
        source=r.source, check_number=r.check_number, statement_id=r.statement_id,
        payer_name=r.payer_name, location_id=r.location_id, appointment_id=r.appointment_id,
        amount=-r.amount, status="Reversed", reversal_of_id=r.id, created_by=actor,
        status_reason=f"Reversal of receipt {r.id}.",
    )
    session.add(negative)
    r.status, r.hold_until, r.hold_set_by = "Reversed", None, None
    await session.flush()
    r.status_reason = (f"Reversed by {actor} on {today}: {len(apps)} application(s) undone; "
                       f"receipt {negative.id} carries the negative amount.")
    await _messages(session, [(r.id, actor, "Reversed", r.status_reason, today),
                              (negative.id, actor, "Reversed", negative.status_reason, today)])
    await audit(session, practice_id=practice_id, actor=actor, action="receipt.reverse",
                object_type="receipt", object_id=r.id, detail={"reversal": negative.id})
    return negative.id


# --- read side -----------------------------------------------------------------------------

def _applied_subquery() -> Any:
    return (
        select(ReceiptApplication.receipt_id.label("rid"),
               func.sum(ReceiptApplication.amount).label("applied"))
        .where(ReceiptApplication.reversed_at.is_(None))
        .group_by(ReceiptApplication.receipt_id)
        .subquery()
    )


def _search_query(practice_id: int, f: ReceiptSearch) -> Any:
    sq = _applied_subquery()
    q = (select(Receipt, sq.c.applied)
         .outerjoin(sq, sq.c.rid == Receipt.id)
         .where(Receipt.practice_id == practice_id))
    statuses = f.status if f.status else ["Error"]
    if [s.lower() for s in statuses] != ["all"]:
        bad = [s for s in statuses if s not in STATUSES]
        if bad:
            raise UserError(f"unknown status {bad[0]!r} (one of {', '.join(STATUSES)} or all)",
                            where="status")
        q = q.where(Receipt.status.in_(statuses))
    if f.date_from:
        q = q.where(Receipt.received_on >= f.date_from)
    if f.date_to:
        q = q.where(Receipt.received_on <= f.date_to)
    if f.chart_number:
        q = q.where(Receipt.patient_account == f.chart_number.strip())
    if f.patient:
        like = f"%{f.patient.strip().lower()}%"
        q = q.join(Patient, Patient.id == Receipt.patient_id).where(or_(
            func.lower(Patient.last_name).like(like), func.lower(Patient.first_name).like(like),
            func.lower(func.coalesce(Patient.first_name, "") + " "
                       + func.coalesce(Patient.last_name, "")).like(like),
        ))
    if f.payer:
        q = q.where(func.lower(Receipt.payer_name).like(f"%{f.payer.strip().lower()}%"))
    if f.amount is not None:
        try:
            q = q.where(Receipt.amount == exact_cents(f.amount))
        except MoneyError as exc:
            raise UserError(str(exc), where="amount") from exc
    if f.receipt_id is not None:
        q = q.where(Receipt.id == f.receipt_id)
    if f.type:
        q = q.where(func.lower(Receipt.type_name) == f.type.strip().lower())
    return q.order_by(Receipt.received_on.desc(), Receipt.id.desc())


def _out(r: Receipt, applied: Decimal | None, cls: type = ReceiptOut, **extra: Any) -> Any:
    applied = applied or ZERO
    if r.reversal_of_id is not None:
        applied = ZERO
    return cls(
        id=r.id, patient_id=r.patient_id, patient_account=r.patient_account,
        received_on=r.received_on, type=r.type_name, behaviour=r.behaviour, method=r.method,
        source=r.source, check_number=r.check_number, statement_id=r.statement_id,
        payer_name=r.payer_name, comment=r.comment, location_id=r.location_id,
        appointment_id=r.appointment_id, amount=r.amount, applied=applied,
        unapplied=r.amount - applied, status=r.status, status_reason=r.status_reason,
        hold_until=r.hold_until, hold_set_by=r.hold_set_by, reversal_of_id=r.reversal_of_id,
        created_by=r.created_by, created_at=r.created_at, **extra,
    )


async def search(session: AsyncSession, practice_id: int,
                 f: ReceiptSearch | None = None) -> list[ReceiptOut]:
    """Receipts matching the filters, newest first; by default the Error queue."""
    f = f or ReceiptSearch()
    rows = await session.execute(_search_query(practice_id, f).limit(f.limit).offset(f.offset)
                                 .execution_options(populate_existing=True))
    return [_out(r, applied) for r, applied in rows]


async def show(session: AsyncSession, practice_id: int, receipt_id: int) -> ReceiptDetail:
    r = await session.get(Receipt, receipt_id, populate_existing=True)
    if r is None or r.practice_id != practice_id:
        raise NotFound(f"no receipt {receipt_id}")
    apps = (await session.execute(
        select(ReceiptApplication, ClaimLine.line_number, ClaimLine.procedure_code)
        .join(ClaimLine, ClaimLine.id == ReceiptApplication.claim_line_id)
        .where(ReceiptApplication.receipt_id == r.id).order_by(ReceiptApplication.id)
    )).all()
    msgs = (await session.scalars(
        select(ReceiptMessage).where(ReceiptMessage.receipt_id == r.id)
        .order_by(ReceiptMessage.id)
    )).all()
    applied = sum((a.amount for a, _, _ in apps if a.reversed_at is None), ZERO)
    return _out(
        r, applied, ReceiptDetail,
        applications=[ApplicationOut(
            id=a.id, claim_id=a.claim_id, claim_line_id=a.claim_line_id, line_number=n,
            procedure_code=code, amount=a.amount, credit=a.credit, applied_by=a.applied_by,
            applied_at=a.created_at, reversed_at=a.reversed_at) for a, n, code in apps],
        messages=[MessageOut(at=m.created_at, actor=m.actor, status=m.status, text=m.text)
                  for m in msgs],
    )


EXPORT_COLUMNS = ("Receipt ID", "Status", "Date", "Patient ID", "Type", "Method", "Source",
                  "Check/Trace Number", "Statement ID", "Payer", "Amount", "Applied",
                  "Unapplied", "Hold Until", "Reason", "Comment")


async def export_xlsx(session: AsyncSession, practice_id: int,
                      f: ReceiptSearch | None = None) -> bytes:
    """The search result as an .xlsx workbook (amounts as numbers with two decimals)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    f = f or ReceiptSearch()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Receipts")
    ws.append(list(EXPORT_COLUMNS))

    def money_cell(value: Decimal) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=value)
        c.number_format = "#,##0.00"
        return c

    def date_cell(value: dt.date | None) -> WriteOnlyCell | None:
        if value is None:
            return None
        c = WriteOnlyCell(ws, value=value)
        c.number_format = "yyyy-mm-dd"
        return c

    rows = await session.execute(_search_query(practice_id, f).limit(f.limit).offset(f.offset))
    for r, applied in rows:
        o = _out(r, applied)
        ws.append([o.id, o.status, date_cell(o.received_on), o.patient_account, o.type,
                   o.method, o.source, o.check_number, o.statement_id, o.payer_name,
                   money_cell(o.amount), money_cell(o.applied), money_cell(o.unapplied),
                   date_cell(o.hold_until), o.status_reason, o.comment])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = [
    "apply_by_hand", "change_status", "create_receipt", "create_type", "export_xlsx", "hold",
    "ignore", "list_types", "load_claims", "practice_today", "reconcile", "reconcile_practice",
    "resolve_type", "reverse", "search", "show",
]
