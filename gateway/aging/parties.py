"""Who an aging file names: its payers (matched through aliases and normalised names, added
when new, every active user notified) and its patients (by account, created on first sight)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.notifications import notify_practice_users
from gateway.admin.payers import get_or_add_payer
from gateway.aging.bulk import bulk_insert, table_of
from gateway.aging.run import FileClaim, ImportRun
from gateway.core.records import AgingRow, RowProblem
from gateway.db.models import Patient


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """(first, last) from "Last, First M" or "First Last"."""
    if not name:
        return None, None
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip()[:100] or None, last.strip()[:100] or None
    parts = name.split()
    if len(parts) == 1:
        return None, parts[0][:100]
    return " ".join(parts[:-1])[:100], parts[-1][:100]



async def resolve_payers(run: ImportRun, named: dict[str, list[AgingRow]]) -> None:
    """`run.payer_of` (normalised payer name -> payer id, aliases consulted first) and
    `run.payers_added` (each new payer notified to every active user). `named`: normalised
    name -> the first row naming it (gateway.aging.stage.Staged.payers_of); under "" every
    row whose payer has no letters or digits, each a problem."""
    session, practice_id, loc, vendor = run.session, run.practice_id, run.location, run.vendor
    for row in named.get("", []):
        run.problems.append(RowProblem(
            row.source_row, None, f"payer {row.payer_name!r} has no letters or digits"))
    wanted = {norm: rows[0] for norm, rows in named.items() if norm}
    payer_of, added = run.payer_of, run.payers_added
    for norm, row in wanted.items():
        payer, created = await get_or_add_payer(
            session, practice_id, row.payer_name, row.payer_id, source="aging"
        )
        payer_of[norm] = payer.id
        if created:
            added.append(payer.name)
            await notify_practice_users(
                session, practice_id, "payer_added",
                f"Payer {payer.name!r} was added (Active) from the {vendor} aging import of "
                f"location {loc.name!r} (file {run.file_id}). Review its details.",
                object_type="payer", object_id=payer.id,
            )



async def patients_of(
    session: AsyncSession, practice_id: int, claims: list[FileClaim]
) -> dict[str, int]:
    """account -> patient id, creating the patients not seen before."""
    wanted: dict[str, AgingRow] = {}
    for c in claims:
        wanted.setdefault(c.first.patient_account[:80], c.first)
    if not wanted:
        return {}
    found = await _patient_ids(session, practice_id, list(wanted))
    missing = [a for a in wanted if a not in found]
    if missing:
        values = []
        for account in missing:
            row = wanted[account]
            first, last = split_name(row.patient_name)
            values.append({"practice_id": practice_id, "account": account, "first_name": first,
                           "last_name": last, "dob": row.patient_dob})
        await bulk_insert(session, table_of(Patient), values,
                          on_conflict_do_nothing=["practice_id", "account"])
        found.update(await _patient_ids(session, practice_id, missing))
    return found


async def _patient_ids(
    session: AsyncSession, practice_id: int, accounts: list[str]
) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(accounts), 500):
        chunk = accounts[i:i + 500]
        rows = await session.execute(
            select(Patient.account, Patient.id).where(
                Patient.practice_id == practice_id, Patient.account.in_(chunk))
        )
        out.update({account: pid for account, pid in rows.all()})
    return out

