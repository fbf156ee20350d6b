"""Claims in and out: creation writes the claim, its lines and one `charge` row per line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from gateway.core.errors import NotFound, UserError
from gateway.core.money import cents
from gateway.db.models import Appointment, Location, Patient, Payer
from gateway.db.upsert import insert_if_absent
from gateway.ledger.balances import Balances, claim_balances, line_balances
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.ledger.schemas import ClaimIn, ClaimLineOut, ClaimOut, PatientIn
from gateway.ledger.states import CLAIM_LEVELS, BilledBy, BillingState, ClaimOrigin


async def get_or_create_patient(session: AsyncSession, practice_id: int, p: PatientIn) -> int:
    """The patient with this account (chart number), created on first sight."""
    new_id = await insert_if_absent(
        session,
        Patient.__table__,  # type: ignore[arg-type]
        {
            "practice_id": practice_id,
            "account": p.account,
            "first_name": p.first_name,
            "last_name": p.last_name,
            "dob": p.dob,
        },
        ["practice_id", "account"],
    )
    if new_id is not None:
        return new_id
    return (
        await session.execute(
            select(Patient.id).where(Patient.practice_id == practice_id,
                                     Patient.account == p.account)
        )
    ).scalar_one()


async def _check_owned(session: AsyncSession, model: type, obj_id: int | None, practice_id: int,
                       where: str) -> None:
    if obj_id is None:
        return
    found = await session.scalar(
        select(model.id).where(model.id == obj_id, model.practice_id == practice_id)  # type: ignore[attr-defined]
    )
    if found is None:
        raise UserError(f"no {model.__tablename__[:-1]} {obj_id} in this practice", where=where)  # type: ignore[attr-defined]


async def _validate(session: AsyncSession, practice_id: int, c: ClaimIn, where: str) -> None:
    """A located UserError for the first thing wrong with one claim to create."""
    await _check_owned(session, Location, c.location_id, practice_id, f"{where}.location_id")
    await _check_owned(session, Payer, c.payer_id, practice_id, f"{where}.payer_id")
    await _check_owned(session, Appointment, c.appointment_id, practice_id,
                       f"{where}.appointment_id")
    if c.level not in CLAIM_LEVELS:
        raise UserError(f"level must be one of {', '.join(CLAIM_LEVELS)}", where=f"{where}.level")
    for n, line in enumerate(c.lines):
        if line.charge != cents(line.charge) or line.charge < 0:
            raise UserError("charge must be a non-negative amount in cents",
                            where=f"{where}.lines[{n}].charge")
        if any(p < 1 or p > max(len(c.diagnosis_codes), 1) for p in line.diagnosis_pointers):
            raise UserError("diagnosis pointer out of range",
                            where=f"{where}.lines[{n}].diagnosis_pointers")
    if c.patient_control_number is not None:
        taken = await session.scalar(
            select(Claim.id).where(
                Claim.practice_id == practice_id,
                Claim.patient_control_number == c.patient_control_number,
            )
        )
        if taken is not None:
            raise UserError(
                f"patient control number {c.patient_control_number!r} already used by claim "
                f"{taken}",
                where=f"{where}.patient_control_number",
            )


# the fields a claim takes as they are from what creates it, and shows as they are
_COPIED = ("location_id", "payer_id", "payer_rank", "patient_control_number",
           "service_date_from", "service_date_to", "invoice_date", "billing", "level", "status",
           "source_claim_id")


def _copied(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in _COPIED}


def _shown_balances(b: Balances) -> dict[str, Any]:
    return {k: v for k, v in b.as_dict().items() if k != "patient_adjustments"}


def _billing_fields(c: ClaimIn, origin: ClaimOrigin) -> dict[str, object]:
    """A new claim is unbilled (ready to batch) unless the PMS says it billed it already."""
    if c.billed_by_pms:
        return {"billing_state": BillingState.BILLED.value, "billed_by": BilledBy.PMS.value,
                "billed_at": dt.datetime.now(dt.UTC), "origin": origin.value}
    return {"billing_state": BillingState.UNBILLED.value, "origin": origin.value}


async def create_claims(
    session: AsyncSession, practice_id: int, claims: Sequence[ClaimIn],
    *, origin: ClaimOrigin = ClaimOrigin.API,
) -> list[int]:
    """Create claims with their lines and charges, all or nothing (the caller's transaction).
    `origin` records what brought them in; `ClaimIn.billed_by_pms` makes one `billed`."""
    ids: list[int] = []
    for index, c in enumerate(claims):
        where = f"claims[{index}]"
        await _validate(session, practice_id, c, where)
        patient_id = await get_or_create_patient(session, practice_id, c.patient)
        claim = Claim(
            practice_id=practice_id,
            patient_id=patient_id,
            appointment_id=c.appointment_id,
            diagnosis_codes=list(c.diagnosis_codes),
            **_copied(c),
            **_billing_fields(c, origin),
        )
        session.add(claim)
        await session.flush()
        for n, line in enumerate(c.lines, start=1):
            cl = ClaimLine(
                claim_id=claim.id,
                line_number=n,
                procedure_code=line.procedure_code.strip().upper(),
                modifiers=[m.strip().upper() for m in line.modifiers if m.strip()],
                units=line.units,
                charge=cents(line.charge),
                diagnosis_pointers=list(line.diagnosis_pointers),
                copay=line.copay,
                service_date=line.service_date or c.service_date_from,
            )
            session.add(cl)
            await session.flush()
            session.add(
                LedgerEntry(
                    practice_id=practice_id,
                    claim_id=claim.id,
                    claim_line_id=cl.id,
                    kind="charge",
                    amount=cl.charge,
                    source_type="claim",
                    source_id=claim.id,
                )
            )
        if claim.patient_control_number is None:
            claim.patient_control_number = f"G{claim.id:08d}"
        ids.append(claim.id)
    await session.flush()
    return ids


async def show_claim(session: AsyncSession, practice_id: int, claim_id: int) -> ClaimOut:
    """A claim with its lines and their balances; NotFound for another practice's claim."""
    claim = await session.scalar(
        select(Claim)
        .where(Claim.id == claim_id, Claim.practice_id == practice_id)
        .options(selectinload(Claim.lines))
    )
    if claim is None:
        raise NotFound(f"no claim {claim_id}")
    return (await claims_out(session, [claim], with_lines=True))[0]


async def claims_out(
    session: AsyncSession, claims: Sequence[Claim], with_lines: bool = False
) -> list[ClaimOut]:
    ids = [c.id for c in claims]
    totals = await claim_balances(session, ids)
    per_line = await line_balances(session, ids) if with_lines else {}
    rows = (await session.execute(
        select(Patient.id, Patient.account).where(Patient.id.in_({c.patient_id for c in claims}))
    )).all()
    accounts: dict[int, str] = {pid: account for pid, account in rows}
    out = []
    for c in claims:
        b = totals[c.id]
        lines = []
        if with_lines:
            lines = [
                ClaimLineOut(
                    id=line.id,
                    line_number=line.line_number,
                    procedure_code=line.procedure_code,
                    modifiers=list(line.modifiers),
                    units=line.units,
                    charge=line.charge,
                    diagnosis_pointers=list(line.diagnosis_pointers),
                    copay=line.copay,
                    balances=per_line.get(line.id, Balances()).as_dict(),
                )
                for line in c.lines
            ]
        out.append(
            ClaimOut(
                id=c.id,
                patient_id=c.patient_id,
                patient_account=accounts.get(c.patient_id, ""),
                sub_status=c.sub_status,
                diagnosis_codes=list(c.diagnosis_codes),
                **_copied(c),
                billing_state=c.billing_state,
                billed_by=c.billed_by,
                billed_at=c.billed_at,
                rejection_reason=c.rejection_reason,
                origin=c.origin,
                lines=lines,
                **_shown_balances(b),
            )
        )
    return out


async def list_claims(
    session: AsyncSession, practice_id: int, *, status: str | None = None,
    patient_account: str | None = None, billing_state: str | None = None,
    limit: int = 100, offset: int = 0,
) -> list[ClaimOut]:
    q = claims_query(practice_id, status=status, patient_account=patient_account,
                     billing_state=billing_state)
    claims = (await session.scalars(q.limit(limit).offset(offset))).all()
    return await claims_out(session, claims)


def claims_query(practice_id: int, *, status: str | None = None,
                 patient_account: str | None = None,
                 billing_state: str | None = None) -> Select[tuple[Claim]]:
    """The claim list as a query, by id (the API pages and counts it)."""
    q = select(Claim).where(Claim.practice_id == practice_id).order_by(Claim.id)
    if status:
        q = q.where(Claim.status == status)
    if billing_state:
        if billing_state not in set(BillingState):
            raise UserError(f"billing_state must be one of {', '.join(BillingState)}",
                            where="billing_state")
        q = q.where(Claim.billing_state == billing_state)
    if patient_account:
        q = q.join(Patient, Patient.id == Claim.patient_id).where(
            Patient.account == patient_account)
    return q
