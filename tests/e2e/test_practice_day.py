"""Issue 11's first Done-when: a practice's day on a fresh database, through the services
the product uses (the CLI and the API call the same ones).

Practice data pulled from a drop folder and over SFTP (a real sshd), an aging upload for
each of two locations, a submit run that sends only the unbilled claims (read back from the
837P the clearinghouse plugin put on the remote), an ERA fetched over SFTP that posts to a
claim from the aging file and to a claim from the PMS pull (CLP01 = the PMS claim number), a
co-pay on the appointment that applies to its claim, a general payment that applies with
factory settings. Then everything re-run changes nothing, and a bad file in each of the
pull, the aging upload and the ERA fetch writes nothing and says where."""

from __future__ import annotations

import datetime as dt
import importlib
import os
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.connectors import create_connector
from gateway.admin.practices import create_location, practice_settings
from gateway.aging import service as aging
from gateway.clearinghouse.service import run_connector_action
from gateway.core.errors import UserError
from gateway.core.practice_settings import PracticeSettings
from gateway.core.records import AgingSource
from gateway.db.engine import make_sessionmaker
from gateway.db.models import Appointment, ImportedFile, Patient
from gateway.ledger.balances import claim_balances
from gateway.ledger.models import Claim, LedgerEntry
from gateway.posting.engine import post_deposit
from gateway.posting.models import Deposit, DepositClaim
from gateway.practice.pull import pull_connector
from gateway.practice.service import PracticeDataRejected
from gateway.receipts import service as receipts
from gateway.receipts.schemas import ReceiptIn
from tests.clearinghouse.test_batches import EDI
from tests.conftest import PracticeKeys
from tests.e2e import practice_day as day
from tests.practice.exports import write_export
from tests.support.sshd import SshServer

TODAY = dt.date(2026, 12, 1)


def layout(vendor: str) -> Any:
    return importlib.import_module(f"gateway.plugins.{vendor}.format").PRACTICE_LAYOUT


async def snapshot(session: AsyncSession, pid: int) -> dict[str, object]:
    """What re-running must not change: rows and sums of the ledger, claims, patients."""
    session.expire_all()

    async def n(model: type) -> int:
        return int(await session.scalar(select(func.count()).select_from(model)
                                        .where(model.practice_id == pid)) or 0)  # type: ignore

    money = (await session.execute(
        select(LedgerEntry.kind, func.count(), func.sum(LedgerEntry.amount))
        .where(LedgerEntry.practice_id == pid).group_by(LedgerEntry.kind)
        .order_by(LedgerEntry.kind))).all()
    return {"ledger": [tuple(r) for r in money], "claims": await n(Claim),
            "patients": await n(Patient), "appointments": await n(Appointment),
            "deposits": await n(Deposit)}


async def claim(session: AsyncSession, pid: int, number: str) -> Claim:
    session.expire_all()
    (c,) = (await session.scalars(select(Claim).where(Claim.practice_id == pid,
                                                      Claim.source_claim_id == number))).all()
    return c


async def upload(engine: AsyncEngine, pid: int, lid: int, name: str, content: bytes):
    async with make_sessionmaker(engine)() as s, s.begin():
        return await aging.import_upload(s, pid, lid, AgingSource(name=name, content=content),
                                         vendor="crystalpm")


async def pull(engine: AsyncEngine, pid: int, connector: int):
    async with make_sessionmaker(engine)() as s, s.begin():
        return await pull_connector(s, pid, connector)


