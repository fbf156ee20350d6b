"""Demo data: one practice with two locations, payers, patients, claims and a local-folder
clearinghouse connector, so a newcomer has something to look at (no real patient data)."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from pathlib import Path

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.payers import get_or_add_payer
from gateway.admin.practices import create_key, create_location, create_practice
from gateway.db.models import Coverage, Practice
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims, get_or_create_patient

DEMO_NAME = "Demo Eye Care"
PAYERS = [("VSP Vision Care", "VSP01"), ("EyeMed", "EYEMD"), ("Medicare Part B", "MCRB1"),
          ("Blue Cross Blue Shield", "BCBS1")]
# the page's demo sign-in (scripts/run prints it); a demo only, never a real practice's
DEMO_EMAIL = "biller@demo.example"
DEMO_PASSWORD = "demo-biller-2026"
PROCEDURES = [("92014", Decimal("165.00"), []), ("92015", Decimal("45.00"), []),
              ("92250", Decimal("95.00"), ["RT"]), ("92134", Decimal("80.00"), ["LT"])]


class DemoResult(msgspec.Struct):
    practice_id: int
    created: bool
    admin_key: str
    location_ids: list[int] = []
    connector_id: int | None = None


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
    claims: list[ClaimIn] = []
    start = dt.date(2026, 9, 1)
    for n in range(12):
        account = f"DEMO{n + 1:04d}"
        patient_id = await get_or_create_patient(session, pid, PatientIn(account=account))
        payer = payers[n % len(payers)]
        session.add(Coverage(patient_id=patient_id, payer_id=payer.id, rank=1,
                             member_id=f"M{n:06d}"))
        lines = [ClaimLineIn(procedure_code=c, charge=a, modifiers=m, diagnosis_pointers=[1],
                             copay=(i == 0))
                 for i, (c, a, m) in enumerate(PROCEDURES[: 1 + n % 4])]
        claims.append(ClaimIn(
            patient=PatientIn(account=account), service_date_from=start + dt.timedelta(days=5 * n),
            lines=lines, patient_control_number=f"DEMO-{n + 1:04d}", location_id=locs[n % 2],
            payer_id=payer.id, diagnosis_codes=["H52.13"]))
    await create_claims(session, pid, claims)
    connector_id = await _demo_connector(session, pid, data_dir)
    await _demo_jobs(session, pid, connector_id)
    key = await create_key(session, pid, "admin@demo.example", "admin")
    await _demo_page_user(session, pid)
    return DemoResult(practice_id=pid, created=True, admin_key=key, location_ids=locs,
                      connector_id=connector_id)


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


async def _demo_connector(session: AsyncSession, practice_id: int, data_dir: Path) -> int | None:
    """The clearinghouse demo connector (local folders with a sample ERA), when installed."""
    try:
        demo = importlib.import_module("gateway.clearinghouse.demo")
    except ModuleNotFoundError:
        return None
    return await demo.setup_demo_connector(session, practice_id, data_dir / "clearinghouse")
