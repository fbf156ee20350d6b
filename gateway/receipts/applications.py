"""The money side of receipts: the patients' claim lines with their patient balances (what
the engine and a biller apply to), what each receipt has applied, and writing applications
with their `patient_payment` ledger rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    null,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import ZERO
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.posting.bulk import fetch, insert_rows
from gateway.receipts import disburse
from gateway.receipts.common import CHUNK, cents_decoder, chunks, date_decoder, stored
from gateway.receipts.models import ReceiptApplication

SOURCE_TYPE = "receipt_application"  # ledger rows' source_type; source_id = application id
PATIENT_KINDS = ("transfer_to_patient", "patient_payment", "patient_adjustment")

APPLICATIONS = cast(Table, ReceiptApplication.__table__)
LEDGER = cast(Table, LedgerEntry.__table__)
CLAIMS = cast(Table, Claim.__table__)
LINES = cast(Table, ClaimLine.__table__)


async def load_claims(session: AsyncSession, practice_id: int,
                      patient_ids: Iterable[int]) -> dict[int, list[disburse.ClaimView]]:
    """Every claim of these patients with its lines and their patient balances, in one
    plain Core read (no ORM objects for rows that only feed decisions): a row per line with
    its claim's columns and its balance summed in the same query (transfers to the patient
    less patient payments and adjustments). Dates and money are read as stored and decoded
    once per distinct value."""
    pids = sorted(set(patient_ids))
    by_patient: dict[int, list[disburse.ClaimView]] = defaultdict(list)
    if not pids:
        return by_patient
    signed = case((LEDGER.c.kind == "transfer_to_patient", LEDGER.c.amount),
                  else_=-LEDGER.c.amount)
    balance = (select(func.coalesce(func.sum(signed), 0))
               .where(LEDGER.c.claim_line_id == LINES.c.id, LEDGER.c.kind.in_(PATIENT_KINDS))
               .scalar_subquery())
    rows = await fetch(session,
        select(CLAIMS.c.id, CLAIMS.c.patient_id, stored(CLAIMS.c.service_date_from),
               CLAIMS.c.appointment_id, CLAIMS.c.level, CLAIMS.c.status,
               stored(CLAIMS.c.invoice_date), LINES.c.id, LINES.c.line_number,
               LINES.c.procedure_code, stored(LINES.c.copay), type_coerce(balance, BigInteger))
        .select_from(CLAIMS.outerjoin(LINES, LINES.c.claim_id == CLAIMS.c.id))
        .where(CLAIMS.c.practice_id == practice_id, CLAIMS.c.patient_id.in_(pids))
        .order_by(CLAIMS.c.id, LINES.c.line_number)
        .with_for_update(of=CLAIMS)  # PostgreSQL: two runs never pay the same balance twice
    )
    day, owed = date_decoder(), cents_decoder()
    claim, line = disburse.ClaimView, disburse.Line
    c: disburse.ClaimView | None = None
    for cid, pid, dos, appt, level, status, invoice, lid, number, code, copay, cents in rows:
        if c is None or c.id != cid:
            c = claim(cid, day[dos], appt, level, status, day[invoice], [])
            by_patient[pid].append(c)
        if lid is not None:
            c.lines.append(line(lid, cid, number, code, bool(copay), owed[cents]))
    return by_patient


async def applied_amounts(session: AsyncSession, receipt_ids: Iterable[int]) -> dict[int, Decimal]:
    """Σ applications not reversed, per receipt."""
    ids = list(receipt_ids)
    out: dict[int, Decimal] = {}
    total = cents_decoder()
    for chunk in chunks(ids, CHUNK):
        rows = await fetch(session,
            select(APPLICATIONS.c.receipt_id,
                   type_coerce(func.sum(APPLICATIONS.c.amount), BigInteger))
            .where(APPLICATIONS.c.receipt_id.in_(chunk), APPLICATIONS.c.reversed_at.is_(None))
            .group_by(APPLICATIONS.c.receipt_id)
        )
        out.update((rid, total[stored] or ZERO) for rid, stored in rows)
    return out


def _batch(practice_id: int, apps: list[dict[str, Any]]) -> Any:
    """This batch's applications among the stored ones: by their receipts (locked by the
    caller) and the batch's one `created_at`."""
    return and_(APPLICATIONS.c.practice_id == practice_id,
                APPLICATIONS.c.receipt_id.in_(sorted({a["receipt_id"] for a in apps})),
                APPLICATIONS.c.created_at == apps[0]["created_at"])


async def write_applications(session: AsyncSession, practice_id: int,
                             apps: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """Insert applications (each with its `created_at`, one value for the batch) and their
    ledger rows (one patient_payment each, made from the stored applications by one INSERT
    ... SELECT: set-based, no row of them built in Python). With `ids`, the new application
    ids in the order of `apps` (a biller's few); else []."""
    if not apps:
        return []
    await insert_rows(session, APPLICATIONS, apps)
    a = APPLICATIONS.c
    await session.execute(insert(LEDGER).from_select(
        ["practice_id", "claim_id", "claim_line_id", "kind", "amount", "source_type",
         "source_id", "created_at", "reason"],
        select(a.practice_id, a.claim_id, a.claim_line_id,
               literal("patient_payment", LEDGER.c.kind.type), a.amount,
               literal(SOURCE_TYPE, LEDGER.c.source_type.type), a.id, a.created_at,
               case((a.credit, literal("credit", LEDGER.c.reason.type)), else_=null()))
        .where(_batch(practice_id, apps)).order_by(a.id)))
    return await _new_ids(session, practice_id, apps) if ids else []


async def _new_ids(session: AsyncSession, practice_id: int,
                   apps: list[dict[str, Any]]) -> list[int]:
    """The new application ids, read back by (receipt, line, credit) among this batch's rows:
    one batch never repeats that key for a receipt."""
    found = await fetch(session, select(
        APPLICATIONS.c.id, APPLICATIONS.c.receipt_id, APPLICATIONS.c.claim_line_id,
        APPLICATIONS.c.credit).where(_batch(practice_id, apps)))
    id_of = {(rid, lid, bool(credit)): app_id for app_id, rid, lid, credit in found}
    if len(id_of) != len(apps):  # pragma: no cover - guarded by how decisions are made
        raise RuntimeError("two applications of one receipt to one line in one run")
    return [id_of[(a["receipt_id"], a["claim_line_id"], bool(a["credit"]))] for a in apps]
