"""The posting engine: a deposit's claims posted to the ledger, claim by claim, in chunks.

For each chunk of deposit claims the engine loads, in a handful of bulk queries, the matched
claims, their lines, the line balances (ledger sums), the patients' coverages and the open
errors; decides every claim in memory; and writes the ledger rows, claim updates and errors
with executemany statements. Memory holds one chunk, whatever the size of the ERA.

A claim posts whole or not at all: any claim or procedure error keeps every line of that claim
off the ledger (no half-posted claims), while the clean claims of the deposit post (partial
posting). Posting again is safe: posted claims are skipped, errors that still apply are kept
(not duplicated), errors that no longer apply are closed as "cleared".

Order within a deposit: reversals (CLP02 = 22) first, then everything else, so a take-back and
its re-payment in one ERA net correctly whatever their order in the file.

Ledger sources: `deposit_claim` (posting), `deposit_plb` (a PLB applied to a claim). Reset
writes `deposit_claim_reset` / `deposit_plb_reset` rows pointing at the rows they undo.
"""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace
from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

import msgspec
from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.payers import find_payer
from gateway.core.errors import NotFound, UserError
from gateway.core.money import ZERO, format_money
from gateway.db.base import utcnow
from gateway.db.models import Coverage, Patient
from gateway.ledger.balances import Balances
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.posting.models import (
    Deposit,
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
    PostingError,
)
from gateway.posting.bulk import (
    fetch,
    fetch_objects,
    fetch_where_in,
    insert_rows,
    is_sqlite,
    select_raw,
    update_by_id,
)
from gateway.posting.rules import BALANCE_TYPES, PATIENT_TYPES, RuleSet, classify, load_rules

log = logging.getLogger("gateway.posting.engine")

CHUNK = 1000
LEVEL_OF_RANK = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
RANK_OF_STATUS = {"1": 1, "19": 1, "2": 2, "20": 2, "3": 3, "21": 3}
CROSSOVER = frozenset({"19", "20", "21"})
CENT = Decimal("0.01")

# Error types, by level.
DEPOSIT_ERRORS = (
    "Debit ERA",
    "Invalid Handling Code",
    "Payer Mismatch",
    "Missing Check/Trace Number",
    "Duplicate Deposit",
    "Deposit Does Not Balance",
)
CLAIM_ERRORS = ("Claim Not Found", "Carrier Payment Mismatch", "Claim-Level Adjustment Found")
PROCEDURE_ERRORS = (
    "Procedure Code Conflict",
    "Missing Payment Type",
    "Payment Exceeds Open Balance",
    "Negative Line Payment",
)


class PostResult(msgspec.Struct, kw_only=True):
    deposit_id: int
    posted_status: str
    posted_claims: int = 0
    error_claims: int = 0
    skipped_claims: int = 0
    ledger_rows: int = 0
    plb_applied: int = 0


class _Err(msgspec.Struct):
    level: str
    type: str
    message: str
    detail: dict[str, Any]
    proc_id: int | None = None
    adj_id: int | None = None

    def key(self) -> tuple[str, int | None, int | None]:
        return (self.type, self.proc_id, self.adj_id)


class _Ctx:
    """What one deposit's posting needs everywhere."""

    def __init__(self, deposit: Deposit, rules: RuleSet, actor: str) -> None:
        self.deposit = deposit
        self.rules = rules
        self.actor = actor
        self.now = utcnow()
        self.notification = deposit.handling_code == "H"
        self.result = PostResult(deposit_id=deposit.id, posted_status=deposit.posted_status)


# -- entry points -----------------------------------------------------------------------------


async def get_deposit(session: AsyncSession, practice_id: int, deposit_id: int) -> Deposit:
    dep = await session.get(Deposit, deposit_id)
    if dep is None or dep.practice_id != practice_id:
        raise NotFound(f"no deposit {deposit_id}")
    return dep


async def open_deposit_errors(session: AsyncSession, deposit_id: int) -> list[str]:
    return list(
        (
            await session.scalars(
                select(PostingError.type).where(
                    PostingError.deposit_id == deposit_id,
                    PostingError.level == "deposit",
                    PostingError.resolved_at.is_(None),
                )
            )
        ).all()
    )


