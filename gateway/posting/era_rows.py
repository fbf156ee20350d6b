"""The rows of one ERA deposit: its claims (CLP), service lines (SVC), claim and line
adjustments (CAS) and provider-level adjustments (PLB), bulk-inserted as the payer sent them
(see `era_import` for the deposit itself and its errors)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import ZERO
from gateway.core.x12.model835 import ClaimPayment, Remittance
from gateway.posting.bulk import fetch, insert_rows
from gateway.posting.models import (
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
)

# the tables as Core sees them (the ORM types `__table__` as a FromClause)
_DC = cast(Table, DepositClaim.__table__)
_PROC = cast(Table, DepositProcedure.__table__)
_ADJ = cast(Table, DepositAdjustment.__table__)


async def insert_plb(session: AsyncSession, dep_id: int, rem: Remittance) -> None:
    if not rem.provider_adjustments:
        return
    await insert_rows(
        session, _ADJ,
        [
            {
                "deposit_id": dep_id,
                "deposit_claim_id": None,
                "deposit_procedure_id": None,
                "level": "provider",
                "group_code": "PLB",
                "reason": p.reason[:10],
                "amount": p.amount,
                "quantity": None,
                "reference": p.reference[:80] or None,
                "payment_type": None,
                "payment_type_source": None,
                "allocations": None,
                "plb_claim_id": None,
                "applied": False,
            }
            for p in rem.provider_adjustments
        ],
    )


def _service_date(c: ClaimPayment) -> dt.date | None:
    if c.statement_start:
        return c.statement_start
    dates = [d for d in (ln.service_date or ln.service_start for ln in c.lines) if d]
    return min(dates) if dates else None


async def insert_claims(
    session: AsyncSession, practice_id: int, dep_id: int, offset: int,
    claims: list[ClaimPayment],
) -> None:
    """One batch of a deposit's claims (sequence numbers from `offset` + 1), with their
    service lines and adjustments."""
    rows = [_claim_row(practice_id, dep_id, i, c) for i, c in enumerate(claims, start=offset + 1)]
    # one bulk insert (executemany on SQLite, COPY on PostgreSQL), then the ids read back by
    # the unique key (deposit_id, sequence)
    await insert_rows(session, _DC, rows)
    by_seq = {seq: i for seq, i in await fetch(session, select(
        _DC.c.sequence, _DC.c.id).where(
        _DC.c.deposit_id == dep_id, _DC.c.sequence.between(offset + 1, offset + len(rows))))}
    ids = [by_seq[r["sequence"]] for r in rows]
    proc_rows = []
    owners: list[tuple[int, list[Any]]] = []  # (deposit_claim_id, adjustments) per proc row
    adj_rows: list[dict[str, Any]] = []
    for dc_id, c in zip(ids, claims, strict=True):
        for a in c.adjustments:
            adj_rows.append(_adj(dep_id, dc_id, None, "claim", a.group, a.reason, a.amount,
                                 a.quantity))
        for n, ln in enumerate(c.lines, start=1):
            proc_rows.append(_proc_row(dc_id, n, ln))
            owners.append((dc_id, ln.adjustments))
    if proc_rows:
        pids = await _insert_procs(session, ids, proc_rows)
        for pid, (dc_id, adjs) in zip(pids, owners, strict=True):
            for a in adjs:
                adj_rows.append(_adj(dep_id, dc_id, pid, "procedure", a.group, a.reason,
                                     a.amount, a.quantity))
    if adj_rows:
        await insert_rows(session, _ADJ, adj_rows)


def _claim_row(practice_id: int, dep_id: int, sequence: int, c: ClaimPayment) -> dict[str, Any]:
    party = c.patient or c.insured
    xover = c.crossover_carrier
    return {
        "deposit_id": dep_id,
        "practice_id": practice_id,
        "sequence": sequence,
        "claim_xref": c.patient_control_number[:38],
        "claim_id": None,
        "match_method": None,
        "payer_claim_number": c.payer_claim_number[:50] or None,
        "remit_status": c.status_code[:4],
        "frequency_code": c.frequency_code[:2] or None,
        "charged": c.charge,
        "paid": c.paid,
        "patient_responsibility": c.patient_responsibility,
        "allowed": _allowed(c),
        "deductible": ZERO, "coinsurance": ZERO, "copay": ZERO, "adjustments": ZERO,
        "denied": ZERO, "information": ZERO,
        "excluded": False,
        "state": "pending",
        "credit": False,
        "patient_last_name": (party.last_name[:100] or None) if party else None,
        "patient_first_name": (party.first_name[:100] or None) if party else None,
        "member_id": ((c.insured.id if c.insured and c.insured.id else
                       (party.id if party else ""))[:80] or None),
        "service_date": _service_date(c),
        "crossover_payer_name": (xover.last_name[:200] or None) if xover else None,
        "crossover_payer_id": (xover.id[:80] or None) if xover else None,
        "overrides": {},
    }


def _proc_row(dc_id: int, sequence: int, ln: Any) -> dict[str, Any]:
    return {
        "deposit_claim_id": dc_id,
        "sequence": sequence,
        "procedure_code": (ln.procedure_code or "").strip().upper()[:20],
        "modifiers": [m.strip().upper() for m in ln.modifiers if m.strip()],
        "original_code": ln.original_procedure_code.strip().upper()[:20] or None,
        "original_modifiers": [m.strip().upper() for m in ln.original_modifiers if m.strip()],
        "units": ln.units,
        "charged": ln.charge,
        "paid": ln.paid,
        "allowed": ln.allowed,
        "service_date": ln.service_date or ln.service_start,
        "line_control_number": ln.control_number[:50] or None,
        "claim_line_id": None,
        "excluded": False,
        "overrides": {},
    }


async def _insert_procs(session: AsyncSession, dc_ids: list[int],
                        proc_rows: list[dict[str, Any]]) -> list[int]:
    """INSERT the service lines; their ids, in the order of `proc_rows`."""
    pt = _PROC
    await insert_rows(session, pt, proc_rows)
    got = await fetch(session, select(pt.c.deposit_claim_id, pt.c.sequence, pt.c.id)
                      .where(pt.c.deposit_claim_id.between(min(dc_ids), max(dc_ids))))
    by_key = {(dc, seq): pid for dc, seq, pid in got}
    return [by_key[(r["deposit_claim_id"], r["sequence"])] for r in proc_rows]


def _allowed(c: ClaimPayment) -> Decimal | None:
    vals = [ln.allowed for ln in c.lines if ln.allowed is not None]
    if vals and len(vals) == len(c.lines):
        return sum(vals, ZERO)
    return None


def _adj(dep_id: int, dc_id: int, pid: int | None, level: str, group: str, reason: str,
         amount: Decimal, quantity: Decimal | None) -> dict[str, Any]:
    return {
        "deposit_id": dep_id,
        "deposit_claim_id": dc_id,
        "deposit_procedure_id": pid,
        "level": level,
        "group_code": group[:4],
        "reason": reason[:10],
        "amount": amount,
        "quantity": quantity,
        "reference": None,
        "payment_type": None,
        "payment_type_source": None,
        "allocations": None,
        "plb_claim_id": None,
        "applied": False,
    }
