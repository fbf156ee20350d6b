"""Write practice data (a PMS pull or a hand import) into one practice, all or nothing.

`apply_practice_data` runs in the caller's transaction (one per pull or file) and:
1. rejects the data as a whole when it has row problems: nothing of it is written (the
   standard: never a partial import), the error lists file, row, column and why;
2. records each file by content hash (`ImportedFile`, the unique constraint decides) and
   stops when every file was imported before (`already_imported`);
3. checks what only the database can tell (a PMS patient id nobody knows, an account number
   or a patient control number that belongs to another record), again rejecting the whole;
4. upserts patients, coverages, appointments, claims and their lines keyed on the PMS's ids
   (`writers`), posts the charge differences to the ledger, links appointments to claims.
Running it again with the same records changes nothing; two runs at once for one practice
(several gateway processes on PostgreSQL) take turns on the practice's row lock.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.payers import get_or_add_payer
from gateway.core.errors import UserError
from gateway.core.records import PracticeData, RowProblem
from gateway.db.models import Coverage, ImportedFile, Location, Patient, Practice
from gateway.db.upsert import insert_if_absent
from gateway.ledger.models import Claim
from gateway.ledger.states import ClaimOrigin
from gateway.practice import writers

SHOWN_PROBLEMS = 5
# Up to this many keys, the id maps are read for those keys only (a record from the API);
# beyond, for the whole practice in one query (a pull).
SCOPED = 2000


def _only(q: Any, column: Any, values: set[Any]) -> Any:
    return q.where(column.in_(values)) if len(values) <= SCOPED else q


class PracticeDataRejected(UserError):
    """The data has problems; nothing was written. `problems` holds every one found."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        shown = "; ".join(describe(p) for p in problems[:SHOWN_PROBLEMS])
        extra = len(problems) - SHOWN_PROBLEMS
        more = f" (and {extra} more)" if extra > 0 else ""
        super().__init__(f"{len(problems)} problem(s), nothing imported: {shown}{more}")


def describe(p: RowProblem) -> str:
    where = ", ".join(x for x in (p.file, f"row {p.row}" if p.row else None,
                                  f"column {p.column!r}" if p.column else None) if x)
    return f"{where}: {p.why}" if where else p.why


class PracticeSummary(msgspec.Struct, kw_only=True):
    """What a pull or import did: `imported`, or `already_imported` (every file seen before:
    nothing written). `read` counts the records per kind, `written` those inserted or
    changed (0 everywhere on a re-run), `charges` the ledger rows posted."""

    status: Literal["imported", "already_imported"]
    read: dict[str, int]
    written: dict[str, int] = {}
    charges: int = 0
    files: list[str] = []


async def apply_practice_data(
    session: AsyncSession,
    practice_id: int,
    data: PracticeData,
    *,
    origin: ClaimOrigin = ClaimOrigin.PMS,
    connector_id: int | None = None,
) -> PracticeSummary:
    """Write `data` into the practice (see the module docstring); raises
    `PracticeDataRejected` and writes nothing when any record has a problem."""
    if data.problems:
        raise PracticeDataRejected(data.problems)
    # one practice-data writer per practice at a time (PostgreSQL row lock; SQLite has one
    # writer anyway): the charge differences below read the ledger, so two concurrent pulls
    # of the same records must not both post the same charge
    await session.execute(select(Practice.id).where(Practice.id == practice_id).with_for_update())
    summary = PracticeSummary(status="imported", read=data.counts(),
                              files=[f.name for f in data.files])
    first_file_id = await _record_files(session, practice_id, data, connector_id)
    if data.files and first_file_id is None:
        summary.status = "already_imported"
        return summary
    ids = await _check_and_map(session, practice_id, data)
    written = summary.written
    written["patients"] = await writers.write_patients(session, practice_id, data.patients)
    ids["patients"] = await _patient_ids(session, practice_id, _patients_named(data))
    ids["payer_names"] = await _payer_ids(session, practice_id, data)
    written["coverages"] = await writers.write_coverages(
        session, data.coverages, ids["patients"], ids["payer_names"])
    ids["payers"] = await _rank_payers(session, practice_id, set(ids["patients"].values()))
    written["appointments"] = await writers.write_appointments(
        session, practice_id, data.appointments, ids["patients"], ids["locations"])
    written["claims"] = await writers.write_claims(session, practice_id, data.claims, ids,
                                                   origin.value)
    pms_claims = {c.pms_claim_id for c in data.claims}
    claim_ids = await _claim_ids(session, practice_id, pms_claims)
    written["claim_lines"] = await writers.write_claim_lines(session, data.claims, claim_ids)
    touched = set(claim_ids.values()) if len(pms_claims) <= SCOPED else None
    summary.charges = await writers.post_charge_differences(
        session, practice_id, f"practice_{origin.value}", first_file_id, touched)
    linked = pms_claims | {a.pms_claim_id for a in data.appointments if a.pms_claim_id}
    await writers.link_appointments(session, practice_id,
                                    linked if len(linked) <= SCOPED else None)
    return summary