async def test_a_practice_day(engine: AsyncEngine, session: AsyncSession,
                              practice: PracticeKeys, sshd: SshServer, tmp_path: Path):
    pid, main = practice.practice_id, practice.location_id
    north = await create_location(session, pid, "North")
    # -- the PMS's exports: a drop folder (Compulink) and an SFTP folder (OfficeMate)
    drop = tmp_path / "drop"
    drop.mkdir()
    write_export(layout("compulink"), drop, records=day.DROP)
    base = f"day-{tmp_path.name}"
    pms_remote = sshd.folder(f"{base}/pms")
    staging = tmp_path / "sftp-staging"
    staging.mkdir()
    for f in write_export(layout("officemate"), staging, records=day.SFTP):
        (pms_remote / f.name).write_bytes(f.read_bytes())
    pms_cfg = sshd.config(practice_data_dir=f"{base}/pms")
    for key in ("era_dir", "ack_dir", "claims_dir"):
        pms_cfg.pop(key, None)
    ch_dirs = {k: f"{base}/{k}" for k in ("era_dir", "ack_dir", "claims_dir", "archive_dir")}
    for folder in ch_dirs.values():
        sshd.folder(folder)
    drop_id = await create_connector(session, pid, "compulink", "pms drop",
                                     {"practice_data_dir": str(drop), "stable_seconds": 0})
    sftp_id = await create_connector(session, pid, "officemate", "pms sftp",
                                     {**pms_cfg, "stable_seconds": 0})
    ch_id = await create_connector(session, pid, "clearinghouse_sftp", "clearinghouse",
                                   sshd.config(**ch_dirs, edi=EDI))
    await session.commit()

    # -- practice data: drop folder and SFTP
    first = await pull(engine, pid, drop_id)
    assert first.status == "imported" and first.written["claims"] == 2
    second = await pull(engine, pid, sftp_id)
    assert second.status == "imported" and second.written["claims"] == 1
    c1 = await claim(session, pid, "C-1")
    appointment = await session.scalar(select(Appointment.id).where(
        Appointment.pms_appointment_id == "AP-1"))
    assert c1.appointment_id == appointment and (c1.billing_state, c1.billed_by) == (
        "billed", "pms")

    # -- an aging upload for each location; C-1 in Main's file is the PMS's claim, not a new one
    r_main = await upload(engine, pid, main, "main.csv", day.AGING_MAIN)
    assert (r_main.claims_created, r_main.claims_unchanged, r_main.problems) == (1, 1, [])
    r_north = await upload(engine, pid, north, "north.csv", day.AGING_NORTH)
    assert r_north.claims_created == 1
    assert (await snapshot(session, pid))["claims"] == 5  # C-1, C-2, C-3, AG-10, AG-20

    # -- submit: only the unbilled claims (C-2, C-3) go, read from the 837P on the remote
    sm = make_sessionmaker(engine)
    sent = await run_connector_action(sm, pid, ch_id, "submit-claims")
    (batch_file,) = list((sshd.root / ch_dirs["claims_dir"]).iterdir())
    x12 = batch_file.read_text()
    segments = [s.split("*") for s in x12.replace("\n", "").split("~") if s]
    clm01 = sorted(s[1] for s in segments if s[0] == "CLM")
    session.expire_all()
    states = {number: (pcn, state, by) for number, pcn, state, by in await session.execute(
        select(Claim.source_claim_id, Claim.patient_control_number, Claim.billing_state,
               Claim.billed_by).where(Claim.practice_id == pid))}
    assert clm01 == sorted([states["C-2"][0], states["C-3"][0]]), sent
    assert {n: s[1:] for n, s in states.items()} == {
        "C-1": ("billed", "pms"), "AG-10": ("billed", "pms"), "AG-20": ("billed", "pms"),
        "C-2": ("billed", "gateway"), "C-3": ("billed", "gateway")}

    # -- the ERA over SFTP posts to AG-10 (aging) and C-1 (PMS pull), matched by CLP01
    (sshd.root / ch_dirs["era_dir"] / "vsp-1201.835").write_text(day.era())
    fetched = await run_connector_action(sm, pid, ch_id, "fetch-eras")
    assert (fetched["imported"], fetched["failed"]) == (1, [])
    (deposit_id,) = (await session.scalars(select(Deposit.id).where(
        Deposit.practice_id == pid))).all()
    await post_deposit(session, pid, deposit_id)
    await session.commit()
    posted = (await session.execute(select(DepositClaim.claim_id, DepositClaim.state,
                                           DepositClaim.match_method)
                                    .where(DepositClaim.deposit_id == deposit_id)
                                    .order_by(DepositClaim.id))).all()
    ag10, c1_id = (await claim(session, pid, "AG-10")).id, (await claim(session, pid, "C-1")).id
    # both matched on CLP01 = the PMS's claim number (source_claim_id = pms_claim_id)
    assert [tuple(p) for p in posted] == [(ag10, "posted", "source_claim_id"),
                                          (c1_id, "posted", "source_claim_id")]
    b = await claim_balances(session, [ag10, c1_id])
    assert (b[ag10].insurance_paid, b[ag10].patient_balance) == (D("150.00"), D("20.00"))
    assert (b[c1_id].insurance_paid, b[c1_id].patient_balance) == (D("140.00"), D("25.00"))

    # -- a co-pay on the appointment applies to its claim; a general payment, factory settings
    assert await practice_settings(session, pid) == PracticeSettings()
    copay = await receipts.create_receipt(
        session, pid, ReceiptIn(received_on=TODAY, amount=D("25.00"), type="Co-Pay",
                                patient_account="A-1", appointment_id=appointment),
        actor="user:1", today=TODAY)
    general = await receipts.create_receipt(
        session, pid, ReceiptIn(received_on=TODAY, amount=D("20.00"), type="General Payment",
                                patient_account="A-4"), actor="user:1", today=TODAY)
    await session.commit()
    for rid, claim_id in ((copay, c1_id), (general, ag10)):
        shown = await receipts.show(session, pid, rid)
        assert (shown.status, {a.claim_id for a in shown.applications}) == (
            "Completed", {claim_id}), shown.status_reason
    b = await claim_balances(session, [ag10, c1_id])
    assert (b[ag10].patient_balance, b[c1_id].patient_balance) == (D("0.00"), D("0.00"))

    # -- the same again changes nothing
    before = await snapshot(session, pid)
    newer = dt.datetime.now().timestamp() + 30  # the same bytes, newer: read, and known
    for f in drop.iterdir():
        os.utime(f, (newer, newer))
    assert (await pull(engine, pid, drop_id)).status == "already_imported"
    for connector in (drop_id, sftp_id):  # files seen before are not read again
        repeat = await pull(engine, pid, connector)
        assert (set(repeat.written.values()) <= {0}, repeat.charges) == (True, 0)
    assert (await upload(engine, pid, main, "main.csv", day.AGING_MAIN)).duplicate
    assert (await upload(engine, pid, north, "north.csv", day.AGING_NORTH)).duplicate
    again = await run_connector_action(sm, pid, ch_id, "fetch-eras")
    assert (again["imported"], again["duplicates"]) == (0, 1)
    assert await snapshot(session, pid) == before

    # -- a bad file in each: nothing written, and where
    bad = write_export(layout("compulink"), drop, stamp="20261202", records={
        "claims": [{**day.DROP["claims"][2], "charge": "sixty"}]})
    later = newer + 60
    os.utime(bad[0], (later, later))
    with pytest.raises(PracticeDataRejected) as rejected:
        await pull(engine, pid, drop_id)
    assert f"{bad[0].name}, row 2, column 'Charge': not an amount" in str(rejected.value)
    with pytest.raises(UserError) as refused:
        await upload(engine, pid, main, "broken.csv",
                     b"As of 12/01/2026\nnothing,like,an,aging,report\n")
    assert str(refused.value).startswith("broken.csv: no header row")
    (sshd.root / ch_dirs["era_dir"] / "broken.835").write_text("ISA*00*garbage~")
    broken = await run_connector_action(sm, pid, ch_id, "fetch-eras")
    assert [f["name"] for f in broken["failed"]] == ["broken.835"] and broken["failed"][0]["why"]
    assert broken["failed"][0]["why"].startswith("broken.835: segment 1 (ISA)")
    assert await snapshot(session, pid) == before
    rejected_era = await session.scalar(select(ImportedFile.status).where(
        ImportedFile.name == "broken.835"))
    assert rejected_era == "rejected"  # recorded so it shows, with nothing posted from it
