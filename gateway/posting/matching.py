"""Matching: which claim a deposit claim (CLP) pays, and which claim line each of its service
lines (SVC) pays.

Claims are matched, within the practice, by CLP01 against the claim's identities -- the patient
control number it was billed with and the PMS's own claim number (`source_claim_id`, what an
aging export or the PMS calls it) -- then by payer claim number (the claim's own or one an
earlier deposit linked), then by patient + date of service + billed total (a claim whose
billed amount is unknown, 0.00, matches on patient and date alone). More than one candidate is
never guessed: the candidates go to the biller as a Claim Not Found error. Each step runs a
fixed number of queries per chunk, whatever the number of claims in it.

A claim known only at claim level (an aging claim: one line with the code `CLAIM_LEVEL_CODE`)
takes every service line of the ERA on that line, without a Procedure Code Conflict.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.models import Coverage, Patient
from gateway.ledger.models import Claim, ClaimLine
from gateway.posting.bulk import fetch
from gateway.posting.models import DepositClaim, DepositProcedure

# the procedure code gateway/aging/service.py gives the one line of a claim-level aging claim
CLAIM_LEVEL_CODE = "AGING"
RANK_OF_STATUS = {"1": 1, "19": 1, "2": 2, "20": 2, "3": 3, "21": 3}
_IN = 500  # ids per IN list


class Line(msgspec.Struct):
    """A claim line as matching and posting see it (modifiers upper-cased)."""

    id: int
    claim_id: int
    line_number: int
    code: str
    modifiers: list[str]
    charge: Decimal


def is_claim_level(lines: list[Line]) -> bool:
    """A claim known only at claim level: its one line stands for the whole claim."""
    return len(lines) == 1 and lines[0].code == CLAIM_LEVEL_CODE


def _chunks(values: Iterable[object]) -> Iterable[list[object]]:
    items = list(values)
    for i in range(0, len(items), _IN):
        yield items[i : i + _IN]


async def match_claims(
    session: AsyncSession, practice_id: int, dcs: list[DepositClaim],
    payer_id: int | None = None,
) -> dict[int, list[int]]:
    """Match deposit claims to claims (setting `claim_id`/`match_method` on them); returns the
    candidates of the ambiguous ones. `payer_id` (the deposit's payer) settles between the
    claims of one PMS claim number for several payers, as CLP02 (the rank that paid) does."""
    ambiguous: dict[int, list[int]] = {}
    if not dcs:
        return ambiguous
    rest = await _match_identity(session, practice_id, dcs, payer_id, ambiguous)
    rest = await _match_icn(session, practice_id, rest, ambiguous)
    dated = {dc.id: dc for dc in rest if dc.service_date is not None}
    for dc_id, found in (await match_by_patient(session, practice_id,
                                                list(dated.values()))).items():
        dc = dated[dc_id]
        if len(found) == 1:
            dc.claim_id, dc.match_method = found[0], "patient_dos_total"
        elif len(found) > 1:
            ambiguous[dc.id] = found
    return ambiguous


async def _match_identity(
    session: AsyncSession, practice_id: int, dcs: list[DepositClaim], payer_id: int | None,
    ambiguous: dict[int, list[int]],
) -> list[DepositClaim]:
    """CLP01 against patient control numbers and PMS claim numbers; the unmatched return."""
    xrefs = {dc.claim_xref for dc in dcs}
    found: dict[str, dict[int, tuple[str, int, int | None]]] = defaultdict(dict)
    for chunk in _chunks(xrefs):
        for column, method in ((Claim.patient_control_number, "patient_control_number"),
                               (Claim.source_claim_id, "source_claim_id")):
            for key, cid, rank, payer in await fetch(session, select(
                    column, Claim.id, Claim.payer_rank, Claim.payer_id).where(
                    Claim.practice_id == practice_id, column.in_(chunk))):
                found[key].setdefault(cid, (method, rank, payer))
    rest = []
    for dc in dcs:
        cands = found.get(dc.claim_xref, {})
        if len(cands) > 1:
            cands = _narrow(cands, dc, payer_id)
        if len(cands) == 1:
            ((cid, (method, _, _)),) = cands.items()
            dc.claim_id, dc.match_method = cid, method
        elif len(cands) > 1:
            ambiguous[dc.id] = sorted(cands)
        else:
            rest.append(dc)
    return rest


def _narrow(cands: dict[int, tuple[str, int, int | None]], dc: DepositClaim,
            payer_id: int | None) -> dict[int, tuple[str, int, int | None]]:
    """Of several claims with this number, the one of the rank that paid, else of this payer
    (all of them when that does not settle it: ambiguity is an error, not a guess)."""
    rank = RANK_OF_STATUS.get(dc.remit_status)
    by_rank = {k: v for k, v in cands.items() if v[1] == rank}
    if len(by_rank) == 1:
        return by_rank
    by_payer = {k: v for k, v in (by_rank or cands).items() if payer_id and v[2] == payer_id}
    return by_payer if len(by_payer) == 1 else cands


async def _match_icn(session: AsyncSession, practice_id: int, dcs: list[DepositClaim],
                     ambiguous: dict[int, list[int]]) -> list[DepositClaim]:
    """The payer claim number (CLP07): the claim's own, or one an earlier deposit linked."""
    with_icn = [dc for dc in dcs if dc.payer_claim_number]
    if not with_icn:
        return dcs
    seen: dict[str, set[int]] = defaultdict(set)
    for chunk in _chunks({dc.payer_claim_number for dc in with_icn}):
        for icn, cid in await fetch(session, select(Claim.payer_claim_number, Claim.id).where(
                Claim.practice_id == practice_id, Claim.payer_claim_number.in_(chunk))):
            seen[icn].add(cid)
        for icn, cid in await fetch(session, select(
                DepositClaim.payer_claim_number, DepositClaim.claim_id).where(
                DepositClaim.practice_id == practice_id,
                DepositClaim.payer_claim_number.in_(chunk),
                DepositClaim.claim_id.is_not(None))):
            seen[icn].add(cid)
    still = []
    for dc in dcs:
        found = seen.get(dc.payer_claim_number or "", set())
        if len(found) == 1:
            dc.claim_id, dc.match_method = next(iter(found)), "payer_claim_number"
        elif len(found) > 1:
            ambiguous[dc.id] = sorted(found)
        else:
            still.append(dc)
    return still


async def match_by_patient(session: AsyncSession, practice_id: int,
                           dcs: list[DepositClaim]) -> dict[int, list[int]]:
    """Per deposit claim: the claims of its patient (member id, or last + first name) on its
    date of service whose billed total equals its charge -- or, when none does, those whose
    billed total is unknown (0.00). Four queries per chunk, not two per claim."""
    if not dcs:
        return {}
    dates = {dc.service_date for dc in dcs if dc.service_date is not None}
    claims: dict[dt.date, list[tuple[int, int, str, str]]] = defaultdict(list)
    for chunk in _chunks(dates):
        for cid, dos, patient_id, last, first in await fetch(session, select(
                Claim.id, Claim.service_date_from, Claim.patient_id,
                func.upper(Patient.last_name), func.upper(Patient.first_name))
                .join(Patient, Patient.id == Claim.patient_id)
                .where(Claim.practice_id == practice_id, Claim.service_date_from.in_(chunk))
                .order_by(Claim.id)):
            claims[dos].append((cid, patient_id, last or "", first or ""))
    members: dict[str, set[int]] = defaultdict(set)
    for chunk in _chunks({dc.member_id for dc in dcs if dc.member_id}):
        for patient_id, member in await fetch(session, select(
                Coverage.patient_id, Coverage.member_id)
                .join(Patient, Patient.id == Coverage.patient_id)
                .where(Patient.practice_id == practice_id, Coverage.member_id.in_(chunk))):
            members[member].add(patient_id)
    out: dict[int, list[int]] = {}
    for dc in dcs:
        assert dc.service_date is not None
        last = (dc.patient_last_name or "").upper()
        first = (dc.patient_first_name or "").upper()
        of_member = members.get(dc.member_id or "", set())
        out[dc.id] = [
            cid for cid, patient_id, c_last, c_first in claims.get(dc.service_date, [])
            if patient_id in of_member
            or (last and c_last == last and (not first or c_first == first))
        ]
    totals = await _billed_totals(session, {c for ids in out.values() for c in ids})
    for dc in dcs:
        exact = [c for c in out[dc.id] if totals.get(c) == dc.charged]
        out[dc.id] = exact or [c for c in out[dc.id] if totals.get(c) == 0]
    return out


async def _billed_totals(session: AsyncSession, claim_ids: set[int]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for chunk in _chunks(sorted(claim_ids)):
        for cid, total in await fetch(session, select(ClaimLine.claim_id, func.sum(
                ClaimLine.charge)).where(ClaimLine.claim_id.in_(chunk))
                .group_by(ClaimLine.claim_id)):
            totals[cid] = total
    return totals


def match_lines(
    procs: list[DepositProcedure], claim_lines: list[Line]
) -> tuple[dict[int, int], list[int]]:
    """ERA lines to claim lines: code + modifiers, then code alone; each claim line once; a
    restated code (SVC06) matches on the original code. Returns ({proc id: line id}, the ids
    of unmatched procs). Links already made (by a biller) are kept. A claim known only at
    claim level takes every ERA line on its one line."""
    out: dict[int, int] = {}
    used: set[int] = set()
    for p in procs:
        if p.claim_line_id is not None and not p.excluded:
            out[p.id] = p.claim_line_id
            used.add(p.claim_line_id)
    todo = [p for p in procs if p.id not in out and not p.excluded]
    if is_claim_level(claim_lines):
        out.update({p.id: claim_lines[0].id for p in todo})
        return out, []
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
