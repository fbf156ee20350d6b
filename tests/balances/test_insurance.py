"""The PMS's insurance portion beside the gateway's open claims: differences are listed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway.balances.insurance import insurance_differences
from gateway.balances.service import sync_connector
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims
from tests.balances.conftest import drop


async def test_differences_between_pms_and_claims_are_listed(session, practice,
                                                             make_connector, tmp_path):
    cid = await make_connector(practice.practice_id, "compulink")
    drop(tmp_path / "drop-compulink", "compulink", "snapshot1")
    await sync_connector(session, practice.practice_id, cid)
    # A1: PMS says 60.00 insurance; the gateway holds a 60.00 claim -> agrees
    # A3: PMS says 75.00; the gateway holds 50.00 -> listed
    claims = await create_claims(session, practice.practice_id, [
        ClaimIn(patient=PatientIn(account="A1"), service_date_from=dt.date(2026, 10, 1),
                lines=[ClaimLineIn(procedure_code="92014", charge=Decimal("60.00"))]),
        ClaimIn(patient=PatientIn(account="A3"), service_date_from=dt.date(2026, 11, 1),
                lines=[ClaimLineIn(procedure_code="92014", charge=Decimal("50.00"))]),
    ])
    await session.commit()
    diffs = await insurance_differences(session, practice.practice_id)
    assert [(d.account, d.pms_insurance_portion, d.claims_insurance_balance, d.difference,
             d.claim_ids) for d in diffs] == [
        ("A3", Decimal("75.00"), Decimal("50.00"), Decimal("25.00"), [claims[1]])]


async def test_api_lists_the_differences(client, session, practice, make_connector, tmp_path):
    cid = await make_connector(practice.practice_id, "compulink")
    drop(tmp_path / "drop-compulink", "compulink", "snapshot1")
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    r = await client.get("/api/accounts/insurance-differences", headers=practice.headers("viewer"))
    assert r.status_code == 200
    assert [(d["account"], d["difference"]) for d in r.json()] == [("A1", "60.00"),
                                                                   ("A3", "75.00")]
