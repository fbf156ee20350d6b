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

import asyncio
from collections.abc import Iterator
from typing import Any, Literal

import msgspec
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.payers import get_or_add_payer
from gateway.core.errors import UserError
from gateway.core.progress import OnProgress, report
from gateway.core.records import (
    PRACTICE_KINDS,
    ClaimRecord,
    CoverageRecord,
    PatientRecord,
    PracticeData,
    RowProblem,
)
from gateway.db.bulk import is_postgres
from gateway.db.models import Coverage, ImportedFile, Location, Patient, Practice
from gateway.db.upsert import insert_if_absent
from gateway.ledger.models import Claim
from gateway.ledger.states import ClaimOrigin
from gateway.practice import writers
from gateway.practice.reader import CHUNK
from gateway.practice.staging import (
    claims_staged,
    close_stage,
    cross_chunk_problems,
    open_stage,
    stage,
)
from gateway.practice.stream import chunk_sources

SHOWN_PROBLEMS = 5


def _only(q: Any, column: Any, values: set[Any]) -> Any:
    """`q` for `values` only: the id maps are read per chunk (at most a chunk's keys)."""
    return q.where(column.in_(values))


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
    on_progress: OnProgress | None = None,
    chunk_size: int = CHUNK,
) -> PracticeSummary:
    """Write `data` into the practice (see the module docstring); raises
    `PracticeDataRejected` and writes nothing when any record has a problem. Files a pull
    spooled (`StreamedPracticeData.sources`) are read and written a chunk at a time, so memory
    stays flat however many rows they hold (`chunk_size` records at a time); `on_progress(rows)`
    hears of each chunk."""
    if data.problems:
        raise PracticeDataRejected(data.problems)
    # one practice-data writer per practice at a time (PostgreSQL row lock; SQLite has one
    # writer anyway): the charge differences below read the ledger, so two concurrent pulls
    # of the same records must not both post the same charge
    await session.execute(select(Practice.id).where(Practice.id == practice_id).with_for_update())
    summary = PracticeSummary(status="imported", read=data.counts(),
                              written={k: 0 for k in (*PRACTICE_KINDS, "claim_lines")},
                              files=[f.name for f in data.files])
    file_ids = await _record_files(session, practice_id, data, connector_id)
    if data.files and not file_ids:
        summary.status = "already_imported"
        return summary
    sources = await asyncio.to_thread(chunk_sources, data, chunk_size)
    if is_postgres(session):
        # the chunks' key lookups are IN lists of up to a chunk's keys, run again and again
        # on tables whose statistics predate this pull (a first pull: empty), so the planner
        # would scan the whole table per chunk and, with a generic plan, compare each row
        # with every list element: custom plans, and the unique indexes the lookups are
        # keyed on, for this transaction only (ANALYZE here would serialize concurrent pulls)
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        # a disabled seqscan (the staged chunk's temporary table has no index) prices a plan
        # far past jit_above_cost: compiling each chunk's statement would cost more than it
        await session.execute(text("SET LOCAL jit = off"))
    writer = ChunkWriter(session, practice_id, origin.value,
                         min(file_ids.values(), default=None), summary)
    await open_stage(session)
    problems: list[RowProblem] = []
    summary.read = dict.fromkeys(PRACTICE_KINDS, 0)
    for source in sources:
        while (chunk := await asyncio.to_thread(_next_chunk, source.chunks)) is not None:
            summary.read[source.kind] += len(chunk)
            await stage(session, chunk)
            if not problems and not source.problems:
                problems.extend(await writer.write(source.kind, chunk, source.name))
            report(on_progress, len(chunk))
        problems.extend(source.problems)
    problems.extend(await cross_chunk_problems(
        session, {s.kind: (s.layout, s.name) for s in sources}))
    if problems:
        raise PracticeDataRejected(problems)
    if summary.read["claims"]:
        summary.read["claims"] = await claims_staged(session)
    await close_stage(session)
    await _count_files(session, file_ids, summary.read)
    return summary


def _next_chunk(chunks: Iterator[list[Any]]) -> list[Any] | None:
    return next(chunks, None)


