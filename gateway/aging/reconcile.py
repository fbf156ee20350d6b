"""Money of an aging import: every difference between a claim's ledger and the file is a
ledger row with `source_type="aging"` and `source_id` = the snapshot — `charge` up to the billed
amount, `insurance_payment` up to the paid amount (when the file states them), an
`insurance_adjustment` for the rest — so the claim's insurance balance equals the file's
afterwards. Aging claims are known at claim level: a synthetic line per claim (per row for a
claim-line report) carries the charge the ledger charged, so an ERA's billed total matches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from gateway.aging.bulk import bulk_insert, table_of
from gateway.aging.follow import follow_moves
from gateway.aging.run import ClaimKey, FileClaim, ImportRun
from gateway.core.money import ZERO
from gateway.core.names import normalize_payer_name
from gateway.core.records import AgingRow, RowProblem
from gateway.ledger.models import ClaimLine, LedgerEntry

SOURCE_TYPE = "aging"
Target = tuple[int, int, AgingRow, list[AgingRow]]  # claim id, line number, first row, rows


@dataclass
class _Lines:
    """The claims' lines by (claim, line number), and which of them this import created."""

    ids: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    fresh: set[int] = field(default_factory=set)


async def _pms_lined(run: ImportRun, wanted: set[int]) -> set[int]:
    """Claims whose lines a PMS pull wrote (it posted their charges: `practice_*` rows)."""
    adopted = {run.existing[k]["id"] for k in run.adopted if k in run.existing}
    result = await run.session.execute(
        select(LedgerEntry.claim_id).distinct()
        .where(LedgerEntry.claim_id.in_(wanted),
               LedgerEntry.source_type.like("practice\\_%", escape="\\"))
    )
    return ({cid for (cid,) in result} | adopted) & wanted


async def _load_lines(run: ImportRun, wanted: set[int]) -> dict[int, dict[int, int]]:
    out: dict[int, dict[int, int]] = defaultdict(dict)  # claim -> line number -> line id
    result = await run.session.execute(
        select(ClaimLine.claim_id, ClaimLine.line_number, ClaimLine.id)
        .where(ClaimLine.claim_id.in_(wanted))
    )
    for cid, number, lid in result:
        out[cid][number] = lid
    return out


async def _targets(run: ImportRun, states: list[tuple[FileClaim, int]]
                   ) -> tuple[list[Target], _Lines]:
    """One target per (claim, line number): one line per row for claim-line reports, else one
    per claim; the synthetic lines not there yet are created."""
    per_line = run.export.grain == "claim_line"
    has_billed = "billed" in run.export.fields
    wanted = {cid for _, cid in states}
    lines = _Lines(await _load_lines(run, wanted))
    targets: list[Target] = []
    new_lines: list[dict[str, Any]] = []
    for c, cid in states:
        groups = [[r] for r in c.rows] if per_line else [c.rows]
        for number, group in enumerate(groups, start=1):
            targets.append((cid, number, group[0], group))
            if number not in lines.ids[cid]:
                row = group[0]
                new_lines.append({
                    "claim_id": cid, "line_number": number,
                    "procedure_code": (row.procedure_code or "AGING").strip().upper()[:20],
                    "modifiers": [], "units": Decimal("1"),
                    "charge": line_charge(group, has_billed),
                    "diagnosis_pointers": [], "copay": False,
                    "service_date": row.service_date,
                })
    if new_lines:
        await bulk_insert(run.session, table_of(ClaimLine), new_lines)
        lines.ids = await _load_lines(run, wanted)
    lines.fresh = {lines.ids[row["claim_id"]][row["line_number"]] for row in new_lines}
    return targets, lines


async def _ledger_sums(run: ImportRun, wanted: set[int]) -> dict[int, dict[str, Decimal]]:
    """The ledger of the chunk's claims as it is: line id -> kind -> total."""
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    result = await run.session.execute(
        select(LedgerEntry.claim_line_id, LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.claim_id.in_(wanted))
        .group_by(LedgerEntry.claim_line_id, LedgerEntry.kind)
    )
    for lid, kind, total in result:
        sums[lid][kind] = total or ZERO
    return sums


def _entry(run: ImportRun, cid: int, lid: int, kind: str, amount: Decimal,
           payer: int | None) -> dict[str, Any]:
    return {"practice_id": run.practice_id, "claim_id": cid, "claim_line_id": lid, "kind": kind,
            "amount": amount, "payer_id": payer, "source_type": SOURCE_TYPE,
            "source_id": run.snapshot.id, "reason": "aging", "reverses_id": None}


