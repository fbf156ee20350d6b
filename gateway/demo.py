"""Demo data: one coherent practice a newcomer can look at (fictional people, no real data).

Two locations, four payers, twelve patients with coverages and appointments, and a claim per
appointment in each billing state: unbilled (the next Batch Claims run takes them), billed by
the PMS, billed by the gateway, and rejected by the clearinghouse (with the reason). The demo
clearinghouse connector's sample ERA pays the billed claims by their patient control numbers,
so posting it is clean except for one deliberate item per error level (`gateway.clearinghouse.
demo_era`): the error queue has a deposit, a claim and a procedure error to show.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.payers import get_or_add_payer
from gateway.admin.practices import create_key, create_location, create_practice
from gateway.db.models import Appointment, Coverage, Payer, Practice
from gateway.ledger.billing import mark_billed, mark_in_batch, mark_rejected
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims, get_or_create_patient
from gateway.ledger.states import ClaimOrigin

DEMO_NAME = "Demo Eye Care"
PAYERS = [("VSP Vision Care", "VSP01"), ("EyeMed", "EYEMD"), ("Medicare Part B", "MCRB1"),
          ("Blue Cross Blue Shield", "BCBS1")]
# the page's demo sign-in (scripts/run prints it); a demo only, never a real practice's
DEMO_EMAIL = "biller@demo.example"
DEMO_PASSWORD = "demo-biller-2026"
PROCEDURES = [("92014", Decimal("165.00"), []), ("92015", Decimal("45.00"), []),
              ("92250", Decimal("95.00"), ["RT"]), ("92134", Decimal("80.00"), ["LT"])]
PATIENTS = [("Avery", "Lindqvist"), ("Bruno", "Okafor"), ("Chloe", "Marchetti"),
            ("Dmitri", "Haversham"), ("Elena", "Quispe"), ("Felix", "Nakamura"),
            ("Greta", "Oyelaran"), ("Hugo", "Castellanos"), ("Ines", "Vantongeren"),
            ("Jonah", "Abernathy"), ("Kira", "Szymanski"), ("Liam", "Dubrovnik")]
START = dt.date(2026, 9, 1)
# claim n's billing state: what each demo claim shows
UNBILLED, BILLED_BY_PMS, BILLED_BY_GATEWAY, REJECTED = (0, 1, 2), (3, 4, 5, 6), (7, 8, 9), (10, 11)
REJECTION = "277CA rejected the claim: A7:562:85 (entity's NPI invalid)"


class DemoResult(msgspec.Struct):
    practice_id: int
    created: bool
    admin_key: str
    location_ids: list[int] = []
    connector_id: int | None = None
    claim_ids: list[int] = []


@dataclass
class _Patient:
    account: str
    first: str
    last: str
    member_id: str
    payer_pk: int
    payer_code: str  # the payer's clearinghouse id


async def seed_demo(session: AsyncSession, data_dir: Path) -> DemoResult:
    """Create the demo practice once; later runs only mint a fresh admin key."""
    existing = await session.scalar(select(Practice.id).where(Practice.name == DEMO_NAME))
    if existing is not None:
        key = await create_key(session, existing, "admin@demo.example", "admin")
        await _demo_page_user(session, existing)  # also resets a changed demo password
        return DemoResult(practice_id=existing, created=False, admin_key=key)
    pid = await create_practice(session, DEMO_NAME)
    locs = [await create_location(session, pid, "Main Street", "MAIN"),
            await create_location(session, pid, "Riverside Mall", "MALL")]
    payers = [(await get_or_add_payer(session, pid, n, i))[0] for n, i in PAYERS]
    patients = await _patients(session, pid, payers)
    claim_ids = await _claims(session, pid, locs, patients)
    await _billing_states(session, claim_ids)
    era = _sample_era(patients)
    connector_id = await _demo_connector(session, pid, data_dir, era)
    await _demo_jobs(session, pid, connector_id)
    key = await create_key(session, pid, "admin@demo.example", "admin")
    await _demo_page_user(session, pid)
    return DemoResult(practice_id=pid, created=True, admin_key=key, location_ids=locs,
                      connector_id=connector_id, claim_ids=claim_ids)


async def _patients(session: AsyncSession, pid: int, payers: list[Payer]) -> list[_Patient]:
    """Twelve patients, each with a primary coverage (every third also a secondary)."""
    out = []
    for n, (first, last) in enumerate(PATIENTS):
        account = f"DEMO{n + 1:04d}"
        payer = payers[n % len(payers)]
        patient_id = await get_or_create_patient(session, pid, PatientIn(
            account=account, first_name=first, last_name=last,
            dob=dt.date(1950 + 4 * n, 1 + n % 12, 1 + n)))
        member_id = f"M{n:06d}"
        session.add(Coverage(patient_id=patient_id, payer_id=payer.id, rank=1,
                             member_id=member_id))
        if n % 3 == 2:
            session.add(Coverage(patient_id=patient_id, payer_id=payers[(n + 1) % 4].id, rank=2,
                                 member_id=f"S{n:06d}"))
        out.append(_Patient(account, first, last, member_id, payer.id, payer.payer_id or ""))
    await session.flush()
    return out


def _lines(n: int) -> list[ClaimLineIn]:
    return [ClaimLineIn(procedure_code=c, charge=a, modifiers=m, diagnosis_pointers=[1],
                        copay=(i == 0))
            for i, (c, a, m) in enumerate(PROCEDURES[: 1 + n % 4])]


def _control_number(n: int) -> str:
    """What claim n was billed with: the PMS's own ticket number when the PMS billed it."""
    return f"PMS-T{n + 1:04d}" if n in BILLED_BY_PMS else f"DEMO-{n + 1:04d}"


