"""Secondary claims go out with coordination of benefits built from the prior payer's posted
ERA (2320 AMT*D / AMT*EAF / claim CAS, 2330A/B, 2430 SVD / CAS / DTP*573), and pyx12 finds no
errors in them, for hand-picked and hypothesis-generated adjudications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.connectors import create_connector, load_connector
from gateway.admin.payers import get_or_add_payer
from gateway.clearinghouse.batches import build_claim_batch
from gateway.db.models import Connector, Coverage
from gateway.ledger.models import Claim, ClaimLine
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims, get_or_create_patient
from gateway.posting.models import Deposit, DepositAdjustment, DepositClaim, DepositProcedure
from tests.clearinghouse.conftest import Remote
from tests.clearinghouse.test_batches import EDI
from tests.x12.pyx12_check import pyx12_errors

CHARGES = (Decimal("165.00"), Decimal("80.00"))
DOS = dt.date(2026, 11, 2)


async def _visit(session: AsyncSession, practice_id: int) -> tuple[int, int]:
    """A primary and a secondary claim for one visit (two lines each)."""
    primary, _ = await get_or_add_payer(session, practice_id, "Vision Benefits of America",
                                        "VBA01")
    secondary, _ = await get_or_add_payer(session, practice_id, "Medicare Part B", "03402")
    pid = await get_or_create_patient(session, practice_id, PatientIn(
        account="C1", first_name="Jane", last_name="Smith", dob=dt.date(1950, 5, 1)))
    session.add(Coverage(patient_id=pid, payer_id=primary.id, rank=1, member_id="VBA123"))
    session.add(Coverage(patient_id=pid, payer_id=secondary.id, rank=2, member_id="1EG4TE5MK72"))
    await session.flush()
    ids = []
    for rank, payer in ((1, primary), (2, secondary)):
        (cid,) = await create_claims(session, practice_id, [ClaimIn(
            patient=PatientIn(account="C1"), payer_id=payer.id, payer_rank=rank,
            service_date_from=DOS, patient_control_number=f"V1R{rank}",
            diagnosis_codes=["H52.13"],
            lines=[ClaimLineIn(procedure_code=code, charge=charge, diagnosis_pointers=[1])
                   for code, charge in zip(("92014", "92015"), CHARGES, strict=True)])])
        ids.append(cid)
    primary_claim = await session.get(Claim, ids[0])
    assert primary_claim is not None
    primary_claim.billing_state = "accepted"
    await session.commit()
    return ids[0], ids[1]


async def _post_era(session: AsyncSession, practice_id: int, primary_id: int,
                    lines: list[tuple[Decimal, Decimal, Decimal]],
                    claim_cas: Decimal = Decimal("0.00")) -> None:
    """The primary payer's ERA, posted: per line (paid, CO-45, PR-2), plus a claim-level
    OA-23 taken from the first line's paid amount."""
    await session.execute(delete(DepositAdjustment))
    await session.execute(delete(DepositProcedure))
    await session.execute(delete(DepositClaim))
    await session.execute(delete(Deposit))
    paid = sum((p for p, _, _ in lines), Decimal(0)) - claim_cas
    patient = sum((pr for _, _, pr in lines), Decimal(0))
    deposit = Deposit(practice_id=practice_id, type="ERA", deposit_date=DOS + dt.timedelta(days=20),
                      issued_date=DOS + dt.timedelta(days=18), amount=paid)
    session.add(deposit)
    await session.flush()
    dc = DepositClaim(deposit_id=deposit.id, practice_id=practice_id, sequence=1,
                      claim_xref="V1R1", claim_id=primary_id, remit_status="1",
                      charged=sum(CHARGES, Decimal(0)), paid=paid,
                      patient_responsibility=patient, state="posted")
    session.add(dc)
    await session.flush()
    if claim_cas:
        session.add(DepositAdjustment(deposit_id=deposit.id, deposit_claim_id=dc.id,
                                      level="claim", group_code="OA", reason="23",
                                      amount=claim_cas))
    line_ids = (await session.scalars(select(ClaimLine.id).where(
        ClaimLine.claim_id == primary_id).order_by(ClaimLine.line_number))).all()
    for n, ((line_paid, co, pr), code, charge, line_id) in enumerate(
            zip(lines, ("92014", "92015"), CHARGES, line_ids, strict=True), 1):
        proc = DepositProcedure(deposit_claim_id=dc.id, sequence=n, procedure_code=code,
                                charged=charge, paid=line_paid, claim_line_id=line_id)
        session.add(proc)
        await session.flush()
        for group, reason, amount in (("CO", "45", co), ("PR", "2", pr)):
            if amount:
                session.add(DepositAdjustment(deposit_id=deposit.id, deposit_claim_id=dc.id,
                                              deposit_procedure_id=proc.id, level="procedure",
                                              group_code=group, reason=reason, amount=amount))
    await session.commit()


