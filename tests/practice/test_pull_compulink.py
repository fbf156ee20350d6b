"""A Compulink practice-data pull from a drop folder: what lands, that a re-pull changes
nothing, and that a bad file writes nothing and says where."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gateway.core.errors import UserError
from gateway.db.models import Appointment, Coverage, Patient, Payer
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.practice.pull import pull_connector
from gateway.practice.service import PracticeDataRejected
from tests.practice.conftest import add_connector, copy_fixture, counts


async def _pull(session, practice, cid):
    summary = await pull_connector(session, practice.practice_id, cid)
    await session.commit()
    return summary


async def test_pull_writes_patients_coverages_appointments_claims(session, practice, drop):
    copy_fixture("compulink", drop)
    cid = await add_connector(session, practice.practice_id, "compulink",
                              {"practice_data_dir": str(drop)})
    summary = await _pull(session, practice, cid)
    assert summary.status == "imported"
    assert summary.read == {"patients": 3, "coverages": 3, "appointments": 3, "claims": 2}
    assert await counts(session, practice.practice_id) == {
        "patients": 3, "coverages": 3, "appointments": 3, "claims": 2, "claim_lines": 3,
        "ledger": 3, "files": 4}

    ana = await session.scalar(select(Patient).where(Patient.pms_patient_id == "P1001"))
    assert (ana.account, ana.last_name, ana.dob, ana.sex) == (
        "A-1001", "Rivera", dt.date(1980, 3, 14), "F")
    chidi = await session.scalar(select(Patient).where(Patient.pms_patient_id == "P1003"))
    assert chidi.account == "P1003"  # no account number: the PMS id
    secondary = await session.scalar(
        select(Coverage).where(Coverage.patient_id == ana.id, Coverage.rank == 2))
    payer = await session.get(Payer, secondary.payer_id)
    assert (payer.name, payer.payer_id, secondary.member_id, secondary.subscriber_name,
            secondary.subscriber_relationship, secondary.effective_to) == (
        "Blue Cross Blue Shield", "BCBS1", "XBC123", "Marco Rivera", "Spouse",
        dt.date(2026, 12, 31))

    billed = await session.scalar(select(Claim).where(Claim.pms_claim_id == "T5001"))
    assert (billed.origin, billed.billing_state, billed.billed_by, billed.source_claim_id,
            billed.patient_control_number, billed.diagnosis_codes, billed.billing) == (
        "pms", "billed", "pms", "T5001", "CL-T5001", ["H52.13", "H52.4"], "electronic")
    vsp = await session.get(Payer, billed.payer_id)
    assert vsp.name == "VSP Vision Care"  # the patient's coverage at the claim's rank
    unbilled = await session.scalar(select(Claim).where(Claim.pms_claim_id == "T5002"))
    assert (unbilled.billing_state, unbilled.billed_by, unbilled.billing) == (
        "unbilled", None, "paper")
    lines = (await session.scalars(select(ClaimLine).where(ClaimLine.claim_id == billed.id)
                                   .order_by(ClaimLine.line_number))).all()
    assert [(x.procedure_code, x.charge, x.diagnosis_pointers) for x in lines] == [
        ("92014", Decimal("165.00"), [1]), ("92015", Decimal("45.00"), [1, 2])]
    line = await session.scalar(select(ClaimLine).where(ClaimLine.claim_id == unbilled.id))
    assert (line.modifiers, line.charge, line.diagnosis_pointers) == (
        ["RT"], Decimal("1050.00"), [1])
    charged = await session.scalar(select(func.sum(LedgerEntry.amount)).where(
        LedgerEntry.practice_id == practice.practice_id, LedgerEntry.kind == "charge"))
    assert charged == Decimal("1260.00")

    ap1 = await session.scalar(select(Appointment).where(Appointment.pms_appointment_id == "AP-1"))
    assert ap1.starts_at.replace(tzinfo=None) == dt.datetime(2026, 11, 30, 9, 30)
    assert (ap1.provider, ap1.status) == ("Dr. Patel", "Checked Out")
    assert billed.appointment_id == ap1.id  # the appointment links to the claim made for it


async def test_repull_changes_nothing(session, practice, drop):
    files = copy_fixture("compulink", drop)
    cid = await add_connector(session, practice.practice_id, "compulink",
                              {"practice_data_dir": str(drop)})
    await _pull(session, practice, cid)
    before = await counts(session, practice.practice_id)
    again = await _pull(session, practice, cid)  # nothing newer than the last pull
    assert again.status == "imported" and again.read == {
        "patients": 0, "coverages": 0, "appointments": 0, "claims": 0}
    assert again.written == {k: 0 for k in again.written}
    for f in files:  # the PMS exports the same content again: same hash
        os.utime(f, (f.stat().st_mtime + 60, f.stat().st_mtime + 60))
    same = await _pull(session, practice, cid)
    assert same.status == "already_imported"
    for f in files:  # the same records in new bytes: read, written as no change at all
        f.write_bytes(f.read_bytes() + b"\n")
        os.utime(f, (f.stat().st_mtime + 120, f.stat().st_mtime + 120))
    rewritten = await _pull(session, practice, cid)
    assert rewritten.status == "imported" and rewritten.read["claims"] == 2
    assert set(rewritten.written.values()) == {0} and rewritten.charges == 0
    after = await counts(session, practice.practice_id)
    assert after == {**before, "files": before["files"] + 4}


async def test_changed_charge_and_billed_flag_post_the_difference(session, practice, drop):
    copy_fixture("compulink", drop)
    cid = await add_connector(session, practice.practice_id, "compulink",
                              {"practice_data_dir": str(drop)})
    await _pull(session, practice, cid)
    charges = drop / "charges_20261202.csv"
    charges.write_text(
        (drop / "charges_20261201.csv").read_text().replace('"1,050.00"', "1000.00")
        .replace("Paper,N", "Paper,Y"))
    stamp = (drop / "charges_20261201.csv").stat().st_mtime + 60
    os.utime(charges, (stamp, stamp))
    summary = await _pull(session, practice, cid)
    assert summary.written["claims"] == 1 and summary.charges == 1
    claim = await session.scalar(select(Claim).where(Claim.pms_claim_id == "T5002"))
    assert (claim.billing_state, claim.billed_by) == ("billed", "pms")
    rows = (await session.scalars(select(LedgerEntry.amount).where(
        LedgerEntry.claim_id == claim.id).order_by(LedgerEntry.id))).all()
    assert rows == [Decimal("1050.00"), Decimal("-50.00")]  # a compensating charge row


async def test_bad_rows_reject_the_pull_and_say_where(session, practice, drop):
    copy_fixture("compulink", drop)
    ins = drop / "insurance_20261201.csv"
    ins.write_text(ins.read_text().replace("P1002,1,EyeMed", "P1002,Z,EyeMed"))
    charges = drop / "charges_20261201.csv"
    charges.write_text(charges.read_text().replace("45.00", "forty-five"))
    cid = await add_connector(session, practice.practice_id, "compulink",
                              {"practice_data_dir": str(drop)})
    with pytest.raises(PracticeDataRejected) as caught:
        await pull_connector(session, practice.practice_id, cid)
    await session.rollback()
    where = {(p.file, p.row, p.column) for p in caught.value.problems}
    assert where == {("insurance_20261201.csv", 4, "Ins Order"),
                     ("charges_20261201.csv", 3, "Charge")}
    assert "insurance_20261201.csv, row 4, column 'Ins Order'" in str(caught.value)
    assert set((await counts(session, practice.practice_id)).values()) == {0}


async def test_unreadable_file_writes_nothing(session, practice, drop):
    copy_fixture("compulink", drop)
    (drop / "appointments_20261201.csv").write_text("Report of nothing\nfoo,bar\n1,2\n")
    cid = await add_connector(session, practice.practice_id, "compulink",
                              {"practice_data_dir": str(drop)})
    with pytest.raises(UserError, match="appointments_20261201.csv: no header row for "
                                        "appointments: expected columns 'Appt ID'"):
        await pull_connector(session, practice.practice_id, cid)
    await session.rollback()
    assert set((await counts(session, practice.practice_id)).values()) == {0}


async def test_unknown_patient_rejects_everything(session, practice, drop):
    copy_fixture("compulink", drop)
    (drop / "patients_20261201.csv").write_text(
        "Patient #,Last Name\nP1001,Rivera\nP1002,Chen\n")
    cid = await add_connector(session, practice.practice_id, "compulink",
                              {"practice_data_dir": str(drop)})
    with pytest.raises(PracticeDataRejected) as caught:
        await pull_connector(session, practice.practice_id, cid)
    await session.rollback()
    assert {(p.file, p.row) for p in caught.value.problems} == {("appointments_20261201.csv", 4)}
    assert "no patient with PMS id 'P1003'" in caught.value.problems[0].why
    assert set((await counts(session, practice.practice_id)).values()) == {0}


async def test_the_scheduler_job_pulls_through_its_connector(session, practice, drop):
    from gateway.jobs.registry import JobContext, job_kinds

    copy_fixture("compulink", drop)
    cid = await add_connector(session, practice.practice_id, "compulink",
                              {"practice_data_dir": str(drop)})
    job = job_kinds()["pull_practice_data"]
    ctx = JobContext(job_id=1, practice_id=practice.practice_id, connector_id=cid,
                     fire_time=dt.datetime.now(dt.UTC))
    result = await job(session, ctx)
    await session.commit()
    assert result["status"] == "imported" and result["read"]["claims"] == 2
    assert (await counts(session, practice.practice_id))["claims"] == 2
    with pytest.raises(UserError, match="needs a connector"):
        await job(session, JobContext(job_id=2, practice_id=practice.practice_id,
                                      connector_id=None, fire_time=dt.datetime.now(dt.UTC)))