async def _claims(session: AsyncSession, pid: int, locs: list[int],
                  patients: list[_Patient]) -> list[int]:
    """One appointment per patient (checked out) and the claim made for it."""
    ids = []
    for n, p in enumerate(patients):
        dos = START + dt.timedelta(days=5 * n)
        patient_id = await get_or_create_patient(session, pid, PatientIn(account=p.account))
        appointment = Appointment(
            practice_id=pid, patient_id=patient_id, location_id=locs[n % 2],
            starts_at=dt.datetime.combine(dos, dt.time(9 + n % 8, 0), tzinfo=dt.UTC),
            status="Checked Out")
        session.add(appointment)
        await session.flush()
        pms = n in BILLED_BY_PMS
        (claim_id,) = await create_claims(session, pid, [ClaimIn(
            patient=PatientIn(account=p.account), service_date_from=dos, lines=_lines(n),
            patient_control_number=_control_number(n), location_id=locs[n % 2],
            appointment_id=appointment.id, payer_id=p.payer_pk, diagnosis_codes=["H52.13"],
            source_claim_id=_control_number(n) if pms else None, billed_by_pms=pms)],
            origin=ClaimOrigin.DEMO)
        ids.append(claim_id)
    return ids


async def _billing_states(session: AsyncSession, claim_ids: list[int]) -> None:
    """Walk the gateway-billed and rejected claims through a batch, as a submit run would."""
    sent = [claim_ids[n] for n in (*BILLED_BY_GATEWAY, *REJECTED)]
    await mark_in_batch(session, sent)
    await mark_billed(session, sent, dt.datetime.combine(START + dt.timedelta(days=60),
                                                         dt.time(18, 0), tzinfo=dt.UTC))
    for n in REJECTED:
        await mark_rejected(session, claim_ids[n], REJECTION)
    session.expire_all()


def _sample_era(patients: list[_Patient]) -> str:
    """The ERA for the billed claims, one payment per payer, with the three deliberate errors:
    Blue Cross pays under a name and id the practice does not know (Payer Mismatch), VSP's
    payment carries a claim that is not this practice's (Claim Not Found), and EyeMed reports
    one line under a code its claim does not have (Procedure Code Conflict)."""
    from gateway.clearinghouse.demo_era import EraClaim, EraLine, EraPayment, demo_era_text

    payments = {
        "VSP01": EraPayment("VSP VISION CARE", "VSP01", "DEMO-EFT-1001"),
        "EYEMD": EraPayment("EYEMED", "EYEMD", "DEMO-EFT-1002"),
        "MCRB1": EraPayment("MEDICARE PART B", "MCRB1", "DEMO-EFT-1003"),
        "BCBS1": EraPayment("BCBS OF ILLINOIS", "BCBSIL", "DEMO-EFT-1004"),
    }
    conflict_done = False
    for n, p in enumerate(patients):
        if n not in (*BILLED_BY_PMS, *BILLED_BY_GATEWAY):
            continue
        lines = [EraLine(c, list(m), a) for c, a, m in PROCEDURES[: 1 + n % 4]]
        if p.payer_code == "EYEMD" and len(lines) > 1 and not conflict_done:
            lines[-1].code, conflict_done = "92083", True  # a visual field test it never billed
        payments[p.payer_code].claims.append(EraClaim(
            _control_number(n), p.last, p.first, p.member_id,
            START + dt.timedelta(days=5 * n), lines))
    payments["VSP01"].claims.append(EraClaim(
        "OTHER-7731", "Westbrook", "Nadia", "Z999999", START, [EraLine("92014", [],
                                                                   Decimal("120.00"))]))
    return demo_era_text(list(payments.values()), START + dt.timedelta(days=75))


async def _demo_page_user(session: AsyncSession, practice_id: int) -> None:
    """A biller who signs in to the page with DEMO_EMAIL / DEMO_PASSWORD."""
    from gateway.web.accounts import add_user

    await add_user(session, practice_id, DEMO_EMAIL, "biller", DEMO_PASSWORD, name="Demo Biller",
                   actor="demo")


async def _demo_jobs(session: AsyncSession, practice_id: int, connector_id: int | None) -> None:
    """The schedule a practice typically runs: poll ERAs often, post and reconcile nightly."""
    from gateway.jobs.registry import job_kinds
    from gateway.jobs.service import JobIn, define_job

    today = dt.date.today()
    wanted = [
        JobIn(name="Nightly receipt reconciliation", kind="reconcile_receipts",
              pattern="daily", time_of_day=dt.time(2, 0), start_date=today),
        JobIn(name="Auto-post ERAs", kind="auto_post_eras", pattern="daily",
              time_of_day=dt.time(6, 0), start_date=today),
    ]
    if connector_id is not None:
        wanted.append(JobIn(name="Poll ERAs", kind="poll_eras", pattern="minutes", every=5,
                            time_of_day=dt.time(0, 0), start_date=today,
                            connector_id=connector_id))
    for job in wanted:
        if job.kind in job_kinds():
            await define_job(session, practice_id, job)


async def _demo_connector(session: AsyncSession, practice_id: int, data_dir: Path,
                          era: str) -> int | None:
    """The clearinghouse demo connector (local folders with the sample ERA), when installed."""
    try:
        demo = importlib.import_module("gateway.clearinghouse.demo")
    except ModuleNotFoundError:
        return None
    connector_id: int = await demo.setup_demo_connector(
        session, practice_id, data_dir / "clearinghouse", era_text=era)
    return connector_id
