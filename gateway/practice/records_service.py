"""Practice data one record at a time (the API): create or update by the PMS's id through
the same upsert as a pull, list, and scope every id to the caller's practice (another
practice's id is NotFound, as a missing one)."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import NotFound, UserError
from gateway.core.money import cents
from gateway.core.records import (
    AppointmentRecord,
    ClaimLineRecord,
    ClaimRecord,
    CoverageRecord,
    PatientRecord,
    PracticeData,
)
from gateway.db.models import Appointment, Coverage, Patient
from gateway.ledger.models import Claim
from gateway.ledger.states import ClaimOrigin
from gateway.practice import schemas
from gateway.practice.service import apply_practice_data


def _out(row: Any, shape: type[msgspec.Struct]) -> Any:
    return shape(**{f: getattr(row, f) for f in shape.__struct_fields__})


async def _apply(session: AsyncSession, practice_id: int, **records: list[Any]) -> None:
    data = PracticeData(vendor="api", **records)
    await apply_practice_data(session, practice_id, data, origin=ClaimOrigin.API)


async def _patient(session: AsyncSession, practice_id: int, patient_id: int) -> Patient:
    row = await session.scalar(
        select(Patient).where(Patient.id == patient_id, Patient.practice_id == practice_id))
    if row is None:
        raise NotFound(f"no patient {patient_id}")
    return row


async def save_patient(session: AsyncSession, practice_id: int, data: schemas.PatientIn,
                       patient_id: int | None = None) -> schemas.PatientOut:
    """Create or update the patient with this PMS id; with `patient_id`, that patient (whose
    PMS id, when it has one, must be the one given)."""
    if patient_id is not None:
        row = await _patient(session, practice_id, patient_id)
        if row.pms_patient_id not in (None, data.pms_patient_id):
            raise UserError(f"patient {patient_id} has PMS id {row.pms_patient_id!r}",
                            where="pms_patient_id")
        row.pms_patient_id = data.pms_patient_id
        await session.flush()
    await _apply(session, practice_id,
                 patients=[PatientRecord(**msgspec.structs.asdict(data))])
    saved = await session.scalar(select(Patient).where(
        Patient.practice_id == practice_id, Patient.pms_patient_id == data.pms_patient_id)
        .execution_options(populate_existing=True))
    return _out(saved, schemas.PatientOut)


async def list_patients(session: AsyncSession, practice_id: int, *, account: str | None = None,
                        limit: int = 100, offset: int = 0) -> list[schemas.PatientOut]:
    q = select(Patient).where(Patient.practice_id == practice_id).order_by(Patient.id)
    if account:
        q = q.where(Patient.account == account)
    rows = await session.scalars(q.limit(limit).offset(offset))
    return [_out(r, schemas.PatientOut) for r in rows]


async def save_coverage(session: AsyncSession, practice_id: int, data: schemas.CoverageIn,
                        coverage_id: int | None = None) -> schemas.CoverageOut:
    """Create or update the patient's coverage at this rank; with `coverage_id`, that
    coverage, whose patient and rank must be the ones given."""
    if coverage_id is not None:
        found = (await session.execute(
            select(Coverage.rank, Patient.pms_patient_id)
            .join(Patient, Patient.id == Coverage.patient_id)
            .where(Coverage.id == coverage_id, Patient.practice_id == practice_id))).first()
        if found is None:
            raise NotFound(f"no coverage {coverage_id}")
        if tuple(found) != (data.rank, data.pms_patient_id):
            raise UserError("a coverage keeps its patient and rank; add a new one instead",
                            where="rank")
    await _apply(session, practice_id,
                 coverages=[CoverageRecord(**msgspec.structs.asdict(data))])
    row = await session.scalar(
        select(Coverage).join(Patient, Patient.id == Coverage.patient_id)
        .where(Patient.practice_id == practice_id,
               Patient.pms_patient_id == data.pms_patient_id, Coverage.rank == data.rank)
        .execution_options(populate_existing=True))
    return _out(row, schemas.CoverageOut)


async def list_coverages(session: AsyncSession, practice_id: int, *,
                         patient_id: int | None = None, limit: int = 100,
                         offset: int = 0) -> list[schemas.CoverageOut]:
    q = (select(Coverage).join(Patient, Patient.id == Coverage.patient_id)
         .where(Patient.practice_id == practice_id).order_by(Coverage.id))
    if patient_id is not None:
        q = q.where(Coverage.patient_id == patient_id)
    rows = await session.scalars(q.limit(limit).offset(offset))
    return [_out(r, schemas.CoverageOut) for r in rows]


async def save_appointment(session: AsyncSession, practice_id: int, data: schemas.AppointmentIn,
                           appointment_id: int | None = None) -> schemas.AppointmentOut:
    """Create or update the appointment with this PMS id; with `appointment_id`, that one."""
    if appointment_id is not None:
        row = await session.scalar(select(Appointment).where(
            Appointment.id == appointment_id, Appointment.practice_id == practice_id))
        if row is None:
            raise NotFound(f"no appointment {appointment_id}")
        if row.pms_appointment_id not in (None, data.pms_appointment_id):
            raise UserError(f"appointment {appointment_id} has PMS id "
                            f"{row.pms_appointment_id!r}", where="pms_appointment_id")
        row.pms_appointment_id = data.pms_appointment_id
        await session.flush()
    await _apply(session, practice_id,
                 appointments=[AppointmentRecord(**msgspec.structs.asdict(data))])
    saved = await session.scalar(select(Appointment).where(
        Appointment.practice_id == practice_id,
        Appointment.pms_appointment_id == data.pms_appointment_id)
        .execution_options(populate_existing=True))
    return _out(saved, schemas.AppointmentOut)


async def list_appointments(session: AsyncSession, practice_id: int, *,
                            patient_id: int | None = None, limit: int = 100,
                            offset: int = 0) -> list[schemas.AppointmentOut]:
    q = (select(Appointment).where(Appointment.practice_id == practice_id)
         .order_by(Appointment.starts_at, Appointment.id))
    if patient_id is not None:
        q = q.where(Appointment.patient_id == patient_id)
    rows = await session.scalars(q.limit(limit).offset(offset))
    return [_out(r, schemas.AppointmentOut) for r in rows]


async def save_pms_claim(session: AsyncSession, practice_id: int, data: schemas.PmsClaimIn) -> int:
    """Create or update the claim with this PMS claim id and rank; its id."""
    for n, line in enumerate(data.lines):
        if line.charge != cents(line.charge) or line.charge < 0:
            raise UserError("charge must be a non-negative amount in cents",
                            where=f"lines[{n}].charge")
    fields = msgspec.structs.asdict(data)
    lines = tuple(
        ClaimLineRecord(line_number=n, procedure_code=x.procedure_code, charge=x.charge,
                        modifiers=tuple(x.modifiers), units=x.units,
                        diagnosis_pointers=tuple(x.diagnosis_pointers),
                        service_date=x.service_date)
        for n, x in enumerate(data.lines, start=1))
    fields.update(lines=lines, diagnosis_codes=tuple(data.diagnosis_codes))
    await _apply(session, practice_id, claims=[ClaimRecord(**fields)])
    claim_id = await session.scalar(select(Claim.id).where(
        Claim.practice_id == practice_id, Claim.pms_claim_id == data.pms_claim_id,
        Claim.payer_rank == data.payer_rank))
    assert claim_id is not None
    return claim_id
