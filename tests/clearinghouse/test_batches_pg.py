"""On PostgreSQL, three processes building 837P batches of the same ready claims at once put
each claim in exactly one batch (the build holds the practice's interchange counter before it
reads), and the bulk paths (COPY of membership rows, one update of the patient control
numbers) store what the row-by-row path stored."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, update

from gateway.admin.connectors import create_connector, load_connector
from gateway.admin.payers import get_or_add_payer
from gateway.clearinghouse.models import ClaimBatch, ClaimBatchClaim
from gateway.clearinghouse.sending import submit_claims
from gateway.db.bulk import COPY_MIN
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.models import Coverage
from gateway.ledger.models import Claim
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims, get_or_create_patient
from tests.clearinghouse.conftest import Remote
from tests.clearinghouse.test_batches import EDI

CLAIMS = 3 * COPY_MIN


async def test_three_processes_batch_each_claim_once(pg_url: str, local_remote: Remote):
    from tests.conftest import make_practice

    setup = make_engine(pg_url)
    async with make_sessionmaker(setup)() as s:
        p = await make_practice(s, "Batch Eye")
        payer, _ = await get_or_add_payer(s, p.practice_id, "Vision Benefits", "VBA01")
        claims = []
        for n in range(CLAIMS):
            pid = await get_or_create_patient(s, p.practice_id, PatientIn(
                account=f"A{n}", first_name="Pat", last_name=f"Test{n}"))
            s.add(Coverage(patient_id=pid, payer_id=payer.id, rank=1, member_id=f"M{n}"))
            claims.append(ClaimIn(
                patient=PatientIn(account=f"A{n}"), payer_id=payer.id,
                service_date_from=dt.date(2026, 11, 2), diagnosis_codes=["H52.13"],
                patient_control_number=f"PCN{n}",
                lines=[ClaimLineIn(procedure_code="92014", charge=Decimal("165.00"),
                                   diagnosis_pointers=[1])]))
        await s.flush()
        ids = await create_claims(s, p.practice_id, claims)
        await s.execute(update(Claim).where(Claim.id.in_(ids[::2]))  # rows from before the
                        .values(patient_control_number=None))  # PCN was always assigned
        cid = await create_connector(s, p.practice_id, "clearinghouse_sftp", "ch",
                                     local_remote.config_dict(edi=EDI))
        await s.commit()
        connector = await load_connector(s, p.practice_id, cid)
    engines = [make_engine(pg_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(
            submit_claims(make_sessionmaker(e), connector, upload=False) for e in engines))
        async with make_sessionmaker(setup)() as s:
            members = (await s.execute(select(ClaimBatchClaim.claim_id,
                                              ClaimBatchClaim.patient_control_number))).all()
            states = dict((await s.execute(select(Claim.billing_state, func.count())
                                           .group_by(Claim.billing_state))).tuples().all())
            pcns = dict((await s.execute(select(Claim.id, Claim.patient_control_number)))
                        .tuples().all())
            batches = (await s.scalars(select(ClaimBatch))).all()
    finally:
        for e in [*engines, setup]:
            await e.dispose()
    assert sum(len(r.batches) for r in results) == len(batches) >= 1
    assert len(members) == len({c for c, _ in members}) == CLAIMS  # each claim once
    assert states == {"in_batch": CLAIMS}
    assert all(pcn == pcns[c] for c, pcn in members)  # the stored number is the billed one
    assert sum(pcn == f"GW{c}" for c, pcn in members) == CLAIMS // 2  # given, in bulk
    text = "".join(b.content.decode() for b in batches)
    assert all(f"CLM*{pcn}*" in text for pcn in pcns.values())
