"""`POST /api/locations/{id}/aging`: multipart upload, vendor from the form or the connector,
roles, practice scoping, duplicates, rejected files."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.connectors import create_connector
from gateway.admin.practices import create_location
from gateway.db.models import AuditLog, Notification, User
from tests.aging.helpers import counts, fixture
from tests.conftest import PracticeKeys


def upload(name: str, content: bytes | None = None) -> dict:
    return {"file": (name, fixture(name) if content is None else content,
                     "application/octet-stream")}


async def test_upload_with_vendor_then_duplicate(client: AsyncTestClient, session: AsyncSession,
                                                 practice: PracticeKeys):
    url = f"/api/locations/{practice.location_id}/aging"
    r = await client.post(url, files=upload("eyefinity_ar_detail.xls"),
                          data={"vendor": "eyefinity"}, headers=practice.headers("biller"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["rows"], body["balance_total"], body["claims_created"], body["duplicate"]) == (
        5, "584.99", 5, False)
    assert body["payers_added"] == ["VSP", "EyeMed", "Davis Vision", "Medicare Part B"]
    session.expire_all()
    notes = (await session.scalars(select(Notification.kind))).all()
    assert notes == ["payer_added"] * 4 * 3  # 4 payers x 3 active users
    biller = await session.scalar(select(User.id).where(User.email == "biller@clearvieweye.test"))
    audits = (await session.execute(
        select(AuditLog.actor, AuditLog.user_id, AuditLog.object_id)
        .where(AuditLog.action == "aging.import"))).all()
    assert audits == [(f"user:{biller}", biller, body["snapshot_id"])]
    before = await counts(session)
    again = await client.post(url, files=upload("eyefinity_ar_detail.xls"),
                              data={"vendor": "eyefinity"}, headers=practice.headers("biller"))
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["snapshot_id"] == body["snapshot_id"]
    assert await counts(session) == before
    listed = await client.get(url, headers=practice.headers("viewer"))
    assert listed.status_code == 200
    assert [(s["id"], s["rows"], s["balance_total"]) for s in listed.json()] == [
        (body["snapshot_id"], 5, "584.99")]


async def test_vendor_from_the_locations_connector(client: AsyncTestClient,
                                                   session: AsyncSession,
                                                   practice: PracticeKeys):
    await create_connector(session, practice.practice_id, "officemate", "OM",
                           {"location_id": practice.location_id})
    await session.commit()
    r = await client.post(f"/api/locations/{practice.location_id}/aging",
                          files=upload("officemate_insurance_aging.csv"),
                          headers=practice.headers("biller"))
    assert r.status_code == 201, r.text
    assert (r.json()["vendor"], r.json()["rows"], r.json()["balance_total"]) == (
        "officemate", 6, "1315.25")


async def test_roles_and_scoping(client: AsyncTestClient, session: AsyncSession,
                                 practice: PracticeKeys, other_practice: PracticeKeys):
    before = await counts(session)
    files = upload("revolutionehr_aging.csv")
    url = f"/api/locations/{practice.location_id}/aging"
    r = await client.post(url, files=files, data={"vendor": "revolutionehr"})
    assert r.status_code == 401
    r = await client.post(url, files=files, data={"vendor": "revolutionehr"},
                          headers=practice.headers("viewer"))
    assert r.status_code == 403
    r = await client.post(url, files=files, data={"vendor": "revolutionehr"},
                          headers=other_practice.headers("admin"))
    assert r.status_code == 404
    r = await client.get(url, headers=other_practice.headers("admin"))
    assert r.status_code == 404
    r = await client.post("/api/locations/99999/aging", files=files,
                          data={"vendor": "revolutionehr"}, headers=practice.headers("admin"))
    assert r.status_code == 404
    assert await counts(session) == before


async def test_bad_files_are_400_and_write_nothing(client: AsyncTestClient,
                                                   session: AsyncSession,
                                                   practice: PracticeKeys):
    downtown = await create_location(session, practice.practice_id, "Downtown")
    await session.commit()
    before = await counts(session)
    url = f"/api/locations/{practice.location_id}/aging"
    cases = [
        (upload("revolutionehr_aging.csv"), {"vendor": "officemate"}, "no header row found"),
        (upload("x.csv", b"Claim #,Balance\n"), {}, "no aging connector"),
        (upload("x.csv", b""), {"vendor": "crystalpm"}, "the file is empty"),
        (upload("x.csv", b"Claim #,Account,Patient,DOS,Insurance,Balance,Location\n"
                         b"C1,A1,P,10/01/2026,VSP,1.00,Downtown\n"),
         {"vendor": "crystalpm"}, f"(location {downtown})"),
        (upload("eyefinity_ar_detail.xls"), {"vendor": "eyefinity", "export_date": "soon"},
         "not a date"),
    ]
    for files, data, message in cases:
        r = await client.post(url, files=files, data=data, headers=practice.headers("biller"))
        assert r.status_code == 422, r.text
        assert message in r.json()["detail"]
        assert await counts(session) == before


async def test_remove_a_snapshot_through_the_api(client: AsyncTestClient, session: AsyncSession,
                                                 practice: PracticeKeys,
                                                 other_practice: PracticeKeys):
    url = f"/api/locations/{practice.location_id}/aging"
    r = await client.post(url, files=upload("eyefinity_ar_detail.xls"),
                          data={"vendor": "eyefinity"}, headers=practice.headers("biller"))
    snapshot_id = r.json()["snapshot_id"]
    r = await client.delete(f"{url}/{snapshot_id}", headers=practice.headers("viewer"))
    assert r.status_code == 403
    other = f"/api/locations/{other_practice.location_id}/aging/{snapshot_id}"
    r = await client.delete(other, headers=other_practice.headers("biller"))
    assert r.status_code == 404
    r = await client.delete(f"{url}/{snapshot_id}", headers=practice.headers("biller"))
    assert r.status_code == 200, r.text
    assert len(r.json()["claims_marked_removed"]) == 5 and r.json()["kept"] == []
    r = await client.delete(f"{url}/{snapshot_id}", headers=practice.headers("biller"))
    assert r.status_code == 422 and "already removed" in r.text
    listed = (await client.get(url, headers=practice.headers("viewer"))).json()
    assert listed[0]["removed_at"] is not None
