"""Issue 11, one claim identity across origins: an aging row and a PMS-pulled claim with the
same PMS claim number and payer rank are one claim, whichever came first, so a practice's
receivable is never counted twice; the unique constraint (practice, pms_claim_id, rank)
decides. Money: the PMS's lines are the charges; aging follows the insurance balance only."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.db.engine import make_sessionmaker
from gateway.ledger.balances import claim_balances
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.ledger.states import BilledBy, BillingState, ClaimOrigin
from gateway.practice.pull import import_file
from tests.aging.test_import import csv, do_import
from tests.conftest import PracticeKeys

D = Decimal
PATIENTS = b"pms_patient_id,account_number,last_name,first_name\nP1,A1,Doe,Jane\n"
CLAIM_HEADER = ("pms_claim_id,pms_patient_id,payer_rank,service_date_from,billed_by_pms,"
                "line_number,procedure_code,charge\n")


def pms_claim(number: str, *charges: str) -> bytes:
    return (CLAIM_HEADER + "".join(
        f"{number},P1,1,2026-10-01,Y,{i},{code},{charge}\n"
        for i, (code, charge) in enumerate(zip(("92014", "92015"), charges, strict=False),
                                           start=1))).encode()


async def pms_import(engine: AsyncEngine, pid: int, kind, name: str, content: bytes) -> None:
    async with make_sessionmaker(engine)() as s, s.begin():
        await import_file(s, pid, kind, name, content)


async def ledger(session: AsyncSession, cid: int) -> dict[str, Decimal]:
    rows = await session.execute(
        select(LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.claim_id == cid).group_by(LedgerEntry.kind))
    return {kind: total for kind, total in rows}


async def claims_numbered(session: AsyncSession, pid: int, number: str) -> list[Claim]:
    session.expire_all()
    return list((await session.scalars(select(Claim).where(
        Claim.practice_id == pid, Claim.source_claim_id == number))).all())


async def test_aging_row_updates_the_claim_the_pms_pull_brought(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    pid, lid = practice.practice_id, practice.location_id
    await pms_import(engine, pid, "patients", "patients.csv", PATIENTS)
    await pms_import(engine, pid, "claims", "claims.csv", pms_claim("C-1", "100.00", "50.00"))
    r = await do_import(engine, pid, lid, "a.csv",
                        csv("C-1,A1,\"Doe, Jane\",10/01/2026,VSP,150.00,90.00,40.00"))
    assert (r.claims_created, r.claims_updated) == (0, 1), r.problems
    (claim,) = await claims_numbered(session, pid, "C-1")
    assert claim.origin == ClaimOrigin.IMPORT and claim.pms_claim_id == "C-1"
    # charges stay the PMS's lines; the file's payment and the rest as an adjustment
    assert await ledger(session, claim.id) == {
        "charge": D("150.00"), "insurance_payment": D("90.00"),
        "insurance_adjustment": D("20.00")}
    lines = (await session.scalars(select(ClaimLine.procedure_code)
                                   .where(ClaimLine.claim_id == claim.id)
                                   .order_by(ClaimLine.line_number))).all()
    assert lines == ["92014", "92015"]  # no synthetic aging line added
    assert (await claim_balances(session, [claim.id]))[claim.id].insurance_balance == D("40.00")
    # the same figures in the next snapshot move nothing
    before = await session.scalar(select(func.count()).select_from(LedgerEntry))
    r = await do_import(engine, pid, lid, "b.csv",
                        csv("C-1,A1,\"Doe, Jane\",10/01/2026,VSP,150.00,90.00,40.00",
                            title="As of 12/01/2026\n"))
    assert (r.claims_created, r.claims_updated, r.claims_unchanged) == (0, 0, 1)
    assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == before


async def test_pms_pull_adopts_the_claim_an_aging_upload_created(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    pid, lid = practice.practice_id, practice.location_id
    r = await do_import(engine, pid, lid, "a.csv",
                        csv("C-7,A1,\"Doe, Jane\",10/01/2026,VSP,150.00,0.00,150.00"))
    assert r.claims_created == 1
    (aging,) = await claims_numbered(session, pid, "C-7")
    aging_rows = await session.scalar(select(func.count()).select_from(LedgerEntry)
                                      .where(LedgerEntry.source_type == "aging"))
    await pms_import(engine, pid, "patients", "patients.csv", PATIENTS)
    await pms_import(engine, pid, "claims", "claims.csv", pms_claim("C-7", "100.00", "50.00"))
    (claim,) = await claims_numbered(session, pid, "C-7")
    assert claim.id == aging.id and claim.pms_claim_id == "C-7"
    assert claim.origin == ClaimOrigin.AGING and claim.location_id == lid
    assert (claim.billing_state, claim.billed_by) == (BillingState.BILLED, BilledBy.PMS)
    # its ledger kept; the charges are now the PMS's lines, the total unchanged
    assert await session.scalar(select(func.count()).select_from(LedgerEntry)
                                .where(LedgerEntry.source_type == "aging")) == aging_rows
    assert await ledger(session, claim.id) == {"charge": D("150.00")}
    per_line = (await session.execute(
        select(ClaimLine.procedure_code, func.sum(LedgerEntry.amount))
        .join(LedgerEntry, LedgerEntry.claim_line_id == ClaimLine.id)
        .where(ClaimLine.claim_id == claim.id).group_by(ClaimLine.procedure_code)
        .order_by(ClaimLine.procedure_code))).all()
    assert per_line == [("92014", D("100.00")), ("92015", D("50.00"))]
    # the next aging snapshot follows the adopted claim's balance without charging it
    r = await do_import(engine, pid, lid, "b.csv",
                        csv("C-7,A1,\"Doe, Jane\",10/01/2026,VSP,150.00,120.00,30.00",
                            title="As of 12/01/2026\n"))
    assert (r.claims_created, r.claims_updated) == (0, 1)
    assert await ledger(session, claim.id) == {
        "charge": D("150.00"), "insurance_payment": D("120.00")}
    assert len(await claims_numbered(session, pid, "C-7")) == 1


async def test_a_claim_number_of_another_location_stays_that_locations_claim(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    from gateway.admin.practices import create_location

    pid, lid = practice.practice_id, practice.location_id
    other = await create_location(session, pid, "North")  # its id
    await session.commit()
    await do_import(engine, pid, lid, "a.csv",
                    csv("C-9,A1,\"Doe, Jane\",10/01/2026,VSP,80.00,0.00,80.00"))
    r = await do_import(engine, pid, other, "n.csv",
                        csv("C-9,A1,\"Doe, Jane\",10/01/2026,VSP,80.00,0.00,10.00"))
    assert r.claims_created == 1
    first, second = sorted(await claims_numbered(session, pid, "C-9"), key=lambda c: c.id)
    assert (first.location_id, first.pms_claim_id) == (lid, "C-9")
    assert (second.location_id, second.pms_claim_id) == (other, None)
    assert await ledger(session, first.id) == {"charge": D("80.00")}  # untouched