async def _build(session: AsyncSession, practice_id: int, connector_id: int,
                 secondary_id: int) -> tuple[str, list]:
    connector = await load_connector(session, practice_id, connector_id)
    built = await build_claim_batch(session, practice_id, connector, [secondary_id])
    await session.rollback()  # each example builds afresh
    return (built.batch.content.decode() if built.batch is not None else ""), built.skipped


async def test_a_secondary_claim_carries_the_primary_adjudication(
        engine: AsyncEngine, session: AsyncSession, practice, local_remote: Remote):
    primary_id, secondary_id = await _visit(session, practice.practice_id)
    cid = await create_connector(session, practice.practice_id, "clearinghouse_sftp", "ch",
                                 local_remote.config_dict(edi=EDI))
    await session.commit()
    text, skipped = await _build(session, practice.practice_id, cid, secondary_id)
    assert text == "" and "not posted yet" in skipped[0]["why"]
    await _post_era(session, practice.practice_id, primary_id, [
        (Decimal("100.00"), Decimal("45.00"), Decimal("20.00")),
        (Decimal("50.00"), Decimal("20.00"), Decimal("10.00"))], claim_cas=Decimal("5.00"))
    text, skipped = await _build(session, practice.practice_id, cid, secondary_id)
    assert skipped == [] and pyx12_errors(text) == []
    segments = [s.strip() for s in text.split("~")]
    assert [s[:5] for s in segments if s.startswith("SBR")] == ["SBR*S", "SBR*P"]
    assert "AMT*D*145.00" in segments and "AMT*EAF*30.00" in segments
    assert "CAS*OA*23*5.00" in segments
    assert "NM1*PR*2*VISION BENEFITS OF AMERICA*****PI*VBA01" in segments
    assert "SVD*VBA01*100.00*HC:92014**1" in segments and "SVD*VBA01*50.00*HC:92015**1" in segments
    assert "CAS*CO*45*45.00" in segments and "CAS*PR*2*10.00" in segments
    assert "DTP*573*D8*20261120" in segments
    assert "NM1*IL*1*SMITH*JANE****MI*VBA123" in segments


cents = st.integers(min_value=0, max_value=16500).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def splits(draw: st.DrawFn) -> list[tuple[Decimal, Decimal, Decimal]]:
    """Per line: paid + CO + PR = the line's charge."""
    out = []
    for charge in CHARGES:
        paid = min(draw(cents), charge)
        co = min(draw(cents), charge - paid)
        out.append((paid, co, charge - paid - co))
    return out


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=splits())
async def test_generated_adjudications_validate_clean(engine, session, practice,
                                                      local_remote: Remote, lines):
    existing = await session.scalar(select(Claim.id).where(Claim.payer_rank == 2))
    if existing is None:
        await _visit(session, practice.practice_id)
        await create_connector(session, practice.practice_id, "clearinghouse_sftp", "ch",
                               local_remote.config_dict(edi=EDI))
        await session.commit()
    primary_id = await session.scalar(select(Claim.id).where(Claim.payer_rank == 1))
    secondary_id = await session.scalar(select(Claim.id).where(Claim.payer_rank == 2))
    connector_id = await session.scalar(select(Connector.id))
    assert primary_id is not None and secondary_id is not None and connector_id is not None
    await _post_era(session, practice.practice_id, primary_id, lines)
    text, skipped = await _build(session, practice.practice_id, connector_id, secondary_id)
    assert skipped == [], skipped
    assert pyx12_errors(text) == []
    svd = [s.strip() for s in text.split("~") if s.strip().startswith("SVD")]
    assert len(svd) == 2  # each line's prior adjudication, whatever it paid
