"""Matching: which claim a deposit claim (CLP) pays, and which claim line each of its service
lines (SVC) pays.

Claims are matched by patient control number, then by payer claim number (the claim's own or
one an earlier deposit linked), then by patient + date of service + billed total. More than one
candidate is never guessed: the candidates go to the biller as a Claim Not Found error.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import msgspec
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.models import Coverage, Patient
from gateway.ledger.models import Claim, ClaimLine
from gateway.posting.bulk import fetch
from gateway.posting.models import DepositClaim, DepositProcedure


class Line(msgspec.Struct):
    """A claim line as matching and posting see it (modifiers upper-cased)."""

    id: int
    claim_id: int
    line_number: int
    code: str
    modifiers: list[str]
    charge: Decimal


async def match_claims(
    session: AsyncSession, practice_id: int, dcs: list[DepositClaim]
) -> dict[int, list[int]]:
    """Match deposit claims to claims (setting `claim_id`/`match_method` on them); returns the
    candidates of the ambiguous ones."""
    ambiguous: dict[int, list[int]] = {}
    if not dcs:
        return ambiguous
    by_xref = dict(

            await fetch(session,
                select(Claim.patient_control_number, Claim.id).where(
                    Claim.practice_id == practice_id,
                    Claim.patient_control_number.in_({dc.claim_xref for dc in dcs}),
                )
            )

    )
    rest = []
    for dc in dcs:
        cid = by_xref.get(dc.claim_xref)
        if cid is not None:
            dc.claim_id, dc.match_method = cid, "patient_control_number"
        else:
            rest.append(dc)
    with_icn = [dc for dc in rest if dc.payer_claim_number]
    if with_icn:
        icns = {dc.payer_claim_number for dc in with_icn}
        seen: dict[str, set[int]] = defaultdict(set)
        for icn, cid in (
            await fetch(session,
                select(Claim.payer_claim_number, Claim.id).where(
                    Claim.practice_id == practice_id, Claim.payer_claim_number.in_(icns))
            )
        ):
            seen[icn].add(cid)
        for icn, cid in (
            await fetch(session,
                select(DepositClaim.payer_claim_number, DepositClaim.claim_id).where(
                    DepositClaim.practice_id == practice_id,
                    DepositClaim.payer_claim_number.in_(icns),
                    DepositClaim.claim_id.is_not(None),
                )
            )
        ):
            seen[icn].add(cid)
        still = []
        for dc in rest:
            found = seen.get(dc.payer_claim_number or "", set())
            if len(found) == 1:
                dc.claim_id, dc.match_method = next(iter(found)), "payer_claim_number"
            elif len(found) > 1:
                ambiguous[dc.id] = sorted(found)
            else:
                still.append(dc)
        rest = still
    else:
        rest = [dc for dc in rest if dc.id not in ambiguous]
    for dc in rest:
        if dc.service_date is None:
            continue
        by_patient = await match_by_patient(session, practice_id, dc)
        if len(by_patient) == 1:
            dc.claim_id, dc.match_method = by_patient[0], "patient_dos_total"
        elif len(by_patient) > 1:
            ambiguous[dc.id] = by_patient
    return ambiguous


async def match_by_patient(session: AsyncSession, practice_id: int, dc: DepositClaim) -> list[int]:
    """Claims of the patient (member id, or last + first name) on the date of service whose
    billed total equals the deposit claim's charge."""
    conds = []
    if dc.member_id:
        conds.append(
            Claim.patient_id.in_(
                select(Coverage.patient_id)
                .join(Patient, Patient.id == Coverage.patient_id)
                .where(Patient.practice_id == practice_id, Coverage.member_id == dc.member_id)
            )
        )
    if dc.patient_last_name:
        name_cond = func.upper(Patient.last_name) == dc.patient_last_name.upper()
        if dc.patient_first_name:
            name_cond = and_(name_cond,
                             func.upper(Patient.first_name) == dc.patient_first_name.upper())
        conds.append(
            Claim.patient_id.in_(
                select(Patient.id).where(Patient.practice_id == practice_id, name_cond)
            )
        )
    if not conds:
        return []
    ids = list(
        await session.scalars(
            select(Claim.id).where(Claim.practice_id == practice_id,
                                   Claim.service_date_from == dc.service_date, or_(*conds))
        )
    )
    if not ids:
        return []
    rows = (
        await fetch(session,
            select(ClaimLine.claim_id, func.sum(ClaimLine.charge))
            .where(ClaimLine.claim_id.in_(ids))
            .group_by(ClaimLine.claim_id)
            .order_by(ClaimLine.claim_id)
        )
    )
    return [cid for cid, total in rows if total == dc.charged]


def match_lines(
    procs: list[DepositProcedure], claim_lines: list[Line]
) -> tuple[dict[int, int], list[int]]:
    """ERA lines to claim lines: code + modifiers, then code alone; each claim line once; a
    restated code (SVC06) matches on the original code. Returns ({proc id: line id}, the ids
    of unmatched procs). Links already made (by a biller) are kept."""
    out: dict[int, int] = {}
    used: set[int] = set()
    for p in procs:
        if p.claim_line_id is not None and not p.excluded:
            out[p.id] = p.claim_line_id
            used.add(p.claim_line_id)
    todo = [p for p in procs if p.id not in out and not p.excluded]
    for with_modifiers in (True, False):
        left = []
        for p in todo:
            code = (p.original_code or p.procedure_code).upper()
            mods = [m.upper() for m in (p.original_modifiers if p.original_code
                                        else p.modifiers)]
            cands = [
                ln for ln in claim_lines
                if ln.id not in used and ln.code == code
                and (not with_modifiers or sorted(ln.modifiers) == sorted(mods))
            ]
            if cands:
                best = next((ln for ln in cands if ln.charge == p.charged), cands[0])
                out[p.id] = best.id
                used.add(best.id)
            else:
                left.append(p)
        todo = left
    return out, [p.id for p in todo]