class ChunkWriter:
    """Checks and writes one chunk of records of one kind (the id maps it needs are read for
    the chunk's keys only; payers and locations, few per practice, are kept for the pull)."""

    def __init__(self, session: AsyncSession, practice_id: int, origin: str,
                 file_id: int | None, summary: PracticeSummary) -> None:
        self.session, self.practice_id, self.origin = session, practice_id, origin
        self.file_id, self.written = file_id, summary
        self.payers: dict[tuple[str, str | None], int] = {}
        self.locations: dict[str, int] = {}

    def count(self, kind: str, n: int) -> None:
        self.written.written[kind] = self.written.written.get(kind, 0) + n

    async def write(self, kind: str, chunk: list[Any], file: str | None) -> list[RowProblem]:
        """The chunk's problems (nothing written then), or [] once it is written."""
        s, pid = self.session, self.practice_id
        problems: list[RowProblem] = []
        if kind == "patients":
            await _check_accounts(s, pid, chunk, problems, file)
            if not problems:
                self.count(kind, await writers.write_patients(s, pid, chunk))
            return problems
        patients = await _patient_ids(s, pid, {r.pms_patient_id for r in chunk})
        for r in chunk:
            if r.pms_patient_id not in patients:
                problems.append(RowProblem(r.row, "pms_patient_id",
                                           f"no patient with PMS id {r.pms_patient_id!r} in "
                                           "this practice or this import", file))
        if kind == "claims":
            _check_pointers(chunk, problems, file)
            await _check_control_numbers(s, pid, chunk, problems, file)
        if problems:
            return problems
        if kind == "coverages":
            await self._payers(chunk)
            self.count(kind, await writers.write_coverages(s, chunk, patients, self.payers))
        elif kind == "appointments":
            await self._locations({a.location for a in chunk if a.location})
            self.count(kind, await writers.write_appointments(s, pid, chunk, patients,
                                                              self.locations))
            await writers.link_appointments(s, pid, {a.pms_claim_id for a in chunk
                                                     if a.pms_claim_id})
        else:
            await self._claims(chunk, patients)
        return problems

    async def _claims(self, chunk: list[ClaimRecord], patients: dict[str, int]) -> None:
        s, pid = self.session, self.practice_id
        await self._locations({c.location for c in chunk if c.location})
        ids: dict[str, Any] = {"patients": patients, "locations": self.locations,
                               "payers": await _rank_payers(s, pid, set(patients.values()))}
        self.count("claims", await writers.write_claims(s, pid, chunk, ids, self.origin))
        pms_claims = {c.pms_claim_id for c in chunk}
        claim_ids = await _claim_ids(s, pid, pms_claims)
        self.count("claim_lines", await writers.write_claim_lines(s, chunk, claim_ids))
        self.written.charges += await writers.post_charge_differences(
            s, pid, f"practice_{self.origin}", self.file_id, set(claim_ids.values()))
        if not is_postgres(s):  # PostgreSQL linked them as it wrote them (writers)
            await writers.link_appointments(s, pid, pms_claims)

    async def _payers(self, chunk: list[CoverageRecord]) -> None:
        """The practice payer of each (payer name, payer id) the coverages name, added when
        new."""
        for key in dict.fromkeys((c.payer_name, c.payer_id) for c in chunk):
            if key not in self.payers:
                payer, _ = await get_or_add_payer(self.session, self.practice_id, key[0],
                                                  key[1], source="pms")
                self.payers[key] = payer.id

    async def _locations(self, names: set[str]) -> None:
        new = names - set(self.locations)
        if new:
            self.locations.update(await _location_ids(self.session, self.practice_id, new))


async def _record_files(session: AsyncSession, practice_id: int, data: PracticeData,
                        connector_id: int | None) -> dict[int, int]:
    """Insert an ImportedFile per file: {index in data.files: id} of the new ones (a file
    seen before by content hash is not new)."""
    new: dict[int, int] = {}
    for i, f in enumerate(data.files):
        new_id = await insert_if_absent(
            session, ImportedFile.__table__,  # type: ignore[arg-type]
            {"practice_id": practice_id, "connector_id": connector_id,
             "kind": f"practice_{f.kind}", "name": f.name[:400], "sha256": f.sha256,
             "size": f.size, "status": "imported",
             "summary": {"records": len(getattr(data, f.kind)),
                         "modified_at": f.modified_at.isoformat() if f.modified_at else None}},
            ["practice_id", "kind", "sha256"],
        )
        if new_id is not None:
            new[i] = new_id
    return new


async def _count_files(session: AsyncSession, file_ids: dict[int, int],
                       read: dict[str, int]) -> None:
    """Each new file's record count, known once it was streamed."""
    for pk in file_ids.values():
        f = await session.get(ImportedFile, pk)
        if f is not None and f.summary is not None:
            kind = f.kind.removeprefix("practice_")
            f.summary = {**f.summary, "records": read.get(kind, 0)}


def _check_pointers(claims: list[ClaimRecord], problems: list[RowProblem],
                    file: str | None) -> None:
    for c in claims:
        top = max(len(c.diagnosis_codes), 1)
        if any(p > top for line in c.lines for p in line.diagnosis_pointers):
            problems.append(RowProblem(c.row, "diagnosis_pointers",
                                       f"claim {c.pms_claim_id}: a pointer is past its "
                                       f"{len(c.diagnosis_codes)} diagnosis code(s)", file))


async def _check_accounts(session: AsyncSession, practice_id: int,
                          patients: list[PatientRecord], problems: list[RowProblem],
                          file: str | None) -> None:
    """An account number may belong to one patient only; a patient known by its account but
    not yet by a PMS id (from an aging export or a claim) is adopted: it gets the PMS id."""
    accounts = {p.account_number or p.pms_patient_id for p in patients}
    rows = (await session.execute(_only(
        select(Patient.account, Patient.pms_patient_id, Patient.id)
        .where(Patient.practice_id == practice_id), Patient.account, accounts)
    )).all()
    by_account = {account: (pms_id, pk) for account, pms_id, pk in rows}
    seen: dict[str, str] = {}
    adopt: list[dict[str, Any]] = []
    for p in patients:
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


async def _check_control_numbers(session: AsyncSession, practice_id: int,
                                 claims: list[ClaimRecord], problems: list[RowProblem],
                                 file: str | None) -> None:
    wanted = {c.patient_control_number: c for c in claims if c.patient_control_number}
    if not wanted:
        return
    rows = (await session.execute(_only(
        select(Claim.patient_control_number, Claim.pms_claim_id, Claim.payer_rank)
        .where(Claim.practice_id == practice_id, Claim.patient_control_number.is_not(None)),
        Claim.patient_control_number, set(wanted))
    )).all()
    owners = {pcn: (pms, rank) for pcn, pms, rank in rows}
    mine: dict[str, tuple[str, int]] = {}
    for c in claims:
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


async def _rank_payers(session: AsyncSession, practice_id: int,
                       patients: set[int]) -> dict[tuple[int, int], int]:
    """(patient id, rank) -> payer id, for the claims' payer (`patients`: ids of this
    practice's patients, so no join is needed: the lookup is the coverages' unique key)."""
    rows = await session.execute(_only(
        select(Coverage.patient_id, Coverage.rank, Coverage.payer_id),
        Coverage.patient_id, patients))
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
