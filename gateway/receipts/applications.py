"""The money side of receipts: the patients' claim lines with their patient balances (what
the engine and a biller apply to), what each receipt has applied, and writing applications
with their `patient_payment` ledger rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import ZERO
from gateway.db.types import Money
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.posting.bulk import fetch, insert_rows
from gateway.receipts import disburse
from gateway.receipts.common import CHUNK, chunks
from gateway.receipts.models import ReceiptApplication

SOURCE_TYPE = "receipt_application"  # ledger rows' source_type; source_id = application id
PATIENT_KINDS = ("transfer_to_patient", "patient_payment", "patient_adjustment")

APPLICATIONS = cast(Table, ReceiptApplication.__table__)
LEDGER = cast(Table, LedgerEntry.__table__)
CLAIMS = cast(Table, Claim.__table__)
LINES = cast(Table, ClaimLine.__table__)


async def load_claims(session: AsyncSession, practice_id: int,
                      patient_ids: Iterable[int]) -> dict[int, list[disburse.ClaimView]]:
    """Every claim of these patients with its lines and their patient balances, in bulk
    (plain Core reads: no ORM objects for rows that only feed decisions)."""
    pids = sorted(set(patient_ids))
    by_patient: dict[int, list[disburse.ClaimView]] = defaultdict(list)
    if not pids:
        return by_patient
    claims: dict[int, disburse.ClaimView] = {}
    rows = await fetch(session,
        select(CLAIMS.c.id, CLAIMS.c.patient_id, CLAIMS.c.service_date_from,
               CLAIMS.c.appointment_id, CLAIMS.c.level, CLAIMS.c.status, CLAIMS.c.invoice_date)
        .where(CLAIMS.c.practice_id == practice_id, CLAIMS.c.patient_id.in_(pids))
        .order_by(CLAIMS.c.id)
        .with_for_update()  # PostgreSQL: two runs never pay the same balance twice
    )
    for cid, pid, dos, appt, level, status, invoice in rows:
        c = disburse.ClaimView(cid, dos, appt, level, status, invoice)
        claims[cid] = c
        by_patient[pid].append(c)
    if claims:
        await _load_lines(session, practice_id, pids, claims)
    return by_patient


async def _load_lines(session: AsyncSession, practice_id: int, pids: list[int],
                      claims: dict[int, disburse.ClaimView]) -> None:
    """The claims' lines, each with its patient balance summed in the same query (one row
    per line: transfers to the patient less patient payments and adjustments)."""
    signed = case((LEDGER.c.kind == "transfer_to_patient", LEDGER.c.amount),
                  else_=-LEDGER.c.amount)
    balance = (select(func.coalesce(func.sum(signed), 0))
               .where(LEDGER.c.claim_line_id == LINES.c.id, LEDGER.c.kind.in_(PATIENT_KINDS))
               .scalar_subquery())
    rows = await fetch(session,
        select(LINES.c.id, LINES.c.claim_id, LINES.c.line_number, LINES.c.procedure_code,
               LINES.c.copay, type_coerce(balance, Money()))
        .join(CLAIMS, CLAIMS.c.id == LINES.c.claim_id)
        .where(CLAIMS.c.practice_id == practice_id, CLAIMS.c.patient_id.in_(pids))
        .order_by(LINES.c.claim_id, LINES.c.line_number)
    )
    for lid, cid, number, code, copay, owed in rows:
        claims[cid].lines.append(disburse.Line(lid, cid, number, code, bool(copay), owed))


async def applied_amounts(session: AsyncSession, receipt_ids: Iterable[int]) -> dict[int, Decimal]:
    """Σ applications not reversed, per receipt."""
    ids = list(receipt_ids)
    out: dict[int, Decimal] = {}
    for chunk in chunks(ids, CHUNK):
        rows = await fetch(session,
            select(APPLICATIONS.c.receipt_id, func.sum(APPLICATIONS.c.amount))
            .where(APPLICATIONS.c.receipt_id.in_(chunk), APPLICATIONS.c.reversed_at.is_(None))
            .group_by(APPLICATIONS.c.receipt_id)
        )
        out.update((rid, total or ZERO) for rid, total in rows)
    return out


async def write_applications(session: AsyncSession, practice_id: int,
                             apps: list[dict[str, Any]]) -> list[int]:
    """Insert applications (each with its `created_at`, one value for the batch) and their
    ledger rows (one patient_payment each), in bulk; the new application ids in the order of
    `apps`."""
    if not apps:
        return []
    at = apps[0]["created_at"]
    await insert_rows(session, APPLICATIONS, apps)
    # the new ids, read back by (receipt, line, credit) among this batch's rows: the
    # receipts are locked by the caller, and one batch never repeats that key for a receipt
    receipt_ids = sorted({a["receipt_id"] for a in apps})
    id_of: dict[tuple[int, int, bool], int] = {}
    for part in chunks(receipt_ids, CHUNK):
        found = await fetch(session, select(
            APPLICATIONS.c.id, APPLICATIONS.c.receipt_id, APPLICATIONS.c.claim_line_id,
            APPLICATIONS.c.credit).where(APPLICATIONS.c.receipt_id.in_(part),
                                         APPLICATIONS.c.created_at == at))
        id_of.update(((rid, lid, bool(credit)), app_id) for app_id, rid, lid, credit in found)
    if len(id_of) != len(apps):  # pragma: no cover - guarded by how decisions are made
        raise RuntimeError("two applications of one receipt to one line in one run")
    ids = [id_of[(a["receipt_id"], a["claim_line_id"], bool(a["credit"]))] for a in apps]
    await insert_rows(session, LEDGER, [
        {"practice_id": practice_id, "claim_id": a["claim_id"],
         "claim_line_id": a["claim_line_id"], "kind": "patient_payment", "amount": a["amount"],
         "source_type": SOURCE_TYPE, "source_id": app_id, "created_at": at,
         "reason": "credit" if a["credit"] else None}
        for a, app_id in zip(apps, ids, strict=True)
    ])
    return ids