def _patients_named(data: PracticeData) -> set[str]:
    return {r.pms_patient_id for kind in ("patients", "coverages", "appointments", "claims")
            for r in getattr(data, kind)}


async def _record_files(session: AsyncSession, practice_id: int, data: PracticeData,
                        connector_id: int | None) -> int | None:
    """Insert an ImportedFile per file; the id of the first new one, None when none is new."""
    first: int | None = None
    for f in data.files:
        new_id = await insert_if_absent(
            session, ImportedFile.__table__,  # type: ignore[arg-type]
            {"practice_id": practice_id, "connector_id": connector_id,
             "kind": f"practice_{f.kind}", "name": f.name[:400], "sha256": f.sha256,
             "size": f.size, "status": "imported",
             "summary": {"records": len(getattr(data, f.kind)),
                         "modified_at": f.modified_at.isoformat() if f.modified_at else None}},
            ["practice_id", "kind", "sha256"],
        )
        first = first or new_id
    return first


async def _check_and_map(session: AsyncSession, practice_id: int,
                         data: PracticeData) -> dict[str, Any]:
    """Problems only the database can show (raised all at once), and the id maps the writers
    need before patients exist: locations by name, payers by (name, id)."""
    problems: list[RowProblem] = []
    known = await _patient_ids(session, practice_id, _patients_named(data))
    known_ids = set(known) | {p.pms_patient_id for p in data.patients}
    files = {f.kind: f.name for f in data.files}
    await _check_accounts(session, practice_id, data, problems, files.get("patients"))
    for kind in ("coverages", "appointments", "claims"):
        for r in getattr(data, kind):
            if r.pms_patient_id not in known_ids:
                problems.append(RowProblem(r.row, "pms_patient_id",
                                           f"no patient with PMS id {r.pms_patient_id!r} in "
                                           "this practice or this import", files.get(kind)))
    for c in data.claims:
        top = max(len(c.diagnosis_codes), 1)
        if any(p > top for line in c.lines for p in line.diagnosis_pointers):
            problems.append(RowProblem(c.row, "diagnosis_pointers",
                                       f"claim {c.pms_claim_id}: a pointer is past its "
                                       f"{len(c.diagnosis_codes)} diagnosis code(s)",
                                       files.get("claims")))
    await _check_control_numbers(session, practice_id, data, problems, files.get("claims"))
    if problems:
        raise PracticeDataRejected(problems)
    names = {a.location for a in data.appointments if a.location}
    names |= {c.location for c in data.claims if c.location}
    return {"locations": await _location_ids(session, practice_id, names)}


async def _check_accounts(session: AsyncSession, practice_id: int, data: PracticeData,
                          problems: list[RowProblem], file: str | None) -> None:
    """An account number may belong to one patient only; a patient known by its account but
    not yet by a PMS id (from an aging export or a claim) is adopted: it gets the PMS id."""
    accounts = {p.account_number or p.pms_patient_id for p in data.patients}
    rows = (await session.execute(_only(
        select(Patient.account, Patient.pms_patient_id, Patient.id)
        .where(Patient.practice_id == practice_id), Patient.account, accounts)
    )).all()
    by_account = {account: (pms_id, pk) for account, pms_id, pk in rows}
    seen: dict[str, str] = {}
    adopt: list[dict[str, Any]] = []
    for p in data.patients:
        account = p.account_number or p.pms_patient_id
        other = seen.setdefault(account, p.pms_patient_id)
        owner = by_account.get(account)
        if other != p.pms_patient_id or (owner and owner[0] not in (None, p.pms_patient_id)):
            problems.append(RowProblem(p.row, "account_number",
                                       f"account {account!r} already belongs to another patient",
                                       file))
        elif owner and owner[0] is None:
            adopt.append({"pk": owner[1], "pms": p.pms_patient_id})
    if adopt and not problems:
        t: Any = Patient.__table__
        await session.execute(
            update(t).where(t.c.id == bindparam("pk")).values(pms_patient_id=bindparam("pms")),
            adopt,
        )


