"""Practice data on PostgreSQL: a pull lands the same as on SQLite, and two gateway nodes
pulling the same records at once (different bytes, so both are read) write them once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import func, select

from gateway.admin.connectors import create_connector
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.models import Appointment
from gateway.ledger.models import Claim, LedgerEntry
from gateway.plugins.crystalpm.format import PRACTICE_LAYOUT
from gateway.practice.pull import import_file, pull_connector
from tests.conftest import make_practice
from tests.practice.conftest import counts
from tests.practice.exports import write_export


async def test_concurrent_pulls_on_postgres_write_once(pg_url, tmp_path):
    engine = make_engine(pg_url)
    try:
        maker = make_sessionmaker(engine)
        drops = [tmp_path / "a", tmp_path / "b"]
        for n, d in enumerate(drops):
            d.mkdir()
            for f in write_export(PRACTICE_LAYOUT, d):
                f.write_bytes(f.read_bytes() + b"\n" * n)  # same records, other hashes
        async with maker() as s:
            practice = await make_practice(s, "PG Pull Eye")
            pid = practice.practice_id
            cids = [await create_connector(s, pid, "crystalpm", f"node {n}",
                                           {"practice_data_dir": str(d), "stable_seconds": 0})
                    for n, d in enumerate(drops)]
            await s.commit()

        async def node(cid: int):
            async with maker() as s, s.begin():
                return await pull_connector(s, pid, cid)

        first, second = await asyncio.gather(node(cids[0]), node(cids[1]))
        assert sorted([first.written["claims"], second.written["claims"]]) == [0, 2]
        async with maker() as s:
            assert await counts(s, pid) == {
                "patients": 2, "coverages": 2, "appointments": 2, "claims": 2,
                "claim_lines": 3, "ledger": 3, "files": 8}
            total = await s.scalar(select(func.sum(LedgerEntry.amount))
                                   .where(LedgerEntry.practice_id == pid))
            assert total == Decimal("305.50")
        again = await node(cids[0])
        assert again.read == {"patients": 0, "coverages": 0, "appointments": 0, "claims": 0}
    finally:
        await engine.dispose()


async def test_claims_link_to_appointments_as_they_are_written_on_postgres(pg_url):
    """PostgreSQL writes claims through COPY and one INSERT ... SELECT that looks up each
    claim's appointment; an appointment that arrives after its claim links it then, and
    running an import again changes nothing."""
    patients = b"pms_patient_id,account_number,last_name,first_name\nP1,A1,Doe,Jane\n"
    first_visit = (b"pms_appointment_id,pms_patient_id,starts_at,status,pms_claim_id\n"
                   b"AP-1,P1,2026-10-01 09:30,Checked Out,C-1\n")
    later_visit = first_visit + b"AP-2,P1,2026-10-02 10:00,Checked Out,C-2\n"
    claims = (b"pms_claim_id,pms_patient_id,payer_rank,service_date_from,billed_by_pms,"
              b"line_number,procedure_code,charge\n"
              b"C-1,P1,1,2026-10-01,N,1,92014,100.00\nC-2,P1,1,2026-10-02,N,1,92015,50.00\n")
    engine = make_engine(pg_url)
    try:
        maker = make_sessionmaker(engine)
        async with maker() as s:
            pid = (await make_practice(s, "PG Link Eye")).practice_id
            await s.commit()
            await import_file(s, pid, "patients", "patients.csv", patients)
            await import_file(s, pid, "appointments", "visits.csv", first_visit)
            written = await import_file(s, pid, "claims", "claims.csv", claims)
            assert written.written["claims"] == 2
            await s.commit()

        async def links() -> dict[str, str | None]:
            async with maker() as s:
                rows = await s.execute(
                    select(Claim.pms_claim_id, Appointment.pms_appointment_id)
                    .outerjoin(Appointment, Appointment.id == Claim.appointment_id)
                    .where(Claim.practice_id == pid))
                return dict(rows.all())

        assert await links() == {"C-1": "AP-1", "C-2": None}
        async with maker() as s, s.begin():
            await import_file(s, pid, "appointments", "visits2.csv", later_visit)
        assert await links() == {"C-1": "AP-1", "C-2": "AP-2"}
        async with maker() as s, s.begin():
            again = await import_file(s, pid, "claims", "claims2.csv", claims + b"\n")
        assert again.written["claims"] == 0 and again.charges == 0
        assert await links() == {"C-1": "AP-1", "C-2": "AP-2"}
    finally:
        await engine.dispose()