async def post_deposit(
    session: AsyncSession,
    practice_id: int,
    deposit_id: int,
    *,
    actor: str = "system",
    only_claims: Sequence[int] | None = None,
) -> PostResult:
    """Send a deposit to posting and post every claim that can post.

    Refused (UserError) for an ignored deposit or one with open deposit-level errors. Another
    process posting the same deposit at the same moment is refused too: the deposit row is
    claimed with a conditional update ("Being Disbursed"), the database decides.
    """
    dep = await get_deposit(session, practice_id, deposit_id)
    if dep.status == "Ignore":
        raise UserError(f"deposit {deposit_id} is ignored; it cannot be posted")
    blocking = await open_deposit_errors(session, deposit_id)
    if blocking:
        raise UserError(
            f"deposit {deposit_id} has open deposit errors ({', '.join(sorted(set(blocking)))});"
            " resolve them first"
        )
    claimed = await session.execute(
        update(Deposit)
        .where(Deposit.id == deposit_id, Deposit.posted_status != "Being Disbursed")
        .values(posted_status="Being Disbursed", status="Sent to Posting")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise UserError(f"deposit {deposit_id} is being posted by another process")
    rules = await load_rules(session, practice_id, dep.payer_id)
    ctx = _Ctx(dep, rules, actor)
    only = set(only_claims) if only_claims is not None else None
    for reversals in (True, False):
        last_id = 0
        while True:
            q = (
                select(DepositClaim.__table__)
                .where(
                    DepositClaim.deposit_id == deposit_id,
                    DepositClaim.id > last_id,
                    DepositClaim.state.in_(("pending", "error")),
                    (DepositClaim.remit_status == "22") if reversals
                    else (DepositClaim.remit_status != "22"),
                )
                .order_by(DepositClaim.id)
                .limit(CHUNK)
                .execution_options(populate_existing=True)
            )
            if only is not None:
                q = q.where(DepositClaim.id.in_(only))
                chunk = await _rows(session, q)
            elif is_sqlite(session):  # the same query, without SQLAlchemy's row processing
                chunk = await select_raw(
                    session, DepositClaim.__table__,  # type: ignore[arg-type]
                    "deposit_id = ? AND id > ? AND state IN ('pending', 'error') AND "
                    + ("remit_status = '22'" if reversals else "remit_status != '22'")
                    + " ORDER BY id LIMIT ?",
                    (deposit_id, last_id, CHUNK))
            else:
                chunk = await _rows(session, q)
            if not chunk:
                break
            last_id = chunk[-1].id
            await _post_chunk(session, ctx, chunk)
    ctx.result.plb_applied = await _apply_plb(session, ctx)
    status = await refresh_posted_status(session, deposit_id)
    ctx.result.posted_status = status
    log.info(
        "deposit %s posted by %s: %d claims posted, %d with errors, status %s",
        deposit_id, actor, ctx.result.posted_claims, ctx.result.error_claims, status,
    )
    return ctx.result


async def refresh_posted_status(session: AsyncSession, deposit_id: int) -> str:
    """Disbursed when every claim posted (or was excluded); with Credits when one went into
    credit; Not Disbursed otherwise."""
    rows = (
        await session.execute(
            select(DepositClaim.state, func.count(),
                   func.sum(case((DepositClaim.credit.is_(True), 1), else_=0)))
            .where(DepositClaim.deposit_id == deposit_id)
            .group_by(DepositClaim.state)
        )
    ).all()
    counts = {state: n for state, n, _ in rows}
    credit = any(c for state, _, c in rows if state == "posted")
    if counts.get("pending") or counts.get("error"):
        status = "Not Disbursed"
    elif credit:
        status = "Disbursed with Credits"
    else:
        status = "Disbursed"
    values: dict[str, Any] = {"posted_status": status}
    if status != "Not Disbursed":
        values["posted_at"] = utcnow()
    await session.execute(
        update(Deposit).where(Deposit.id == deposit_id).values(**values)
        .execution_options(synchronize_session=False)
    )
    dep = await session.get(Deposit, deposit_id)
    if dep is not None:
        await session.refresh(dep)
    return status


# -- one chunk --------------------------------------------------------------------------------


class _Line(msgspec.Struct):
    id: int
    claim_id: int
    line_number: int
    code: str
    modifiers: list[str]
    charge: Decimal


async def _post_chunk(session: AsyncSession, ctx: _Ctx, dcs: list[DepositClaim]) -> None:
    practice_id = ctx.deposit.practice_id
    dc_ids = [dc.id for dc in dcs]
    procs_by_dc: dict[int, list[DepositProcedure]] = defaultdict(list)
    loaded_procs = await fetch_where_in(
        session, DepositProcedure.__table__, "deposit_claim_id", dc_ids,  # type: ignore[arg-type]
        ["deposit_claim_id", "sequence"])
    for p in loaded_procs:
        procs_by_dc[p.deposit_claim_id].append(p)
    claim_adjs: dict[int, list[DepositAdjustment]] = defaultdict(list)
    line_adjs: dict[int, list[DepositAdjustment]] = defaultdict(list)
    loaded_adjs = await fetch_where_in(
        session, DepositAdjustment.__table__, "deposit_claim_id", dc_ids,  # type: ignore[arg-type]
        ["id"])
    for a in loaded_adjs:
        if a.deposit_procedure_id is None:
            claim_adjs[a.deposit_claim_id].append(a)  # type: ignore[index]
        else:
            line_adjs[a.deposit_procedure_id].append(a)

    candidates = await _match_claims(session, practice_id, [dc for dc in dcs if dc.claim_id is None])

    claim_ids = {dc.claim_id for dc in dcs if dc.claim_id is not None}
    claims: dict[int, dict[str, Any]] = {}
    if claim_ids:
        for row in (
            await fetch(session, 
                select(
                    Claim.id, Claim.patient_id, Claim.payer_id, Claim.payer_rank, Claim.level,
                    Claim.status, Claim.sub_status, Claim.payer_claim_number,
                ).where(Claim.id.in_(claim_ids), Claim.practice_id == practice_id)
            )
        ):
            claims[row.id] = dict(row._mapping)
    lines: dict[int, list[_Line]] = defaultdict(list)
    balances: dict[int, Balances] = {}
    coverages: dict[int, dict[int, int]] = defaultdict(dict)
    if claims:
        ids = list(claims)
        for row in (
            await fetch(session, 
                select(ClaimLine.id, ClaimLine.claim_id, ClaimLine.line_number,
                       ClaimLine.procedure_code, ClaimLine.modifiers, ClaimLine.charge)
                .where(ClaimLine.claim_id.in_(ids))
                .order_by(ClaimLine.claim_id, ClaimLine.line_number)
            )
        ):
            lines[row[1]].append(_Line(row[0], row[1], row[2], row[3],
                                       [m.upper() for m in (row[4] or [])], row[5]))
            balances[row[0]] = Balances()
        for line_id, kind, total in (
            await fetch(session, 
                select(LedgerEntry.claim_line_id, LedgerEntry.kind, func.sum(LedgerEntry.amount))
                .where(LedgerEntry.claim_id.in_(ids))
                .group_by(LedgerEntry.claim_line_id, LedgerEntry.kind)
            )
        ):
            balances.setdefault(line_id, Balances()).add(kind, total or ZERO)
        patient_ids = {c["patient_id"] for c in claims.values()}
        for pid, rank, payer in (
            await fetch(session, 
                select(Coverage.patient_id, Coverage.rank, Coverage.payer_id).where(
                    Coverage.patient_id.in_(patient_ids)
                )
            )
        ):
            coverages[pid][rank] = payer

    # reversals: the earlier posting of the same payer claim number on the same claim
    earlier: dict[int, DepositClaim] = {}
    earlier_rows: dict[int, list[Any]] = defaultdict(list)
    rev = [dc for dc in dcs if dc.remit_status == "22" and dc.claim_id is not None
           and dc.payer_claim_number]
    if rev:
        found = (
            await session.scalars(
                select(DepositClaim)
                .where(
                    DepositClaim.practice_id == practice_id,
                    DepositClaim.payer_claim_number.in_({dc.payer_claim_number for dc in rev}),
                    DepositClaim.state == "posted",
                    DepositClaim.reversed_by_id.is_(None),
                    DepositClaim.remit_status != "22",
                )
                .order_by(DepositClaim.id)
            )
        ).all()
        by_key: dict[tuple[Any, Any], list[DepositClaim]] = defaultdict(list)
        for e in found:
            by_key[(e.claim_id, e.payer_claim_number)].append(e)
        taken: set[int] = set()  # ids of the postings chosen so far (earlier.values())
        for dc in rev:
            for e in by_key.get((dc.claim_id, dc.payer_claim_number), ()):
                if e.paid == -dc.paid and e.id not in taken:
                    prev = earlier.get(dc.id)
                    if prev is not None:
                        taken.discard(prev.id)
                    earlier[dc.id] = e  # the latest matching one wins
                    taken.add(e.id)
        if earlier:
            rows = await live_rows(session, [e.id for e in earlier.values()], "deposit_claim")
            for r in rows:
                earlier_rows[r.source_id].append(r)

    crossover_payers: dict[str, int | None] = {}
    for dc in dcs:
        if dc.crossover_payer_name and dc.crossover_payer_name not in crossover_payers:
            p = await find_payer(session, practice_id, dc.crossover_payer_name,
                                 dc.crossover_payer_id)
            crossover_payers[dc.crossover_payer_name] = p.id if p else None

    open_errs: dict[int, dict[tuple[str, int | None, int | None], int]] = defaultdict(dict)
    for e_id, dc_id, etype, pid, aid in (
        await fetch(session, 
            select(PostingError.id, PostingError.deposit_claim_id, PostingError.type,
                   PostingError.deposit_procedure_id, PostingError.deposit_adjustment_id)
            .where(PostingError.deposit_claim_id.in_(dc_ids), PostingError.resolved_at.is_(None))
        )
    ):
        open_errs[dc_id][(etype, pid, aid)] = e_id

    ledger_rows: list[dict[str, Any]] = []
    claim_updates: list[dict[str, Any]] = []
    dc_updates: list[dict[str, Any]] = []
    proc_updates: list[dict[str, Any]] = []
    adj_updates: list[dict[str, Any]] = []
    new_errors: list[dict[str, Any]] = []
    cleared: list[int] = []
    reversed_marks: list[dict[str, Any]] = []

    for dc in dcs:
        if dc.excluded:
            continue
        errors, outcome = _evaluate(
            ctx, dc, procs_by_dc.get(dc.id, []), claim_adjs.get(dc.id, []), line_adjs,
            claims, lines, balances, coverages, candidates.get(dc.id),
            earlier.get(dc.id), earlier_rows, crossover_payers,
            proc_updates, adj_updates,
        )
        # errors: keep the ones still open, add new ones, close the ones that no longer apply
        still = open_errs.get(dc.id, {})
        keys = set()
        for e in errors:
            keys.add(e.key())
            if e.key() not in still:
                new_errors.append({
                    "practice_id": ctx.deposit.practice_id, "deposit_id": ctx.deposit.id,
                    "deposit_claim_id": dc.id, "deposit_procedure_id": e.proc_id,
                    "deposit_adjustment_id": e.adj_id, "level": e.level, "type": e.type,
                    "message": e.message, "detail": e.detail, "created_at": ctx.now,
                })
        cleared.extend(eid for k, eid in still.items() if k not in keys)
        base = {"b_id": dc.id, "claim_id": dc.claim_id, "match_method": dc.match_method}
        if errors:
            ctx.result.error_claims += 1
            dc_updates.append({**base, **_dc_error_values()})
            continue
        assert outcome is not None
        ctx.result.posted_claims += 1
        ledger_rows.extend(outcome["rows"])
        claim_updates.append(outcome["claim"])
        if outcome.get("reversed_id"):
            reversed_marks.append({"b_id": outcome["reversed_id"], "reversed_by_id": dc.id})
        dc_updates.append({**base, **outcome["dc"]})

    if ledger_rows:
        await insert_rows(session, LedgerEntry.__table__, ledger_rows)  # type: ignore[arg-type]
        ctx.result.ledger_rows += len(ledger_rows)
    if claim_updates:
        await update_by_id(session, Claim.__table__, claim_updates)  # type: ignore[arg-type]
    if dc_updates:
        t = DepositClaim.__table__
        posted = [u for u in dc_updates if u["state"] == "posted"]
        failed = [u for u in dc_updates if u["state"] != "posted"]
        if posted:
            await update_by_id(session, t, posted)  # type: ignore[arg-type]
        if failed:
            await update_by_id(session, t, failed)  # type: ignore[arg-type]
    if reversed_marks:
        await update_by_id(session, DepositClaim.__table__, reversed_marks)  # type: ignore[arg-type]
    if proc_updates:
        await update_by_id(session, DepositProcedure.__table__, proc_updates)  # type: ignore[arg-type]
    if adj_updates:
        await update_by_id(session, DepositAdjustment.__table__, adj_updates)  # type: ignore[arg-type]
    if new_errors:
        await insert_rows(session, PostingError.__table__, new_errors)  # type: ignore[arg-type]
    if cleared:
        t = PostingError.__table__
        await session.execute(
            update(t).where(t.c.id.in_(cleared)).values(
                resolved_at=ctx.now, resolved_by=ctx.actor, resolution="cleared")
        )


async def _rows(session: AsyncSession, q: Any) -> list[Any]:
    """Rows as plain mutable objects (no ORM identity map): the engine changes them in memory
    and writes with executemany statements, never through per-object flushes."""
    return await fetch_objects(session, q)


def _dc_error_values() -> dict[str, Any]:
    return {"state": "error"}


# -- matching ---------------------------------------------------------------------------------


async def _match_claims(
    session: AsyncSession, practice_id: int, dcs: list[DepositClaim]
) -> dict[int, list[int]]:
    """Match deposit claims to claims (setting `claim_id`/`match_method` on them); returns the
    candidates of the ambiguous ones."""
    ambiguous: dict[int, list[int]] = {}
    if not dcs:
        return ambiguous
    by_xref = dict(
        (
            await fetch(session, 
                select(Claim.patient_control_number, Claim.id).where(
                    Claim.practice_id == practice_id,
                    Claim.patient_control_number.in_({dc.claim_xref for dc in dcs}),
                )
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
        found = await _match_by_patient(session, practice_id, dc)
        if len(found) == 1:
            dc.claim_id, dc.match_method = found[0], "patient_dos_total"
        elif len(found) > 1:
            ambiguous[dc.id] = found
    return ambiguous


async def _match_by_patient(session: AsyncSession, practice_id: int, dc: DepositClaim) -> list[int]:
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
    ids = (
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
    procs: list[DepositProcedure], claim_lines: list[_Line]
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


# -- allocation -------------------------------------------------------------------------------


def allocate(amount: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """Split `amount` across keys in proportion to `weights` (non-negative), in cents, the
    remainder cent by cent to the largest weights; equal split when all weights are zero."""
    keys = list(weights)
    if not keys:
        return {}
    w = {k: max(weights[k], ZERO) for k in keys}
    total = sum(w.values(), ZERO)
    if total == 0:
        w = {k: Decimal(1) for k in keys}
        total = Decimal(len(keys))
    sign = -1 if amount < 0 else 1
    absolute = abs(amount)
    shares = {k: (absolute * w[k] / total).quantize(CENT, rounding=ROUND_DOWN) for k in keys}
    rest = absolute - sum(shares.values(), ZERO)
    for k in sorted(keys, key=lambda k: (-w[k], k)):
        if rest <= 0:
            break
        shares[k] += CENT
        rest -= CENT
    return {k: v * sign for k, v in shares.items()}


# -- deciding one claim -----------------------------------------------------------------------


def _evaluate(
    ctx: _Ctx,
    dc: DepositClaim,
    procs: list[DepositProcedure],
    c_adjs: list[DepositAdjustment],
    line_adjs: dict[int, list[DepositAdjustment]],
    claims: dict[int, dict[str, Any]],
    lines_of: dict[int, list[_Line]],
    balances: dict[int, Balances],
    coverages: dict[int, dict[int, int]],
    candidates: list[int] | None,
    earlier: DepositClaim | None,
    earlier_rows: dict[int, list[Any]],
    crossover_payers: dict[str, int | None],
    proc_updates: list[dict[str, Any]],
    adj_updates: list[dict[str, Any]],
) -> tuple[list[_Err], dict[str, Any] | None]:
    errors: list[_Err] = []
    if dc.claim_id is None or dc.claim_id not in claims:
        if candidates:
            msg = (f"claim {dc.claim_xref}: {len(candidates)} claims match the patient, date "
                   "of service and billed total; link the right one")
        else:
            msg = f"claim {dc.claim_xref}: no claim matches (control number, payer claim number, " \
                  "patient + date of service + billed total)"
        dc.claim_id = None
        return [_Err("claim", "Claim Not Found", msg, {"candidates": candidates or []})], None
    claim = claims[dc.claim_id]
    claim_lines = lines_of.get(dc.claim_id, [])
    reversal = dc.remit_status == "22"
    denied_claim = dc.remit_status == "4"
    ov = dc.overrides or {}
    active = [p for p in procs if not p.excluded]

    # 1. the carrier's figures must add up
    if not ov.get("accept_mismatch"):
        adj_total = sum((a.amount for a in c_adjs), ZERO) + sum(
            (a.amount for p in procs for a in line_adjs.get(p.id, [])), ZERO)
        problems = []
        if dc.charged - dc.paid != adj_total:
            problems.append(
                f"charged {format_money(dc.charged)} - paid {format_money(dc.paid)} = "
                f"{format_money(dc.charged - dc.paid)} but adjustments total "
                f"{format_money(adj_total)}")
        if procs:
            line_paid = sum((p.paid for p in procs), ZERO)
            if line_paid != dc.paid:
                problems.append(f"claim paid {format_money(dc.paid)} but its lines paid "
                                f"{format_money(line_paid)}")
        if problems:
            errors.append(_Err("claim", "Carrier Payment Mismatch",
                               f"claim {dc.claim_xref}: " + "; ".join(problems), {}))

    # 2. lines
    mapping, unmatched = match_lines(active, claim_lines)
    for p in active:
        if p.id in mapping and p.claim_line_id != mapping[p.id]:
            p.claim_line_id = mapping[p.id]
            proc_updates.append({"b_id": p.id, "claim_line_id": p.claim_line_id})
    used = set(mapping.values())
    for pid in unmatched:
        p = next(x for x in active if x.id == pid)
        free = [{"id": ln.id, "procedure_code": ln.code, "modifiers": ln.modifiers,
                 "charge": format_money(ln.charge)} for ln in claim_lines if ln.id not in used]
        errors.append(_Err(
            "procedure", "Procedure Code Conflict",
            f"claim {dc.claim_xref} line {p.sequence}: {p.procedure_code}"
            f"{''.join('-' + m for m in p.modifiers)} matches no line of claim {dc.claim_id}",
            {"candidates": free}, proc_id=p.id))
    line_ids = [ln.id for ln in claim_lines]
    single = line_ids[0] if len(line_ids) == 1 else None

    # 3. claim-level money (claim CAS; the payment itself when the payer sent no lines)
    alloc: dict[int, list[tuple[DepositAdjustment | None, Decimal]]] = defaultdict(list)
    weights = {ln: balances.get(ln, Balances()).balance for ln in line_ids}
    payment_by_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if not procs and dc.paid != 0:
        pa = ov.get("payment_allocations")
        if single is not None:
            payment_by_line[single] = dc.paid
        elif pa and sum((Decimal(v) for v in pa.values()), ZERO) == dc.paid:
            for k, v in pa.items():
                payment_by_line[int(k)] = Decimal(v)
        else:
            proposal = allocate(dc.paid, weights)
            errors.append(_Err(
                "claim", "Claim-Level Adjustment Found",
                f"claim {dc.claim_xref}: payment {format_money(dc.paid)} is not split by "
                "line; confirm or change the allocation",
                {"payment": True, "amount": format_money(dc.paid),
                 "proposed": {str(k): format_money(v) for k, v in proposal.items()}}))
    for p in active:
        if p.id in mapping:
            payment_by_line[mapping[p.id]] += p.paid
    for a in c_adjs:
        if single is not None:
            alloc[single].append((a, a.amount))
        elif a.allocations and sum((Decimal(v) for v in a.allocations.values()), ZERO) == a.amount:
            for k, v in a.allocations.items():
                alloc[int(k)].append((a, Decimal(v)))
        else:
            proposal = allocate(a.amount, weights)
            errors.append(_Err(
                "claim", "Claim-Level Adjustment Found",
                f"claim {dc.claim_xref}: claim-level adjustment {a.group_code}-{a.reason} "
                f"{format_money(a.amount)} must be allocated to lines",
                {"amount": format_money(a.amount), "group": a.group_code, "reason": a.reason,
                 "proposed": {str(k): format_money(v) for k, v in proposal.items()}},
                adj_id=a.id))
    for p in active:
        if p.id in mapping:
            for a in line_adjs.get(p.id, []):
                alloc[mapping[p.id]].append((a, a.amount))

    # 4. payment types
    ptype_of: dict[int, str] = {}
    rule_of: dict[int, Any] = {}
    paid_zero_line = {mapping[p.id]: p.paid == 0 for p in active if p.id in mapping}
    for p in procs:
        for a in line_adjs.get(p.id, []):
            _type_adjustment(ctx, dc, a, p.paid == 0, denied_claim, ptype_of, rule_of,
                             adj_updates, errors, p.id)
    for a in c_adjs:
        _type_adjustment(ctx, dc, a, dc.paid == 0, denied_claim, ptype_of, rule_of,
                         adj_updates, errors, None)

    # 5. per-line checks
    for p in active:
        if p.id not in mapping:
            continue
        pov = p.overrides or {}
        if p.paid < 0 and not reversal and not pov.get("accept_negative"):
            errors.append(_Err("procedure", "Negative Line Payment",
                               f"claim {dc.claim_xref} line {p.sequence}: payment "
                               f"{format_money(p.paid)} is negative outside a reversal",
                               {"paid": format_money(p.paid)}, proc_id=p.id))
        open_balance = balances.get(mapping[p.id], Balances()).balance
        if (not reversal and p.paid > 0 and p.paid > open_balance
                and not pov.get("accept_overpayment")):
            errors.append(_Err("procedure", "Payment Exceeds Open Balance",
                               f"claim {dc.claim_xref} line {p.sequence}: payment "
                               f"{format_money(p.paid)} exceeds the open balance "
                               f"{format_money(open_balance)}",
                               {"paid": format_money(p.paid),
                                "open_balance": format_money(open_balance)}, proc_id=p.id))
    if errors:
        return errors, None

    # 6. post
    return [], _build(ctx, dc, claim, claim_lines, balances, coverages, payment_by_line, alloc,
                      ptype_of, rule_of, earlier, earlier_rows, crossover_payers)


def _type_adjustment(ctx: _Ctx, dc: DepositClaim, a: DepositAdjustment, paid_zero: bool,
                     denied_claim: bool, ptype_of: dict[int, str], rule_of: dict[int, Any],
                     adj_updates: list[dict[str, Any]], errors: list[_Err],
                     proc_id: int | None) -> None:
    if a.payment_type_source == "user" and a.payment_type:
        ptype_of[a.id] = a.payment_type
        rule_of[a.id] = ctx.rules.reason_rule(a.group_code, a.reason)
        return
    ptype, rule = classify(ctx.rules, a.group_code, a.reason, line_paid_zero=paid_zero,
                           claim_denied=denied_claim)
    if ptype is None:
        errors.append(_Err(
            "procedure" if proc_id else "claim", "Missing Payment Type",
            f"claim {dc.claim_xref}: no rule maps adjustment {a.group_code}-{a.reason} "
            f"({format_money(a.amount)}); choose a payment type",
            {"group": a.group_code, "reason": a.reason, "amount": format_money(a.amount)},
            proc_id=proc_id, adj_id=a.id))
        return
    ptype_of[a.id] = ptype
    rule_of[a.id] = rule
    if a.payment_type != ptype or a.payment_type_source != "rule":
        a.payment_type, a.payment_type_source = ptype, "rule"
        adj_updates.append({"b_id": a.id, "payment_type": ptype, "payment_type_source": "rule"})


def _row(ctx: _Ctx, dc: DepositClaim, line_id: int, kind: str, amount: Decimal,
         reason: str | None, reverses_id: int | None = None) -> dict[str, Any]:
    return {
        "practice_id": ctx.deposit.practice_id,
        "claim_id": dc.claim_id,
        "claim_line_id": line_id,
        "kind": kind,
        "amount": amount,
        "payer_id": ctx.deposit.payer_id,
        "source_type": "deposit_claim",
        "source_id": dc.id,
        "reverses_id": reverses_id,
        "reason": reason,
        "detail": None,
        "created_at": ctx.now,
    }


def _build(
    ctx: _Ctx,
    dc: DepositClaim,
    claim: dict[str, Any],
    claim_lines: list[_Line],
    balances: dict[int, Balances],
    coverages: dict[int, dict[int, int]],
    payment_by_line: dict[int, Decimal],
    alloc: dict[int, list[tuple[DepositAdjustment | None, Decimal]]],
    ptype_of: dict[int, str],
    rule_of: dict[int, Any],
    earlier: DepositClaim | None,
    earlier_rows: dict[int, list[Any]],
    crossover_payers: dict[str, int | None],
) -> dict[str, Any]:
    rules = ctx.rules
    rows: list[dict[str, Any]] = []
    figures = {k: ZERO for k in ("deductible", "coinsurance", "copay", "adjustments", "denied",
                                 "information")}
    prior = {k: claim[k] for k in ("payer_id", "payer_rank", "level", "status", "sub_status",
                                   "payer_claim_number")}
    denial_rule = None
    for a_list in alloc.values():
        for a, amount in a_list:
            assert a is not None
            t = ptype_of[a.id]
            if t in ("deductible", "coinsurance", "copay"):
                figures[t] += amount
            if t in BALANCE_TYPES:
                figures["adjustments"] += amount
            elif t == "denial":
                figures["denied"] += amount
                r = rule_of.get(a.id)
                if denial_rule is None or (r is not None and r.claim_status):
                    denial_rule = r or denial_rule
            elif t == "information":
                figures["information"] += amount
    has_denial = figures["denied"] != 0 or dc.remit_status == "4"

    reversed_id = None
    if earlier is not None:
        # a reversal of an earlier posting: undo exactly what it wrote
        for r in earlier_rows.get(earlier.id, []):
            rows.append(_row(ctx, dc, r.claim_line_id, r.kind, -r.amount, r.reason,
                             reverses_id=r.id))
        reversed_id = earlier.id
        restored = earlier.prior_state or prior
        new_claim = {
            "payer_id": restored.get("payer_id"), "payer_rank": restored.get("payer_rank", 1),
            "level": restored.get("level"),
        }
    else:
        new_claim = {"payer_id": claim["payer_id"], "payer_rank": claim["payer_rank"],
                     "level": claim["level"]}

    # projected balances, to decide the outcome before writing patient transfers
    this_rank = RANK_OF_STATUS.get(dc.remit_status, claim["payer_rank"])
    crossover = dc.remit_status in CROSSOVER or bool(dc.crossover_payer_name)
    payer_by_rank = coverages.get(claim["patient_id"], {})
    next_rank = this_rank + 1
    next_payer = payer_by_rank.get(next_rank)
    if next_payer is None and crossover and dc.crossover_payer_name:
        next_payer = crossover_payers.get(dc.crossover_payer_name)
    has_next = next_rank in payer_by_rank or crossover

    if earlier is None:
        # amounts of this claim's posting, line by line
        total_after = ZERO
        for ln in claim_lines:
            b = balances.get(ln.id, Balances())
            reduce = payment_by_line.get(ln.id, ZERO) if not ctx.notification else ZERO
            for a, amount in alloc.get(ln.id, []):
                if ptype_of[a.id] in BALANCE_TYPES:  # type: ignore[union-attr]
                    reduce += amount
            total_after += b.balance - reduce
        if total_after == 0:
            outcome = "zero_balance"
        elif has_next and dc.remit_status != "22":
            outcome = "next_insurance"
        else:
            outcome = "no_insurance"
        hold = outcome == "next_insurance" and not has_denial
        for ln in claim_lines:
            b = balances.setdefault(ln.id, Balances())
            pay = payment_by_line.get(ln.id, ZERO)
            if pay and not ctx.notification:
                rows.append(_row(ctx, dc, ln.id, "insurance_payment", pay, None))
                b.add("insurance_payment", pay)
            to_patient = ZERO
            for a, amount in alloc.get(ln.id, []):
                t = ptype_of[a.id]  # type: ignore[union-attr]
                reason = f"{a.group_code}-{a.reason}"  # type: ignore[union-attr]
                if t in BALANCE_TYPES and amount:
                    rows.append(_row(ctx, dc, ln.id, "insurance_adjustment", amount, reason))
                    b.add("insurance_adjustment", amount)
                elif t in PATIENT_TYPES and amount and not hold:
                    rows.append(_row(ctx, dc, ln.id, "transfer_to_patient", amount, reason))
                    b.add("transfer_to_patient", amount)
                    to_patient += amount
            # a later payer paid part of what had moved to the patient: move it back
            if b.insurance_balance < 0 and b.patient_balance > 0:
                back = min(-b.insurance_balance, b.patient_balance)
                rows.append(_row(ctx, dc, ln.id, "transfer_to_patient", -back,
                                 "transfer back to insurance"))
                b.add("transfer_to_patient", -back)
    else:
        for r in rows:
            balances.setdefault(r["claim_line_id"], Balances()).add(r["kind"], r["amount"])
        total_after = sum((balances.get(ln.id, Balances()).balance for ln in claim_lines), ZERO)
        outcome = "zero_balance" if total_after == 0 else "no_insurance"

    # claim status, level, next payer
    rule_code = dc.remit_status
    if crossover and outcome == "next_insurance" and rule_code in ("1", "2", "3"):
        rule_code = {"1": "19", "2": "20", "3": "21"}[rule_code]
    srule = rules.status_rule(rule_code, outcome)
    status = srule.claim_status if srule and srule.claim_status else claim["status"]
    sub = srule.claim_sub_status if srule else None
    level = srule.claim_level if srule and srule.claim_level else new_claim["level"]
    payer_id, payer_rank = new_claim["payer_id"], new_claim["payer_rank"]
    if outcome == "next_insurance" and not has_denial and earlier is None:
        payer_rank = next_rank
        payer_id = next_payer if next_payer is not None else payer_id
        if not (srule and srule.claim_level):
            level = LEVEL_OF_RANK.get(next_rank, level)
    if has_denial and earlier is None:
        r = denial_rule
        status = (r.claim_status if r and r.claim_status else None) or "Denied"
        sub = (r.claim_sub_status if r and r.claim_sub_status else None) or sub
        if r and r.claim_level:
            level = r.claim_level
    if crossover and dc.crossover_payer_name and outcome == "next_insurance":
        sub = (sub or "Billed by crossover")[:60]
    credit = any(balances.get(ln.id, Balances()).balance < 0 for ln in claim_lines)
    claim.update(payer_id=payer_id, payer_rank=payer_rank, level=level, status=status,
                 sub_status=sub,
                 payer_claim_number=dc.payer_claim_number or claim["payer_claim_number"])
    return {
        "rows": rows,
        "reversed_id": reversed_id,
        "claim": {
            "b_id": dc.claim_id, "payer_id": payer_id, "payer_rank": payer_rank, "level": level,
            "status": status, "sub_status": sub,
            "payer_claim_number": claim["payer_claim_number"],
        },
        "dc": {
            "state": "posted", "posted_at": ctx.now, "credit": credit,
            "result_level": level, "result_status": status, "result_sub_status": sub,
            "prior_state": prior, "reverses_id": reversed_id,
            **figures,
        },
    }


# -- PLB --------------------------------------------------------------------------------------


async def _apply_plb(session: AsyncSession, ctx: _Ctx) -> int:
    """PLBs whose rule says "apply": posted to the claim their reference names, as a negative
    (recouped) or positive insurance payment on its first line."""
    plbs = (
        await session.scalars(
            select(DepositAdjustment).where(
                DepositAdjustment.deposit_id == ctx.deposit.id,
                DepositAdjustment.level == "provider",
                DepositAdjustment.applied.is_(False),
            )
        )
    ).all()
    applied = 0
    for plb in plbs:
        action = ctx.rules.plb_action(plb.reason)
        plb.payment_type, plb.payment_type_source = (
            "plb_" + action, "rule")
        if action != "apply" or not plb.reference:
            continue
        ref = plb.reference
        cid = await session.scalar(
            select(Claim.id).where(
                Claim.practice_id == ctx.deposit.practice_id,
                or_(Claim.payer_claim_number == ref, Claim.patient_control_number == ref),
            ).order_by(Claim.id).limit(1)
        )
        if cid is None:
            continue
        line_id = await session.scalar(
            select(ClaimLine.id).where(ClaimLine.claim_id == cid)
            .order_by(ClaimLine.line_number).limit(1)
        )
        if line_id is None:
            continue
        session.add(LedgerEntry(
            practice_id=ctx.deposit.practice_id, claim_id=cid, claim_line_id=line_id,
            kind="insurance_payment", amount=-plb.amount, payer_id=ctx.deposit.payer_id,
            source_type="deposit_plb", source_id=plb.id, reason=f"PLB-{plb.reason}",
        ))
        plb.applied, plb.plb_claim_id = True, cid
        applied += 1
    await session.flush()
    return applied


# -- ledger rows still in effect --------------------------------------------------------------


async def live_rows(session: AsyncSession, source_ids: Sequence[int], source_type: str) -> list[Any]:
    """The ledger rows a source wrote that no reset has undone yet."""
    out: list[Any] = []
    ids = list(source_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        rows = (
            await session.execute(
                select(LedgerEntry.id, LedgerEntry.claim_id, LedgerEntry.claim_line_id,
                       LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.reason,
                       LedgerEntry.source_id, LedgerEntry.source_type, LedgerEntry.reverses_id,
                       LedgerEntry.payer_id)
                .where(LedgerEntry.source_type.in_((source_type, source_type + "_reset")),
                       LedgerEntry.source_id.in_(chunk))
                .order_by(LedgerEntry.id)
            )
        ).all()
        undone = {r.reverses_id for r in rows if r.source_type == source_type + "_reset"}
        out.extend(r for r in rows if r.source_type == source_type and r.id not in undone)
    return out