async def _check_control_numbers(session: AsyncSession, practice_id: int, data: PracticeData,
                                 problems: list[RowProblem], file: str | None) -> None:
    wanted = {c.patient_control_number: c for c in data.claims if c.patient_control_number}
    if not wanted:
        return
    rows = (await session.execute(_only(
        select(Claim.patient_control_number, Claim.pms_claim_id, Claim.payer_rank)
        .where(Claim.practice_id == practice_id, Claim.patient_control_number.is_not(None)),
        Claim.patient_control_number, set(wanted))
    )).all()
    owners = {pcn: (pms, rank) for pcn, pms, rank in rows}
    mine: dict[str, tuple[str, int]] = {}
    for c in data.claims:
        pcn = c.patient_control_number
        if not pcn:
            continue
        key = (c.pms_claim_id, c.payer_rank)
        if mine.setdefault(pcn, key) != key or owners.get(pcn, key) != key:
            problems.append(RowProblem(c.row, "patient_control_number",
                                       f"patient control number {pcn!r} belongs to another claim",
                                       file))


async def _patient_ids(session: AsyncSession, practice_id: int,
                       wanted: set[str]) -> dict[str, int]:
    rows = await session.execute(_only(
        select(Patient.pms_patient_id, Patient.id)
        .where(Patient.practice_id == practice_id, Patient.pms_patient_id.is_not(None)),
        Patient.pms_patient_id, wanted))
    return {pms: pk for pms, pk in rows.all()}


async def _payer_ids(session: AsyncSession, practice_id: int,
                     data: PracticeData) -> dict[tuple[str, str | None], int]:
    """The practice payer of each (payer name, payer id) the coverages name, added when new."""
    found: dict[tuple[str, str | None], int] = {}
    for key in dict.fromkeys((c.payer_name, c.payer_id) for c in data.coverages):
        payer, _ = await get_or_add_payer(session, practice_id, key[0], key[1], source="pms")
        found[key] = payer.id
    return found


async def _rank_payers(session: AsyncSession, practice_id: int,
                       patients: set[int]) -> dict[tuple[int, int], int]:
    """(patient id, rank) -> payer id, for the claims' payer."""
    rows = await session.execute(_only(
        select(Coverage.patient_id, Coverage.rank, Coverage.payer_id)
        .join(Patient, Patient.id == Coverage.patient_id)
        .where(Patient.practice_id == practice_id), Coverage.patient_id, patients))
    return {(patient, rank): payer for patient, rank, payer in rows.all()}


async def _location_ids(session: AsyncSession, practice_id: int,
                        names: set[str]) -> dict[str, int]:
    for name in sorted(names):
        await insert_if_absent(session, Location.__table__,  # type: ignore[arg-type]
                               {"practice_id": practice_id, "name": name[:200]},
                               ["practice_id", "name"])
    if not names:
        return {}
    rows = await session.execute(
        select(Location.name, Location.id)
        .where(Location.practice_id == practice_id, Location.name.in_(names))
    )
    return {name: pk for name, pk in rows.all()}


async def _claim_ids(session: AsyncSession, practice_id: int,
                     wanted: set[str]) -> dict[tuple[str, int], int]:
    rows = await session.execute(_only(
        select(Claim.pms_claim_id, Claim.payer_rank, Claim.id)
        .where(Claim.practice_id == practice_id, Claim.pms_claim_id.is_not(None)),
        Claim.pms_claim_id, wanted))
    return {(pms, rank): pk for pms, rank, pk in rows.all()}
