"""One claim per PMS claim number on PostgreSQL: an aging upload and a PMS claims import of
the same claim, run at once by two gateway nodes, make one claim with the same money whichever
lands first (the unique constraint and the practice row lock decide, not a check)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import func, select

from gateway.aging import service as aging
from gateway.core.records import AgingSource
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.ledger.models import Claim, LedgerEntry
from gateway.practice.pull import import_file
from tests.conftest import make_practice

D = Decimal
PATIENTS = b"pms_patient_id,account_number,last_name,first_name\nP1,A1,Doe,Jane\n"
CLAIMS = (b"pms_claim_id,pms_patient_id,payer_rank,service_date_from,billed_by_pms,"
          b"line_number,procedure_code,charge\n"
          b"C-1,P1,1,2026-10-01,Y,1,92014,100.00\nC-1,P1,1,2026-10-01,Y,2,92015,50.00\n")
AGING = (b"As of 11/30/2026\nClaim #,Account,Patient,DOS,Insurance,Billed,Paid,Balance\n"
         b'C-1,A1,"Doe, Jane",10/01/2026,VSP,150.00,90.00,40.00\n')


async def test_aging_and_pull_of_one_claim_at_once_make_one_claim(pg_url):
    engines = [make_engine(pg_url), make_engine(pg_url)]
    try:
        makers = [make_sessionmaker(e) for e in engines]
        async with makers[0]() as s:
            practice = await make_practice(s, "PG Identity Eye")
        pid, lid = practice.practice_id, practice.location_id
        async with makers[0]() as s, s.begin():
            await import_file(s, pid, "patients", "patients.csv", PATIENTS)

        async def pull() -> None:
            async with makers[0]() as s, s.begin():
                await import_file(s, pid, "claims", "claims.csv", CLAIMS)

        async def upload() -> None:
            async with makers[1]() as s, s.begin():
                await aging.import_upload(s, pid, lid, AgingSource(name="a.csv", content=AGING),
                                          vendor="crystalpm")

        await asyncio.gather(pull(), upload())
        async with makers[0]() as s:
            (claim_id,) = (await s.scalars(select(Claim.id).where(
                Claim.practice_id == pid, Claim.pms_claim_id == "C-1"))).all()
            money: dict[str, Decimal] = {kind: total for kind, total in await s.execute(
                select(LedgerEntry.kind, func.sum(LedgerEntry.amount))
                .where(LedgerEntry.claim_id == claim_id).group_by(LedgerEntry.kind))}
            assert await s.scalar(select(func.count()).select_from(Claim)
                                  .where(Claim.practice_id == pid)) == 1
        # either order: the PMS's charges, the file's payment, the rest adjusted
        assert money == {"charge": D("150.00"), "insurance_payment": D("90.00"),
                         "insurance_adjustment": D("20.00")}
    finally:
        for e in engines:
            await e.dispose()
