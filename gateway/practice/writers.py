"""Bulk upserts of practice data, one statement per chunk of rows (never a round trip per
row): `INSERT ... ON CONFLICT (the PMS's id) DO UPDATE ... WHERE something differs`.

Each writer takes the practice's id maps (PMS id -> row id) the service built and returns how
many rows it inserted or changed. The rules that decide what a claim's billing state becomes
live here, next to the statement that applies them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import DateTime, Text, and_, case, cast, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import cents
from gateway.core.records import AppointmentRecord, ClaimRecord, CoverageRecord, PatientRecord
from gateway.db.models import Appointment, Coverage, Patient
from gateway.db.upsert import upsert_changed
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.ledger.states import BilledBy, BillingState
from gateway.practice.copying import upsert_rows

LEVELS = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
PATIENT_FIELDS = ("account", "first_name", "last_name", "dob", "sex", "address_line1",
                  "address_line2", "city", "state", "zip")


def _t(model: type) -> Any:
    return model.__table__  # type: ignore[attr-defined]


async def upsert_many(session: AsyncSession, table: Any, rows: Iterable[dict[str, Any]],
                      key: list[str], update: list[str]) -> int:
    """Upsert one chunk's rows keyed on `key` (gateway.practice.copying: COPY on PostgreSQL),
    leaving alone the rows whose `update` columns are all unchanged."""
    return await upsert_rows(session, table, rows,
                             lambda stmt: upsert_changed(stmt, table, key, update))


async def write_patients(session: AsyncSession, practice_id: int,
                         patients: list[PatientRecord]) -> int:
    rows = (
        {"practice_id": practice_id, "pms_patient_id": p.pms_patient_id,
         "account": p.account_number or p.pms_patient_id, "first_name": p.first_name,
         "last_name": p.last_name, "dob": p.dob, "sex": p.sex,
         "address_line1": p.address_line1, "address_line2": p.address_line2, "city": p.city,
         "state": p.state, "zip": p.zip}
        for p in patients
    )
    return await upsert_many(session, _t(Patient), rows, ["practice_id", "pms_patient_id"],
                             list(PATIENT_FIELDS))


async def write_coverages(session: AsyncSession, coverages: list[CoverageRecord],
                          patient_ids: dict[str, int], payer_ids: dict[tuple, int]) -> int:
    rows = (
        {"patient_id": patient_ids[c.pms_patient_id], "rank": c.rank,
         "payer_id": payer_ids[(c.payer_name, c.payer_id)], "member_id": c.member_id,
         "group_number": c.group_number, "subscriber_name": c.subscriber_name,
         "subscriber_relationship": c.subscriber_relationship,
         "effective_from": c.effective_from, "effective_to": c.effective_to}
        for c in coverages
    )
    return await upsert_many(
        session, _t(Coverage), rows, ["patient_id", "rank"],
        ["payer_id", "member_id", "group_number", "subscriber_name", "subscriber_relationship",
         "effective_from", "effective_to"],
    )


async def write_appointments(session: AsyncSession, practice_id: int,
                             appointments: list[AppointmentRecord], patient_ids: dict[str, int],
                             location_ids: dict[str, int]) -> int:
    rows = (
        {"practice_id": practice_id, "pms_appointment_id": a.pms_appointment_id,
         "patient_id": patient_ids[a.pms_patient_id],
         "location_id": location_ids.get(a.location) if a.location else None,
         "starts_at": a.starts_at, "status": a.status, "provider": a.provider,
         "pms_claim_id": a.pms_claim_id}
        for a in appointments
    )
    return await upsert_many(
        session, _t(Appointment), rows, ["practice_id", "pms_appointment_id"],
        ["patient_id", "location_id", "starts_at", "status", "provider", "pms_claim_id"],
    )


async def write_claims(session: AsyncSession, practice_id: int, claims: list[ClaimRecord],
                       ids: dict[str, Any], origin: str) -> int:
    """Claim headers. A claim the PMS billed is `billed` by the PMS from the start; a claim
    already known moves from `unbilled` to `billed` when the PMS says it billed it, and never
    back (nor out of a gateway state: in a batch, billed, accepted, rejected)."""
    now = dt.datetime.now(dt.UTC)
    patient_ids, payers, location_ids = ids["patients"], ids["payers"], ids["locations"]

    def row(c: ClaimRecord) -> dict[str, Any]:
        patient_id = patient_ids[c.pms_patient_id]
        return {
            "practice_id": practice_id, "pms_claim_id": c.pms_claim_id,
            "payer_rank": c.payer_rank, "source_claim_id": c.pms_claim_id,
            "patient_id": patient_id, "payer_id": payers.get((patient_id, c.payer_rank)),
            "location_id": location_ids.get(c.location) if c.location else None,
            "patient_control_number": c.patient_control_number,
            "service_date_from": c.service_date_from,
            "service_date_to": c.service_date_to or c.service_date_from,
            "billing": c.billing, "diagnosis_codes": list(c.diagnosis_codes),
            "level": LEVELS[c.payer_rank], "status": "Open", "origin": origin,
            "billing_state": BillingState.BILLED if c.billed_by_pms else BillingState.UNBILLED,
            "billed_by": BilledBy.PMS if c.billed_by_pms else None,
            "billed_at": now if c.billed_by_pms else None,
        }

    rows = (row(c) for c in claims)
    return await _upsert_claims(session, _t(Claim), rows)


def _appointment_of(staged: Any) -> dict[str, Any]:
    """The appointment the PMS made a staged claim for, worked out as the claim is written
    (linking afterwards would UPDATE every claim just inserted and, on PostgreSQL, check all
    its foreign keys again)."""
    a = _t(Appointment)
    return {"appointment_id": select(func.min(a.c.id)).where(
        a.c.practice_id == staged.c.practice_id,
        a.c.pms_claim_id == staged.c.pms_claim_id).scalar_subquery()}


async def _upsert_claims(session: AsyncSession, table: Any, rows: Iterable[dict]) -> int:
    """Claims by (practice, PMS claim id, rank); on PostgreSQL each is linked to its
    appointment as it is written (elsewhere `link_appointments` does it after)."""

    def finish(stmt: Any) -> Any:
        new = stmt.excluded
        promote = and_(table.c.billing_state == BillingState.UNBILLED.value,
                       new.billing_state == BillingState.BILLED.value)
        plain = ["source_claim_id", "patient_id", "patient_control_number",
                 "service_date_from", "service_date_to", "billing"]
        changed = [table.c[n].is_distinct_from(new[n]) for n in plain]
        # a blank payer or location keeps the known one (an aging claim adopted: its location);
        # so does a blank appointment (none found, or not worked out: SQLite)
        kept = {n: func.coalesce(new[n], table.c[n])
                for n in ("payer_id", "location_id", "appointment_id")}
        changed.extend(v.is_distinct_from(table.c[n]) for n, v in kept.items())
        changed.append(cast(table.c.diagnosis_codes, Text).is_distinct_from(
            cast(new.diagnosis_codes, Text)))
        return stmt.on_conflict_do_update(
            index_elements=["practice_id", "pms_claim_id", "payer_rank"],
            set_={
                **{n: new[n] for n in plain},
                "diagnosis_codes": new.diagnosis_codes,
                **kept,
                "billing_state": case((promote, new.billing_state),
                                      else_=table.c.billing_state),
                "billed_by": case((promote, new.billed_by), else_=table.c.billed_by),
                "billed_at": case((promote, new.billed_at), else_=table.c.billed_at),
            },
            where=or_(promote, *changed),
        ).returning(table.c.id)

    return await upsert_rows(session, table, rows, finish, _appointment_of)


async def write_claim_lines(session: AsyncSession, claims: list[ClaimRecord],
                            claim_ids: dict[tuple[str, int], int]) -> int:
    rows = (
        {"claim_id": claim_ids[(c.pms_claim_id, c.payer_rank)], "line_number": line.line_number,
         "procedure_code": line.procedure_code.upper(), "modifiers": list(line.modifiers),
         "units": line.units, "charge": cents(line.charge),
         "diagnosis_pointers": list(line.diagnosis_pointers), "copay": False,
         "service_date": line.service_date or c.service_date_from}
        for c in claims for line in c.lines
    )
    return await upsert_many(
        session, _t(ClaimLine), rows, ["claim_id", "line_number"],
        ["procedure_code", "modifiers", "units", "charge", "diagnosis_pointers", "service_date"],
    )


async def post_charge_differences(session: AsyncSession, practice_id: int, source_type: str,
                                  source_id: int | None, claim_ids: set[int] | None) -> int:
    """One `charge` ledger row per PMS claim line whose charge differs from the charges
    already on the ledger for it (a new line: its charge; a changed one: the difference), in
    one INSERT ... SELECT over `claim_ids` (None: every PMS claim of the practice).
    Re-running finds no difference and writes nothing."""
    le, cl, c = _t(LedgerEntry), _t(ClaimLine), _t(Claim)
    charged = (
        select(func.coalesce(func.sum(le.c.amount), 0))
        .where(le.c.claim_line_id == cl.c.id, le.c.kind == "charge")
        .scalar_subquery()
    )
    now = dt.datetime.now(dt.UTC)
    source = (
        select(
            literal(practice_id), cl.c.claim_id, cl.c.id, literal("charge"),
            (cl.c.charge - charged), literal(source_type), literal(source_id),
            literal(now, DateTime(timezone=True)),
        )
        .select_from(cl.join(c, c.c.id == cl.c.claim_id))
        .where(c.c.practice_id == practice_id, c.c.pms_claim_id.is_not(None),
               cl.c.charge != charged)
    )
    if claim_ids is not None:
        if not claim_ids:
            return 0
        source = source.where(c.c.id.in_(claim_ids))
    stmt = le.insert().from_select(
        ["practice_id", "claim_id", "claim_line_id", "kind", "amount", "source_type",
         "source_id", "created_at"],
        source,
    )
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def link_appointments(session: AsyncSession, practice_id: int,
                            pms_claim_ids: set[str] | None) -> None:
    """Point each PMS claim (of `pms_claim_ids`; None: all) at the appointment the PMS made it
    for (`pms_claim_id`)."""
    a, c = _t(Appointment), _t(Claim)
    match = (
        select(func.min(a.c.id))
        .where(a.c.practice_id == practice_id, a.c.pms_claim_id == c.c.pms_claim_id)
        .scalar_subquery()
    )
    stmt = (
        update(c)
        .where(c.c.practice_id == practice_id, c.c.pms_claim_id.is_not(None),
               match.is_not(None), c.c.appointment_id.is_distinct_from(match))
        .values(appointment_id=match)
    )
    if pms_claim_ids is not None:
        if not pms_claim_ids:
            return
        stmt = stmt.where(c.c.pms_claim_id.in_(pms_claim_ids))
    await session.execute(stmt)
