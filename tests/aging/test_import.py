"""Import semantics: one transaction per file, claims matched per location by (vendor, claim id,
payer rank), completed / reopened, payers added with notifications, money as ledger rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.practices import create_location, create_user
from gateway.aging import service
from gateway.aging.models import AgingSnapshot, AgingSnapshotItem
from gateway.core.errors import NotFound, UserError
from gateway.core.records import AgingSource
from gateway.db.engine import make_sessionmaker
from gateway.db.models import ImportedFile, Notification, Patient, Payer, User
from gateway.ledger.balances import claim_balances
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from tests.aging.helpers import counts, fixture
from tests.conftest import PracticeKeys

D = Decimal
HEADER = "Claim #,Account,Patient,DOS,Insurance,Billed,Paid,Balance\n"


def csv(*rows: str, title: str = "As of 11/30/2026\n") -> bytes:
    return (title + HEADER + "".join(r + "\n" for r in rows)).encode()


async def do_import(engine: AsyncEngine, practice_id: int, location_id: int, name: str,
                    content: bytes | None = None, vendor: str | None = "crystalpm",
                    **kw) -> service.ImportResult:
    """One import in its own transaction, as the API and the CLI run it."""
    async with make_sessionmaker(engine)() as s:
        async with s.begin():
            return await service.import_upload(
                s, practice_id, location_id,
                AgingSource(name=name, content=fixture(name) if content is None else content),
                vendor=vendor, **kw)


async def claims_of(session: AsyncSession, location_id: int) -> dict[tuple[str, int], Claim]:
    session.expire_all()
    rows = (await session.scalars(select(Claim).where(Claim.location_id == location_id))).all()
    return {(c.source_claim_id, c.payer_rank): c for c in rows}


async def balances(session: AsyncSession, location_id: int) -> dict[str, Decimal]:
    claims = await claims_of(session, location_id)
    b = await claim_balances(session, [c.id for c in claims.values()])
    return {k[0]: b[c.id].insurance_balance for k, c in claims.items()}


async def test_first_import_creates_claims_patients_payers_and_ledger(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    r = await do_import(engine, practice.practice_id, practice.location_id,
                        "eyefinity_ar_detail.xls", vendor="eyefinity")
    assert (r.rows, r.claims_created, r.claims_updated, r.claims_completed,
            r.claims_reopened) == (5, 5, 0, 0, 0)
    assert r.balance_total == D("584.99")
    assert r.payers_added == ["VSP", "EyeMed", "Davis Vision", "Medicare Part B"]
    assert r.problems == []
    assert await balances(session, practice.location_id) == {
        "EF1001": D("180.00"), "EF1002": D("120.00"), "EF1003": D("99.99"),
        "EF1004": D("-25.00"), "EF1005": D("210.00")}
    claims = await claims_of(session, practice.location_id)
    c = claims[("EF1002", 1)]
    assert (c.source_vendor, c.status, c.completed_at, c.level) == ("eyefinity", "Open", None,
                                                                   "Primary")
    assert c.service_date_from == dt.date(2026, 10, 20)
    # billed 140, paid 20, balance 120: the ledger says exactly that, from the snapshot
    entries = (await session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.source_type,
               LedgerEntry.source_id).where(LedgerEntry.claim_id == c.id)
        .order_by(LedgerEntry.id))).all()
    assert [(k, a, t) for k, a, t, _ in entries] == [
        ("charge", D("140.00"), "aging"), ("insurance_payment", D("20.00"), "aging")]
    assert {sid for *_, sid in entries} == {r.snapshot_id}
    # the credit: billed 100, paid 125
    credit = claims[("EF1004", 1)]
    kinds = dict((await session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount).where(LedgerEntry.claim_id == credit.id)
    )).all())
    assert kinds == {"charge": D("100.00"), "insurance_payment": D("125.00")}
    patients = (await session.execute(
        select(Patient.account, Patient.first_name, Patient.last_name, Patient.dob)
        .where(Patient.practice_id == practice.practice_id).order_by(Patient.account))).all()
    assert patients[0] == ("E-700", "Min", "Park", dt.date(1980, 5, 6))
    assert len(patients) == 3
    items = await session.scalar(select(func.count()).select_from(AgingSnapshotItem))
    assert items == 5
    item = await session.scalar(select(AgingSnapshotItem).where(
        AgingSnapshotItem.source_claim_id == "EF1002"))
    assert item.raw["Aging Bucket"] == "31-45" and item.bucket_31_60 == D("120.00")


async def test_payers_added_once_with_a_notification_per_active_user(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    # an existing payer spelled differently is matched, not duplicated, not overwritten
    session.add(Payer(practice_id=practice.practice_id, name="Blue Cross Inc",
                      normalized_name="blue cross", status="Inactive", source="manual"))
    uid = await create_user(session, practice.practice_id, "gone@clearview.test", "viewer")
    (await session.get(User, uid)).active = False
    await session.commit()
    r = await do_import(engine, practice.practice_id, practice.location_id,
                        "crystalpm_insurance_receivable.csv")
    assert r.payers_added == ["VSP", "Aetna"]
    session.expire_all()
    payers = (await session.execute(
        select(Payer.name, Payer.status, Payer.source).where(
            Payer.practice_id == practice.practice_id).order_by(Payer.id))).all()
    assert payers == [("Blue Cross Inc", "Inactive", "manual"), ("VSP", "Active", "aging"),
                      ("Aetna", "Active", "aging")]
    notes = (await session.execute(
        select(Notification.user_id, Notification.kind, Notification.object_id,
               Notification.message).order_by(Notification.id))).all()
    active = (await session.scalars(select(User.id).where(
        User.practice_id == practice.practice_id, User.active.is_(True)))).all()
    assert len(active) == 3
    assert len(notes) == 2 * len(active)
    assert {n[0] for n in notes} == set(active)
    assert all(n[1] == "payer_added" for n in notes)
    assert "'VSP' was added (Active)" in notes[0][3]
    # patient names never go into notifications
    assert not any("Doe" in n[3] for n in notes)


async def test_reupload_is_a_no_op(engine: AsyncEngine, session: AsyncSession,
                                   practice: PracticeKeys):
    first = await do_import(engine, practice.practice_id, practice.location_id,
                            "compulink_ins_receivables.xls", vendor="compulink")
    before = await counts(session)
    again = await do_import(engine, practice.practice_id, practice.location_id,
                            "compulink_ins_receivables.xls", vendor="compulink")
    assert again.duplicate is True
    assert (again.file_id, again.snapshot_id, again.claims_created) == (
        first.file_id, first.snapshot_id, first.claims_created)
    assert await counts(session) == before


async def test_claim_line_grain_makes_lines(engine: AsyncEngine, session: AsyncSession,
                                            practice: PracticeKeys):
    r = await do_import(engine, practice.practice_id, practice.location_id,
                        "compulink_ins_receivables.xls", vendor="compulink")
    assert (r.rows, r.claims_created) == (5, 4)
    claims = await claims_of(session, practice.location_id)
    lines = (await session.execute(
        select(ClaimLine.line_number, ClaimLine.charge, ClaimLine.procedure_code)
        .where(ClaimLine.claim_id == claims[("50001", 1)].id).order_by(ClaimLine.line_number)
    )).all()
    assert lines == [(1, D("150.00"), "AGING"), (2, D("45.00"), "AGING")]
    assert (await balances(session, practice.location_id))["50001"] == D("165.00")
    # billed 150, balance 120, no paid column: the difference is an adjustment
    kinds = (await session.execute(
        select(LedgerEntry.kind, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.claim_id == claims[("50001", 1)].id).group_by(LedgerEntry.kind)
    )).all()
    assert dict(kinds) == {"charge": D("195.00"), "insurance_adjustment": D("30.00")}


async def test_next_snapshot_updates_completes_and_reopens(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    pid, lid = practice.practice_id, practice.location_id
    one = csv("C1,A1,\"Doe, Jane\",10/01/2026,VSP,100.00,0.00,100.00",
              "C2,A2,Roe,10/02/2026,VSP,50.00,0.00,50.00",
              "C3,A3,Poe,10/03/2026,Aetna,80.00,0.00,80.00")
    await do_import(engine, pid, lid, "one.csv", one)
    # C1 partly paid, C2 unchanged, C3 gone, C4 new
    two = csv("C1,A1,\"Doe, Jane\",10/01/2026,VSP,100.00,60.00,40.00",
              "C2,A2,Roe,10/02/2026,VSP,50.00,0.00,50.00",
              "C4,A4,Loe,10/04/2026,Aetna,30.00,0.00,30.00", title="As of 12/01/2026\n")
    r = await do_import(engine, pid, lid, "two.csv", two)
    assert (r.claims_created, r.claims_updated, r.claims_unchanged, r.claims_completed,
            r.claims_reopened) == (1, 1, 1, 1, 0)
    claims = await claims_of(session, lid)
    assert claims[("C3", 1)].status == "Completed" and claims[("C3", 1)].completed_at
    assert claims[("C1", 1)].completed_at is None
    b = await balances(session, lid)
    assert (b["C1"], b["C2"], b["C4"]) == (D("40.00"), D("50.00"), D("30.00"))
    assert b["C3"] == D("80.00")  # completing writes no money
    c1 = (await session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.source_id)
        .where(LedgerEntry.claim_id == claims[("C1", 1)].id).order_by(LedgerEntry.id))).all()
    assert c1 == [("charge", D("100.00"), r.snapshot_id - 1),
                  ("insurance_payment", D("60.00"), r.snapshot_id)]
    # C3 comes back with a higher balance: reopened, and the change is a ledger row
    three = csv("C2,A2,Roe,10/02/2026,VSP,50.00,0.00,50.00",
                "C3,A3,Poe,10/03/2026,Aetna,80.00,0.00,95.00",
                "C4,A4,Loe,10/04/2026,Aetna,30.00,0.00,30.00", title="As of 12/02/2026\n")
    r = await do_import(engine, pid, lid, "three.csv", three)
    assert (r.claims_created, r.claims_updated, r.claims_unchanged, r.claims_completed,
            r.claims_reopened) == (0, 0, 2, 1, 1)
    claims = await claims_of(session, lid)
    assert claims[("C3", 1)].status == "Open" and claims[("C3", 1)].completed_at is None
    assert claims[("C1", 1)].status == "Completed"
    b = await balances(session, lid)
    assert b["C3"] == D("95.00")
    last = (await session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount).where(
            LedgerEntry.claim_id == claims[("C3", 1)].id, LedgerEntry.source_id == r.snapshot_id)
    )).all()
    assert last == [("insurance_adjustment", D("-15.00"))]


async def test_payer_rank_is_part_of_the_key(engine: AsyncEngine, session: AsyncSession,
                                             practice: PracticeKeys):
    r = await do_import(engine, practice.practice_id, practice.location_id,
                        "compulink_ins_receivables_xml.xls", vendor="compulink")
    assert r.claims_created == 3
    claims = await claims_of(session, practice.location_id)
    assert set(claims) == {("T-77", 1), ("T-77", 2), ("T-78", 1)}
    assert claims[("T-77", 2)].level == "Secondary"
    payer = await session.get(Payer, claims[("T-77", 2)].payer_id)
    assert payer.name == "Blue Shield"


async def test_a_file_touches_only_its_location(engine: AsyncEngine, session: AsyncSession,
                                                practice: PracticeKeys):
    pid = practice.practice_id
    downtown = await create_location(session, pid, "Downtown")
    await session.commit()
    await do_import(engine, pid, practice.location_id, "one.csv",
                    csv("C1,A1,P,10/01/2026,VSP,10.00,0.00,10.00"))
    main_before = await balances(session, practice.location_id)
    # the same claim number at another location is another claim; the first stays open
    r = await do_import(engine, pid, downtown, "two.csv",
                        csv("C1,A1,P,10/01/2026,VSP,10.00,0.00,7.00",
                            "C9,A9,P,10/01/2026,VSP,5.00,0.00,5.00"))
    assert (r.claims_created, r.claims_completed) == (2, 0)
    assert await balances(session, practice.location_id) == main_before
    main = await claims_of(session, practice.location_id)
    assert main[("C1", 1)].completed_at is None
    # an empty-ish snapshot of downtown completes only downtown's claims
    r = await do_import(engine, pid, downtown, "three.csv",
                        csv("C9,A9,P,10/01/2026,VSP,5.00,0.00,5.00", title="As of 12/01/2026\n"))
    assert r.claims_completed == 1
    assert (await claims_of(session, practice.location_id))[("C1", 1)].completed_at is None


async def test_all_locations_export_keeps_only_this_locations_rows(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    downtown = await create_location(session, practice.practice_id, "Downtown")
    await session.commit()
    r = await do_import(engine, practice.practice_id, practice.location_id,
                        "crystalpm_insurance_receivable.csv")
    assert (r.rows, r.rows_skipped, r.claims_created) == (4, 2, 4)
    assert r.balance_total == D("1598.00")
    assert r.problems[0].why == "2 rows of other locations (Downtown) skipped"
    # the same bytes cannot become downtown's snapshot as well
    with pytest.raises(UserError, match="already imported for location"):
        await do_import(engine, practice.practice_id, downtown,
                        "crystalpm_insurance_receivable.csv")


async def test_rejected_files_write_nothing(engine: AsyncEngine, session: AsyncSession,
                                            practice: PracticeKeys,
                                            other_practice: PracticeKeys):
    pid, lid = practice.practice_id, practice.location_id
    await do_import(engine, pid, lid, "one.csv", csv("C1,A1,P,10/01/2026,VSP,10.00,0.00,10.00"))
    downtown = await create_location(session, pid, "Downtown")
    await session.commit()
    before = await counts(session)
    cases = [
        ("no header", b"Name,Amount\nx,1\n", "crystalpm", "no header row found"),
        ("another vendor's file", fixture("revolutionehr_aging.csv"), "officemate",
         "no header row found"),
        ("empty", b"", "crystalpm", "the file is empty"),
        ("a pdf", b"%PDF-1.4 ...", "crystalpm", "this is a PDF"),
        ("unknown vendor", csv("C1,A1,P,10/01/2026,VSP,1,0,1"), "medisoft", "no plugin reads"),
        ("the other location's rows",
         b"Claim #,Account,Patient,DOS,Insurance,Balance,Location\n"
         b"C5,A5,P,10/01/2026,VSP,5.00,Downtown\n", "crystalpm",
         "upload it to that location"),
        ("none of several locations",
         b"Claim #,Account,Patient,DOS,Insurance,Balance,Location\n"
         b"C5,A5,P,10/01/2026,VSP,5.00,Uptown\nC6,A6,P,10/01/2026,VSP,5.00,Eastside\n",
         "crystalpm", "none is this location"),
        ("an older export", csv("C1,A1,P,10/01/2026,VSP,10.00,0.00,10.00",
                                title="As of 10/31/2026\n"), "crystalpm", "older than the last"),
        ("a far-future title", csv("C1,A1,P,10/01/2026,VSP,10.00,0.00,10.00",
                                   title="As of 12/31/9999\n"), "crystalpm",
         r"a far-future title.csv: the export is dated 9999-12-31, later than tomorrow"),
    ]
    for what, content, vendor, message in cases:
        with pytest.raises(UserError, match=message):
            await do_import(engine, pid, lid, f"{what}.csv", content, vendor=vendor)
        assert await counts(session) == before, what
    with pytest.raises(NotFound):
        await do_import(engine, pid, 10_000, "x.csv", csv("C1,A1,P,10/01/2026,VSP,1,0,1"))
    with pytest.raises(NotFound):  # another practice's location
        await do_import(engine, pid, other_practice.location_id, "x.csv",
                        csv("C1,A1,P,10/01/2026,VSP,1,0,1"))
    assert downtown
    assert await counts(session) == before


async def test_unreadable_row_leaves_its_claim_open(engine: AsyncEngine, session: AsyncSession,
                                                    practice: PracticeKeys):
    pid, lid = practice.practice_id, practice.location_id
    await do_import(engine, pid, lid, "one.csv", csv("C1,A1,P,10/01/2026,VSP,10.00,0.00,10.00",
                                                     "C2,A2,P,10/01/2026,VSP,20.00,0.00,20.00"))
    r = await do_import(engine, pid, lid, "two.csv", csv(
        "C1,A1,P,10/01/2026,VSP,10.00,0.00,10.00", "C2,A2,P,10/01/2026,VSP,20.00,0.00,n/a"))
    assert r.claims_completed == 0
    assert any(p.row == 4 and "not an amount: 'n/a'" in p.why for p in r.problems)
    assert (await claims_of(session, lid))[("C2", 1)].completed_at is None
    assert (await balances(session, lid))["C2"] == D("20.00")


async def test_row_without_date_of_service_is_not_created(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    r = await do_import(engine, practice.practice_id, practice.location_id, "x.csv",
                        csv("C1,A1,P,,VSP,10.00,0.00,10.00", "C2,A2,P,10/01/2026,VSP,5,0,5"))
    assert r.claims_created == 1
    assert any("claim C1 not created: no date of service" in p.why for p in r.problems)
    assert set(await claims_of(session, practice.location_id)) == {("C2", 1)}


async def test_vendor_from_the_locations_connector(engine: AsyncEngine, session: AsyncSession,
                                                   practice: PracticeKeys):
    from gateway.admin.connectors import create_connector

    await create_connector(session, practice.practice_id, "revolutionehr", "RevEHR main",
                           {"location_id": practice.location_id})
    await session.commit()
    r = await do_import(engine, practice.practice_id, practice.location_id,
                        "revolutionehr_aging.csv", vendor=None)
    assert (r.vendor, r.rows, r.balance_total) == ("revolutionehr", 5, D("1407.80"))
    downtown = await create_location(session, practice.practice_id, "Downtown")
    await session.commit()
    with pytest.raises(UserError, match="no aging connector for location"):
        await do_import(engine, practice.practice_id, downtown, "x.csv",
                        csv("C1,A1,P,10/01/2026,VSP,1,0,1"), vendor=None)


async def test_snapshot_and_file_records(engine: AsyncEngine, session: AsyncSession,
                                         practice: PracticeKeys):
    r = await do_import(engine, practice.practice_id, practice.location_id,
                        "officemate_insurance_aging.csv", vendor="officemate")
    snap = await session.get(AgingSnapshot, r.snapshot_id)
    assert (snap.rows, snap.balance_total, snap.export_date, snap.vendor, snap.grain) == (
        6, D("1315.25"), dt.date(2026, 11, 30), "officemate", "fee_slip")
    f = await session.get(ImportedFile, r.file_id)
    assert (f.kind, f.location_id, f.size) == ("aging", practice.location_id,
                                               len(fixture("officemate_insurance_aging.csv")))
    assert f.summary["claims_created"] == 6 and f.summary["balance_total"] == "1315.25"
    listed = await service.list_snapshots(session, practice.practice_id, practice.location_id)
    assert [s.id for s in listed] == [r.snapshot_id]


async def test_import_on_postgres(pg_url: str):
    """The same import on PostgreSQL (bulk inserts, upserts, JSON), then a no-op re-upload."""
    from gateway.admin.practices import create_practice
    from gateway.db.engine import make_engine

    engine = make_engine(pg_url)
    try:
        async with make_sessionmaker(engine)() as s:
            pid = await create_practice(s, "PG Eye")
            lid = await create_location(s, pid, "Main")
            await create_user(s, pid, "b@pg.test", "biller")
            await s.commit()
        r = await do_import(engine, pid, lid, "eyefinity_ar_detail.xls", vendor="eyefinity")
        assert (r.claims_created, r.balance_total, len(r.payers_added)) == (5, D("584.99"), 4)
        again = await do_import(engine, pid, lid, "eyefinity_ar_detail.xls", vendor="eyefinity")
        assert again.duplicate
        async with make_sessionmaker(engine)() as s:
            assert await s.scalar(select(func.count()).select_from(Claim)) == 5
            assert await s.scalar(select(func.count()).select_from(Notification)) == 4
            total = await s.scalar(select(func.sum(LedgerEntry.amount)).where(
                LedgerEntry.kind == "charge"))
            assert total == D("729.99")
    finally:
        await engine.dispose()


async def test_a_future_title_never_locks_the_location(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    """Issue 16: "As of 12/31/9999" is refused, so the real export still imports."""
    pid, lid = practice.practice_id, practice.location_id
    row = "C1,A1,P,10/01/2026,VSP,10.00,0.00,10.00"
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(UserError) as caught:
        await do_import(engine, pid, lid, "far.csv", csv(row, title="As of 12/31/9999\n"))
    assert caught.value.where == "export_date"
    # the title is wrong but the date given by hand wins; a day ahead is accepted
    r = await do_import(engine, pid, lid, "far.csv", csv(row, title="As of 12/31/9999\n"),
                        export_date=dt.date(2026, 11, 1))
    assert r.export_date == dt.date(2026, 11, 1)
    r = await do_import(engine, pid, lid, "next.csv", csv(row, title=(
        f"As of {tomorrow:%m/%d/%Y}\n")))
    assert r.export_date == tomorrow


async def test_aging_claims_are_billed_by_the_pms_and_charge_what_the_file_says(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    pid, lid = practice.practice_id, practice.location_id
    no_billed = (b"As of 11/29/2026\nClaim #,Account,Patient,DOS,Insurance,Balance\n"
                 b"N1,A1,P,10/01/2026,VSP,75.00\n")
    await do_import(engine, pid, lid, "nobilled.csv", no_billed)
    await do_import(engine, pid, lid, "billed.csv", csv(
        "N1,A1,P,10/01/2026,VSP,,0.00,75.00", "B1,A2,Q,10/02/2026,VSP,140.00,20.00,120.00"))
    claims = await claims_of(session, lid)
    for c in claims.values():
        assert (c.billing_state, c.billed_by, c.origin) == ("billed", "pms", "aging")
        assert c.billed_at is not None
    charges = dict((await session.execute(
        select(Claim.source_claim_id, func.sum(ClaimLine.charge)).join(ClaimLine)
        .where(Claim.location_id == lid).group_by(Claim.source_claim_id))).all())
    # no Billed column: the balance is the charge; a Billed figure: that figure
    assert charges == {"N1": D("75.00"), "B1": D("140.00")}
    # a later export with a higher billed amount moves the line's charge with the ledger
    await do_import(engine, pid, lid, "billed2.csv", csv(
        "N1,A1,P,10/01/2026,VSP,,0.00,75.00", "B1,A2,Q,10/02/2026,VSP,150.00,20.00,130.00",
        title="As of 12/01/2026\n"))
    session.expire_all()
    b1 = (await claims_of(session, lid))[("B1", 1)]
    line = await session.scalar(select(ClaimLine).where(ClaimLine.claim_id == b1.id))
    ledger = await session.scalar(select(func.sum(LedgerEntry.amount)).where(
        LedgerEntry.claim_line_id == line.id, LedgerEntry.kind == "charge"))
    assert line.charge == ledger == D("150.00")