async def reconcile(run: ImportRun, claim_ids: dict[ClaimKey, int]) -> set[int]:
    """Bring each claim's ledger to the file's figures; the ids of claims given new rows."""
    if not claim_ids:
        return set()
    pms_lined = await _pms_lined(run, set(claim_ids.values()))
    states = [(run.claims[k], cid) for k, cid in claim_ids.items() if cid not in pms_lined]
    targets, lines = await _targets(run, states)
    sums = await _ledger_sums(run, set(claim_ids.values()))
    followed = [(run.claims[k], cid) for k, cid in claim_ids.items() if cid in pms_lined]
    entries, changed = await _follow(run, followed, sums)
    has_billed, has_paid = "billed" in run.export.fields, "paid" in run.export.fields
    recharged: dict[int, Decimal] = {}  # existing line -> its charge after this snapshot
    covered: set[int] = set()
    for cid, number, row, group in targets:
        lid = lines.ids[cid][number]
        covered.add(lid)
        payer = run.payer_of.get(normalize_payer_name(row.payer_name))
        billed = sum((r.billed for r in group), ZERO) if has_billed else None
        paid = sum((r.paid for r in group), ZERO) if has_paid else None
        for kind, amount in moves(sums.get(lid, {}), sum((r.balance for r in group), ZERO),
                                  billed, paid):
            if kind == "charge" and lid not in lines.fresh:
                recharged[lid] = sums.get(lid, {}).get("charge", ZERO) + amount
            entries.append(_entry(run, cid, lid, kind, amount, payer))
            changed.add(cid)
    # lines of a claim that the file no longer shows: nothing left to collect on them
    for _c, cid in states:
        for lid in lines.ids[cid].values():
            if lid in covered:
                continue
            for kind, amount in moves(sums.get(lid, {}), ZERO, None, None):
                entries.append(_entry(run, cid, lid, kind, amount, None))
                changed.add(cid)
    await bulk_insert(run.session, table_of(LedgerEntry), entries)
    for lid, charge in recharged.items():  # the line's charge is what the ledger charged
        await run.session.execute(update(ClaimLine).where(ClaimLine.id == lid)
                                  .values(charge=charge))
    return changed


async def _follow(run: ImportRun, followed: list[tuple[FileClaim, int]],
                  sums: dict[int, dict[str, Decimal]]) -> tuple[list[dict[str, Any]], set[int]]:
    """Ledger rows for the claims whose lines came from the PMS (gateway.aging.follow)."""
    entries: list[dict[str, Any]] = []
    changed: set[int] = set()
    if not followed:
        return entries, changed
    line_ids = await _load_lines(run, {cid for _, cid in followed})
    for c, cid in followed:
        ordered = [line_ids[cid][n] for n in sorted(line_ids[cid])]
        per_line = follow_moves([sums.get(lid, {}) for lid in ordered], c.rows,
                                "paid" in run.export.fields)
        if per_line is None:
            run.problems.append(RowProblem(
                c.first.source_row, None,
                f"claim {c.first.claim_id}: no charges from the PMS; balance not followed"))
            continue
        payer = run.payer_of.get(normalize_payer_name(c.first.payer_name))
        for lid, rows in zip(ordered, per_line, strict=True):
            for kind, amount in rows:
                entries.append(_entry(run, cid, lid, kind, amount, payer))
                changed.add(cid)
    return entries, changed


def line_charge(group: list[AgingRow], has_billed: bool) -> Decimal:
    """What a synthetic line charges, as `moves` will charge it in the ledger: the export's
    billed amount when it has one, else the balance (so an ERA's billed total can match)."""
    billed = sum((r.billed for r in group), ZERO)
    if has_billed and billed > 0:
        return billed
    return max(sum((r.balance for r in group), ZERO), ZERO)


def moves(
    current: dict[str, Decimal], balance: Decimal, billed: Decimal | None, paid: Decimal | None,
) -> list[tuple[str, Decimal]]:
    """Ledger rows that bring a line from `current` (sums per kind) to the file's figures:
    charges = billed and insurance paid = paid when the file states them, insurance balance =
    balance always (the rest is an insurance adjustment)."""
    charges = current.get("charge", ZERO)
    ins_paid = current.get("insurance_payment", ZERO)
    adjusted = current.get("insurance_adjustment", ZERO)
    transferred = current.get("transfer_to_patient", ZERO)
    d_charge = ZERO
    d_paid = ZERO
    if billed is not None and billed > 0:
        d_charge = billed - charges
    elif not charges and balance > 0:
        d_charge = balance  # no billed figure: the balance is what was charged
    if paid is not None and (paid or ins_paid):
        d_paid = paid - ins_paid
    ins_balance_after = (charges + d_charge) - (ins_paid + d_paid) - adjusted - transferred
    d_adjust = ins_balance_after - balance
    if not billed and not paid and not charges and not ins_paid and balance < 0:
        # a credit with nothing else known: an overpayment
        d_paid, d_adjust = d_paid + d_adjust, ZERO
    out = []
    if d_charge:
        out.append(("charge", d_charge))
    if d_paid:
        out.append(("insurance_payment", d_paid))
    if d_adjust:
        out.append(("insurance_adjustment", d_adjust))
    return out
