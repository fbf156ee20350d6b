"""Patients, coverages and appointments (and PMS-keyed claims): create or update by the PMS's
id, update by the gateway's id, list. Scoped to the caller's practice; viewers read, billers
write."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.params import Paging, PathId, QueryId, QueryText
from gateway.ledger import service as claims
from gateway.ledger.schemas import ClaimOut
from gateway.practice import records_service as svc
from gateway.practice.schemas import (
    AppointmentIn,
    AppointmentOut,
    CoverageIn,
    CoverageOut,
    PatientIn,
    PatientOut,
    PmsClaimIn,
)


class PatientController(Controller):
    path = "/api/patients"
    tags = ["practice data"]

    @post("/", guards=[requires("biller")])
    async def save(self, data: JSONBody[PatientIn], db: DB, principal: Me) -> PatientOut:
        """Create the patient with this PMS id, or update it."""
        return await svc.save_patient(db, principal.practice_id, data)

    @put("/{patient_id:int}", guards=[requires("biller")])
    async def update(self, patient_id: PathId, data: JSONBody[PatientIn], db: DB,
                     principal: Me) -> PatientOut:
        """Update the patient with this id (404 when another practice's)."""
        return await svc.save_patient(db, principal.practice_id, data, patient_id)

    @get("/", guards=[requires("viewer")])
    async def list_patients(self, db: DB, principal: Me, page: Paging,
                            account: QueryText = None) -> list[PatientOut]:
        """Patients of the practice, by account when given; paginated."""
        return await svc.list_patients(db, principal.practice_id, account=account,
                                       limit=page.limit, offset=page.offset)


class CoverageController(Controller):
    path = "/api/coverages"
    tags = ["practice data"]

    @post("/", guards=[requires("biller")])
    async def save(self, data: JSONBody[CoverageIn], db: DB, principal: Me) -> CoverageOut:
        """Create the patient's coverage at this rank, or update it."""
        return await svc.save_coverage(db, principal.practice_id, data)

    @put("/{coverage_id:int}", guards=[requires("biller")])
    async def update(self, coverage_id: PathId, data: JSONBody[CoverageIn], db: DB,
                     principal: Me) -> CoverageOut:
        """Update the coverage with this id (404 when another practice's)."""
        return await svc.save_coverage(db, principal.practice_id, data, coverage_id)

    @get("/", guards=[requires("viewer")])
    async def list_coverages(self, db: DB, principal: Me,
                             page: Paging, patient_id: QueryId = None) -> list[CoverageOut]:
        """Coverages of the practice (of one patient when given); paginated."""
        return await svc.list_coverages(db, principal.practice_id, patient_id=patient_id,
                                        limit=page.limit, offset=page.offset)


class AppointmentController(Controller):
    path = "/api/appointments"
    tags = ["practice data"]

    @post("/", guards=[requires("biller")])
    async def save(self, data: JSONBody[AppointmentIn], db: DB,
                   principal: Me) -> AppointmentOut:
        """Create the appointment with this PMS id, or update it."""
        return await svc.save_appointment(db, principal.practice_id, data)

    @put("/{appointment_id:int}", guards=[requires("biller")])
    async def update(self, appointment_id: PathId, data: JSONBody[AppointmentIn],
                     db: DB, principal: Me) -> AppointmentOut:
        """Update the appointment with this id (404 when another practice's)."""
        return await svc.save_appointment(db, principal.practice_id, data, appointment_id)

    @get("/", guards=[requires("viewer")])
    async def list_appointments(self, db: DB, principal: Me,
                                page: Paging, patient_id: QueryId = None) -> list[AppointmentOut]:
        """Appointments of the practice (of one patient when given); paginated."""
        return await svc.list_appointments(db, principal.practice_id, patient_id=patient_id,
                                           limit=page.limit, offset=page.offset)


class PmsClaimController(Controller):
    path = "/api/claims/pms"
    tags = ["claims"]

    @put("/", guards=[requires("biller")])
    async def save(self, data: JSONBody[PmsClaimIn], db: DB, principal: Me) -> ClaimOut:
        """Create or update the claim with this PMS claim id and payer rank (its lines'
        charges go to the ledger as differences); billed when the PMS billed it."""
        claim_id = await svc.save_pms_claim(db, principal.practice_id, data)
        return await claims.show_claim(db, principal.practice_id, claim_id)


ROUTES = [PatientController, CoverageController, AppointmentController, PmsClaimController]
