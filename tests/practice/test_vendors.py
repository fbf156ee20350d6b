"""Each of the five PMS plugins pulls its vendor's export set from a drop folder (Eyefinity's
as Excel workbooks), and one of them over a real sshd."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gateway.db.models import Appointment, Coverage, Patient
from gateway.ledger.models import Claim, LedgerEntry
from gateway.practice.pull import pull_connector
from tests.practice.conftest import add_connector, counts
from tests.practice.exports import write_export

VENDORS = ["compulink", "crystalpm", "officemate", "revolutionehr", "eyefinity"]


def layout_of(vendor: str):
    return importlib.import_module(f"gateway.plugins.{vendor}.format").PRACTICE_LAYOUT


async def _assert_landed(session, practice_id: int) -> None:
    assert await counts(session, practice_id) == {
        "patients": 2, "coverages": 2, "appointments": 2, "claims": 2, "claim_lines": 3,
        "ledger": 3, "files": 4}
    ana = await session.scalar(select(Patient).where(Patient.pms_patient_id == "P1001"))
    assert (ana.account, ana.dob, ana.city) == ("A-1001", dt.date(1980, 3, 14), "Springfield")
    cov = await session.scalar(select(Coverage).where(Coverage.patient_id == ana.id))
    assert (cov.rank, cov.member_id, cov.effective_from) == (1, "VSP-555", dt.date(2026, 1, 1))
    c1 = await session.scalar(select(Claim).where(Claim.pms_claim_id == "C-1"))
    c2 = await session.scalar(select(Claim).where(Claim.pms_claim_id == "C-2"))
    assert (c1.billing_state, c1.billed_by, c1.origin) == ("billed", "pms", "pms")
    assert (c2.billing_state, c2.billing) == ("unbilled", "paper")
    ap1 = await session.scalar(select(Appointment).where(Appointment.pms_appointment_id == "AP-1"))
    assert ap1.starts_at.replace(tzinfo=None) == dt.datetime(2026, 11, 30, 9, 30)
    assert c1.appointment_id == ap1.id
    total = await session.scalar(select(func.sum(LedgerEntry.amount))
                                 .where(LedgerEntry.practice_id == practice_id))
    assert total == Decimal("305.50")


@pytest.mark.parametrize("vendor", VENDORS)
async def test_vendor_export_pulled_from_drop_folder(session, practice, drop, vendor):
    write_export(layout_of(vendor), drop, excel=vendor == "eyefinity")
    cid = await add_connector(session, practice.practice_id, vendor,
                              {"practice_data_dir": str(drop)})
    summary = await pull_connector(session, practice.practice_id, cid)
    await session.commit()
    assert summary.status == "imported"
    await _assert_landed(session, practice.practice_id)
    again = await pull_connector(session, practice.practice_id, cid)
    await session.commit()
    assert set(again.written.values()) == {0}


async def test_pull_over_sftp_with_pinned_host_key(session, practice, sshd, tmp_path):
    folder = sshd.folder("pms/exports")
    write_export(layout_of("officemate"), tmp_path)
    for src in tmp_path.glob("*.csv"):
        (folder / src.name).write_bytes(src.read_bytes())
    config = sshd.config(practice_data_dir="pms/exports")
    for key in ("era_dir", "ack_dir", "claims_dir"):
        config.pop(key)
    cid = await add_connector(session, practice.practice_id, "officemate", config)
    summary = await pull_connector(session, practice.practice_id, cid)
    await session.commit()
    assert summary.status == "imported" and len(summary.files) == 4
    await _assert_landed(session, practice.practice_id)
    again = await pull_connector(session, practice.practice_id, cid)
    await session.commit()
    assert again.read == {"patients": 0, "coverages": 0, "appointments": 0, "claims": 0}
