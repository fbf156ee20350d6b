"""`gateway claims release|update`: the audited billing services from the shell."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import select

from gateway.db.models import AuditLog
from gateway.ledger.billing import mark_in_batch, mark_rejected
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims


async def test_release_and_update_from_the_cli(session, practice, gateway):
    (claim_id,) = await create_claims(session, practice.practice_id, [ClaimIn(
        patient=PatientIn(account="C1"), service_date_from=dt.date(2026, 10, 1),
        lines=[ClaimLineIn(procedure_code="92014", charge=Decimal("100.00"))])])
    await mark_in_batch(session, [claim_id])
    await mark_rejected(session, claim_id, "999 rejected the transaction (AK9 R): 8")
    await session.commit()
    pid = str(practice.practice_id)

    r = gateway("claims", "update", str(claim_id), "--practice", pid, "--level", "Nowhere")
    assert r.code == 2 and "level must be one of" in r.err
    r = gateway("claims", "update", str(claim_id), "--practice", pid, "--status", "Corrected",
                "--invoice-date", "2026-10-09", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["status"] == "Corrected"
    r = gateway("claims", "release", str(claim_id), "--practice", pid, "--note", "fixed", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["billing_state"] == "unbilled"
    r = gateway("claims", "release", str(claim_id), "--practice", pid)
    assert r.code == 2 and "not rejected" in r.err
    actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert [a for a in actions if a.startswith("claim.")] == ["claim.update", "claim.release"]
