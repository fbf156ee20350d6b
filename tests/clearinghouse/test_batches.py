"""837P claim batches with persisted control numbers; 999 / 277CA attached by control numbers,
rejected claims flagged on the claim."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.connectors import create_connector
from gateway.admin.payers import get_or_add_payer
from gateway.clearinghouse.batches import REJECTED_SUB_STATUS, allocate_control_number
from gateway.clearinghouse.models import Acknowledgment, ClaimBatch, ClaimBatchClaim
from gateway.clearinghouse.service import run_connector_action
from gateway.core.errors import UserError
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.models import AuditLog, Coverage
from gateway.ledger.billing import release_claim
from gateway.ledger.models import Claim
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims, get_or_create_patient
from tests.clearinghouse.conftest import Remote

EDI = {
    "sender_id": "TGJ23", "receiver_id": "66783JJT", "submitter_name": "Bright Eyes",
    "submitter_id": "TGJ23", "contact_name": "Jerry Doe", "contact_phone": "3055552222",
    "receiver_name": "Key Clearinghouse",
    "billing_provider": {"name": "Bright Eyes Optometry", "npi": "1234567893",
                         "tin": "123456789", "taxonomy": "152W00000X",
                         "address": {"line1": "100 MAIN ST", "city": "SPRINGFIELD",
                                     "state": "IL", "zip": "627011234"}},
    "production": False,
}


async def _claims(session: AsyncSession, practice_id: int) -> dict[str, int]:
    payer, _ = await get_or_add_payer(session, practice_id, "Vision Benefits of America", "VBA01")
    out = {}
    for n, account in enumerate(["A100", "A200", "A300"], 1):
        pid = await get_or_create_patient(session, practice_id, PatientIn(
            account=account, first_name="Pat", last_name=f"Test{n}", dob=dt.date(1980, 1, n)))
        session.add(Coverage(patient_id=pid, payer_id=payer.id, rank=1, member_id=f"M{n}"))
        await session.flush()
        (cid,) = await create_claims(session, practice_id, [ClaimIn(
            patient=PatientIn(account=account), service_date_from=dt.date(2024, 3, n),
            patient_control_number=f"PCN{n}", payer_id=payer.id,
            diagnosis_codes=["H52.13"],
            lines=[ClaimLineIn(procedure_code="92014", charge=Decimal("165.00"),
                               diagnosis_pointers=[1])],
            billing="paper" if n == 3 else "electronic")])
        out[f"PCN{n}"] = cid
    await session.commit()
    return out


def _ack_277(rejected_pcn: str, accepted_pcn: str) -> bytes:
    return ("ISA*00*          *00*          *ZZ*66783JJT       *ZZ*TGJ23          *240326*0900*^"
            "*00501*000000901*0*T*:~GS*HN*66783JJT*TGJ23*20240326*0900*901*X*005010X214~"
            "ST*277*0001*005010X214~BHT*0085*08*B1*20240326*0900*TH~HL*1**20*1~"
            "NM1*AY*2*KEY CLEARINGHOUSE*****46*66783JJT~TRN*1*901~DTP*050*D8*20240326~"
            "DTP*009*D8*20240326~HL*2*1*21*1~NM1*41*2*BRIGHT EYES*****46*TGJ23~TRN*2*B1~"
            "STC*A1:20*20240326*WQ*330~HL*3*2*19*1~NM1*85*2*BRIGHT EYES*****XX*1234567893~"
            f"HL*4*3*PT~NM1*QC*1*TEST1*PAT****MI*M1~TRN*2*{rejected_pcn}~"
            "STC*A7:562:85*20240326*WQ*165~"
            f"HL*5*3*PT~NM1*QC*1*TEST2*PAT****MI*M2~TRN*2*{accepted_pcn}~"
            "STC*A2:20*20240326*WQ*165~SE*22*0001~GE*1*901~IEA*1*000000901~").encode()


def _ack_999(gs06: str, st02: str) -> bytes:
    return ("ISA*00*          *00*          *ZZ*66783JJT       *ZZ*TGJ23          *240326*0900*^"
            "*00501*000000902*0*T*:~GS*FA*66783JJT*TGJ23*20240326*0900*902*X*005010X231A1~"
            f"ST*999*0001*005010X231A1~AK1*HC*{gs06}*005010X222A1~AK2*837*{st02}~"
            "IK3*NM1*17**8~IK5*R*5~AK9*R*1*1*0~SE*7*0001~GE*1*902~IEA*1*000000902~").encode()


async def test_batch_submit_then_277ca_then_999(
    engine: AsyncEngine, session: AsyncSession, practice, local_remote: Remote
):
    claims = await _claims(session, practice.practice_id)
    cid = await create_connector(session, practice.practice_id, "clearinghouse_sftp", "ch",
                                 local_remote.config_dict(edi=EDI))
    await session.commit()
    sm = make_sessionmaker(engine)

    r = await run_connector_action(sm, practice.practice_id, cid, "submit-claims")
    assert r["seen"] == 2 and r["submitted"] == 2 and r["failed"] == [] and r["skipped"] == []
    (sent,) = r["batches"]
    content = (local_remote.claims / sent["name"]).read_text()
    assert content.startswith("ISA*") and "*000000001*0*T*" in content
    assert "CLM*PCN1*" in content and "CLM*PCN2*" in content and "PCN3" not in content
    batch = await session.scalar(select(ClaimBatch))
    batch_id = batch.id
    assert (batch.status, batch.interchange_control_number, batch.claim_count) == (
        "submitted", "000000001", 2)
    session.expire_all()
    sent_claim = await session.get(Claim, claims["PCN1"])
    assert (sent_claim.billing_state, sent_claim.billed_by) == ("billed", "gateway")
    assert sent_claim.billed_at is not None
    assert (await session.get(Claim, claims["PCN3"])).billing_state == "unbilled"  # paper

    again = await run_connector_action(sm, practice.practice_id, cid, "submit-claims")
    assert again["seen"] == 0 and again["batches"] == []  # nothing sent twice

    local_remote.drop("ack", "ack277.txt", _ack_277("PCN1", "PCN2"))
    r = await run_connector_action(sm, practice.practice_id, cid, "fetch-acks")
    assert (r["imported"], r["failed"]) == (1, [])
    session.expire_all()
    flagged = await session.get(Claim, claims["PCN1"])
    fine = await session.get(Claim, claims["PCN2"])
    assert flagged.sub_status == REJECTED_SUB_STATUS and fine.sub_status is None
    assert (flagged.billing_state, fine.billing_state) == ("rejected", "accepted")
    assert flagged.rejection_reason == "277CA rejected the claim: A7:562:85"
    links = {ln.patient_control_number: ln for ln in (await session.scalars(
        select(ClaimBatchClaim))).all()}
    assert links["PCN1"].status == "rejected" and links["PCN2"].status == "accepted"
    assert links["PCN1"].detail["statuses"][0]["category"] == "A7"
    batch = await session.get(ClaimBatch, batch_id)
    assert batch.status == "partially accepted"
    ack = await session.scalar(select(Acknowledgment))
    assert (ack.kind, ack.batch_id, ack.accepted, ack.rejected) == ("277CA", batch.id, 1, 1)

    # the rejected claim is not batched again until a biller releases it
    r = await run_connector_action(sm, practice.practice_id, cid, "submit-claims")
    assert r["seen"] == 0
    with pytest.raises(UserError, match="only a rejected claim"):
        await release_claim(session, practice.practice_id, claims["PCN2"], actor="test")
    await release_claim(session, practice.practice_id, claims["PCN1"], actor="test",
                        note="member id fixed")
    await session.commit()
    assert (flagged.billing_state, flagged.sub_status, flagged.rejection_reason) == (
        "unbilled", None, None)
    audit_row = await session.scalar(select(AuditLog).where(AuditLog.action == "claim.release"))
    assert audit_row.object_id == claims["PCN1"]
    assert audit_row.detail["rejection_reason"].startswith("277CA")
    r = await run_connector_action(sm, practice.practice_id, cid, "submit-claims")
    assert r["submitted"] == 1
    second = await session.scalar(select(ClaimBatch).where(ClaimBatch.id != batch_id))
    second_id = second.id
    assert second.interchange_control_number == "000000002"

    local_remote.drop("ack", "ack999.txt", _ack_999(second.group_control_number,
                                                   second.transaction_control_number))
    r = await run_connector_action(sm, practice.practice_id, cid, "fetch-acks")
    assert r["imported"] == 1
    session.expire_all()
    assert (await session.get(ClaimBatch, second_id)).status == "rejected"
    again_rejected = await session.get(Claim, claims["PCN1"])
    assert again_rejected.sub_status == REJECTED_SUB_STATUS
    assert again_rejected.billing_state == "rejected"
    assert again_rejected.rejection_reason.startswith("999 rejected the transaction (AK9 R)")
    r = await run_connector_action(sm, practice.practice_id, cid, "fetch-acks")
    assert (r["imported"], r["duplicates"]) == (0, 2)


async def test_submit_needs_edi_settings(engine, session, practice, local_remote: Remote):
    await _claims(session, practice.practice_id)
    cid = await create_connector(session, practice.practice_id, "clearinghouse_sftp", "ch2",
                                 local_remote.config_dict())
    await session.commit()
    with pytest.raises(UserError, match="no 'edi' settings"):
        await run_connector_action(make_sessionmaker(engine), practice.practice_id, cid,
                                   "submit-claims")


async def test_control_numbers_unique_across_processes_on_postgres(pg_url: str):
    from tests.conftest import make_practice

    setup = make_engine(pg_url)
    async with make_sessionmaker(setup)() as s:
        p = await make_practice(s, "Counter Eye")
    engines = [make_engine(pg_url) for _ in range(3)]

    async def worker(engine) -> list[int]:
        got = []
        for _ in range(15):
            async with make_sessionmaker(engine)() as s:
                async with s.begin():
                    got.append(await allocate_control_number(s, p.practice_id, "interchange"))
        return got

    try:
        results = await asyncio.gather(*(worker(e) for e in engines))
    finally:
        for e in [*engines, setup]:
            await e.dispose()
    values = [v for r in results for v in r]
    assert sorted(values) == list(range(1, 46))


async def test_aging_and_pms_billed_claims_are_never_batched(
    engine: AsyncEngine, session: AsyncSession, practice, local_remote: Remote
):
    from gateway.aging import service as aging
    from gateway.core.records import AgingSource

    pid = practice.practice_id
    payer, _ = await get_or_add_payer(session, pid, "VSP", "VSP01")
    await session.commit()
    aging_csv = (b"As of 11/30/2026\nClaim #,Account,Patient,DOS,Insurance,Billed,Paid,Balance\n"
                 b"AG1,A100,\"Test, Pat\",10/01/2026,VSP,100.00,0.00,100.00\n")
    async with make_sessionmaker(engine)() as s:
        async with s.begin():
            await aging.import_upload(s, pid, practice.location_id,
                                      AgingSource(name="aging.csv", content=aging_csv),
                                      vendor="crystalpm")
    patient = await get_or_create_patient(session, pid, PatientIn(account="A100"))
    session.add(Coverage(patient_id=patient, payer_id=payer.id, rank=1, member_id="M1"))
    (pms_claim,) = await create_claims(session, pid, [ClaimIn(
        patient=PatientIn(account="A100"), service_date_from=dt.date(2026, 10, 2),
        payer_id=payer.id, diagnosis_codes=["H52.13"], billed_by_pms=True,
        lines=[ClaimLineIn(procedure_code="92014", charge=Decimal("165.00"),
                           diagnosis_pointers=[1])])])
    cid = await create_connector(session, pid, "clearinghouse_sftp", "ch",
                                 local_remote.config_dict(edi=EDI))
    await session.commit()
    aging_claim = await session.scalar(select(Claim).where(Claim.source_claim_id == "AG1"))
    assert aging_claim.status == "Open" and aging_claim.billing == "electronic"
    aging_id = aging_claim.id

    r = await run_connector_action(make_sessionmaker(engine), pid, cid, "submit-claims")
    assert (r["seen"], r["submitted"], r["batches"], r["skipped"]) == (0, 0, [], [])
    assert await session.scalar(select(ClaimBatchClaim)) is None
    session.expire_all()
    assert (await session.get(Claim, pms_claim)).billing_state == "billed"
    assert (await session.get(Claim, aging_id)).billing_state == "billed"


async def test_a_999_acceptance_marks_the_batch_claims_accepted(
    engine: AsyncEngine, session: AsyncSession, practice, local_remote: Remote
):
    claims = await _claims(session, practice.practice_id)
    cid = await create_connector(session, practice.practice_id, "clearinghouse_sftp", "ch",
                                 local_remote.config_dict(edi=EDI))
    await session.commit()
    sm = make_sessionmaker(engine)
    await run_connector_action(sm, practice.practice_id, cid, "submit-claims")
    batch = await session.scalar(select(ClaimBatch))
    accepted = _ack_999(batch.group_control_number, batch.transaction_control_number) \
        .replace(b"IK3*NM1*17**8~IK5*R*5~AK9*R*1*1*0~SE*7", b"IK5*A~AK9*A*1*1*1~SE*6")
    local_remote.drop("ack", "ack999a.txt", accepted)
    r = await run_connector_action(sm, practice.practice_id, cid, "fetch-acks")
    assert (r["imported"], r["failed"]) == (1, [])
    session.expire_all()
    states = {pcn: (await session.get(Claim, claim_id)).billing_state
              for pcn, claim_id in claims.items()}
    assert states == {"PCN1": "accepted", "PCN2": "accepted", "PCN3": "unbilled"}
