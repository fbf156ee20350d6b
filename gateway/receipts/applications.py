"""The money side of receipts: the patients' claim lines with their patient balances (what
the engine and a biller apply to), what each receipt has applied, and writing applications
with their `patient_payment` ledger rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import ZERO
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.receipts import disburse
from gateway.receipts.common import CHUNK, chunks, now
from gateway.receipts.models import ReceiptApplication

SOURCE_TYPE = "receipt_application"  # ledger rows' source_type; source_id = application id
PATIENT_KINDS = ("transfer_to_patient", "patient_payment", "patient_adjustment")

APPLICATIONS = cast(Table, ReceiptApplication.__table__)
LEDGER = cast(Table, LedgerEntry.__table__)


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
    if claims:
        await _load_lines(session, practice_id, pids, claims)
    return by_patient


async def _load_lines(session: AsyncSession, practice_id: int, pids: list[int],
                      claims: dict[int, disburse.ClaimView]) -> None:
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
    sums = await session.execute(
        select(LedgerEntry.claim_line_id, LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .join(Claim, Claim.id == LedgerEntry.claim_id)
        .where(Claim.practice_id == practice_id, Claim.patient_id.in_(pids),
               LedgerEntry.kind.in_(PATIENT_KINDS))
        .group_by(LedgerEntry.claim_line_id, LedgerEntry.kind)
    )
    for lid, kind, total in sums:
        if lid in lines and total:
            sign = 1 if kind == "transfer_to_patient" else -1
            lines[lid].patient_balance += sign * total


async def applied_amounts(session: AsyncSession, receipt_ids: Iterable[int]) -> dict[int, Decimal]:
    """Σ applications not reversed, per receipt."""
    ids = list(receipt_ids)
    out: dict[int, Decimal] = {}
    for chunk in chunks(ids, CHUNK):
        rows = await session.execute(
            select(ReceiptApplication.receipt_id, func.sum(ReceiptApplication.amount))
            .where(ReceiptApplication.receipt_id.in_(chunk),
                   ReceiptApplication.reversed_at.is_(None))
            .group_by(ReceiptApplication.receipt_id)
        )
        out.update((rid, total or ZERO) for rid, total in rows)
    return out


async def write_applications(session: AsyncSession, practice_id: int,
                             apps: list[dict[str, Any]]) -> list[int]:
    """Insert applications and their ledger rows (one patient_payment each), in bulk; the new
    application ids in the order of `apps`."""
    if not apps:
        return []
    # Batched multi-row INSERT ... RETURNING; rows come back in no promised order, so they are
    # matched on (receipt, line, credit), which one run never repeats for a receipt.
    returned = await session.execute(
        insert(APPLICATIONS).returning(APPLICATIONS.c.id, APPLICATIONS.c.receipt_id,
                                       APPLICATIONS.c.claim_line_id, APPLICATIONS.c.credit),
        apps,
    )
    id_of = {(rid, lid, bool(credit)): app_id for app_id, rid, lid, credit in returned}
    if len(id_of) != len(apps):  # pragma: no cover - guarded by how decisions are made
        raise RuntimeError("two applications of one receipt to one line in one run")
    ids = [id_of[(a["receipt_id"], a["claim_line_id"], bool(a["credit"]))] for a in apps]
    at = now()
    await session.execute(insert(LEDGER), [
        {"practice_id": practice_id, "claim_id": a["claim_id"],
         "claim_line_id": a["claim_line_id"], "kind": "patient_payment", "amount": a["amount"],
         "source_type": SOURCE_TYPE, "source_id": app_id, "created_at": at,
         "reason": "credit" if a["credit"] else None}
        for a, app_id in zip(apps, ids, strict=True)
    ])
    return ids
