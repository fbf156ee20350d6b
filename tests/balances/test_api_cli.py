"""The account list/detail and the portion edit, through the API and the real CLI."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from gateway.balances.models import AccountBalance, BalanceEdit
from gateway.balances.service import sync_connector
from gateway.db.models import AuditLog
from tests.balances.conftest import drop


async def _synced(session, practice, make_connector, tmp_path) -> dict[str, int]:
    cid = await make_connector(practice.practice_id, "eyefinity")
    drop(tmp_path / "drop-eyefinity", "eyefinity", "snapshot1")
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    return dict((await session.execute(select(AccountBalance.account, AccountBalance.id))).all())


async def test_list_filters_sorts_and_pages(client, session, practice, make_connector,
                                            tmp_path):
    await _synced(session, practice, make_connector, tmp_path)
    h = practice.headers("viewer")
    r = await client.get("/api/accounts", headers=h, params={"sort": "-total"})
    assert r.status_code == 200, r.text
    assert [a["account"] for a in r.json()["items"]] == ["A1", "A3", "A2"]
    r = await client.get("/api/accounts", headers=h, params={"bucket": "91_120"})
    assert [a["account"] for a in r.json()["items"]] == ["A2"]
    r = await client.get("/api/accounts", headers=h, params={"portion": "insurance",
                                                              "location": "North"})
    assert [a["account"] for a in r.json()["items"]] == ["A3"]
    r = await client.get("/api/accounts", headers=h, params={"payer": "VSP"})
    assert [a["account"] for a in r.json()["items"]] == ["A1"]
    r = await client.get("/api/accounts", headers=h, params={"limit": 1, "offset": 1})
    assert r.json()["total"] == 3 and [a["account"] for a in r.json()["items"]] == ["A2"]
    r = await client.get("/api/accounts", headers=h, params={"bucket": "7"})
    assert r.status_code == 422


async def test_patch_edits_a_portion_and_detail_shows_both_values(
        client, session, practice, other_practice, make_connector, tmp_path):
    ids = await _synced(session, practice, make_connector, tmp_path)
    url = f"/api/accounts/{ids['A1']}"
    r = await client.patch(url, headers=practice.headers("viewer"),
                           json={"patient_portion": "30.00", "reason": "x"})
    assert r.status_code == 403
    r = await client.patch(url, headers=practice.headers("biller"),
                           json={"patient_portion": "30.00", "reason": "promised payment"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["patient_portion"] == {"synced": "40.00", "effective": "30.00",
                                       "edit_id": body["edits"][0]["id"]}
    assert body["insurance_portion"]["synced"] == body["insurance_portion"]["effective"]
    r = await client.get(url, headers=other_practice.headers("admin"))
    assert r.status_code == 404
    r = await client.patch(url, headers=practice.headers("biller"), json={"reason": "x"})
    assert r.status_code == 422
    actor = await session.scalar(select(AuditLog.actor).where(AuditLog.action == "account.edit"))
    assert actor is not None and actor.startswith("user:")


async def test_cli_sync_list_show_set(gateway, session, practice, make_connector, tmp_path):
    cid = await make_connector(practice.practice_id, "compulink")
    drop(tmp_path / "drop-compulink", "compulink", "snapshot1")
    p = str(practice.practice_id)
    out = gateway("accounts", "sync", "--practice", p, str(cid), "--json")
    assert out.code == 0, out.err
    assert out.json()["created"] == 3
    listed = gateway("accounts", "list", "--practice", p, "--portion", "patient", "--json")
    assert [a["account"] for a in listed.json()["items"]] == ["A1", "A2"]
    a2 = listed.json()["items"][1]["id"]
    out = gateway("accounts", "set", "--practice", p, str(a2), "--patient-portion", "44.5",
                  "--reason", "plan", "--json")
    assert out.code == 0, out.err
    assert out.json()["patient_portion"]["effective"] == "44.50"
    shown = gateway("accounts", "show", "--practice", p, str(a2))
    assert "patient portion: synced 50.00, effective 44.50" in shown.out
    bad = gateway("accounts", "set", "--practice", p, str(a2), "--patient-portion", "x",
                  "--reason", "plan")
    assert bad.code == 2 and "Traceback" not in bad.err
    assert await session.scalar(select(BalanceEdit.new_value)) == Decimal("44.50")


async def test_ar_summary_and_worklist_downloads(client, session, practice, make_connector,
                                                 tmp_path):
    import io

    from openpyxl import load_workbook

    from gateway.balances.collections import add_rule

    await _synced(session, practice, make_connector, tmp_path)
    await add_rule(session, practice.practice_id, "remind", "reminder",
                   {"min_patient_portion": "10"})
    await session.commit()
    h = practice.headers("viewer")
    r = await client.get("/api/accounts/ar-summary", headers=h)
    assert r.status_code == 200 and r.json()["total"] == "225.00"
    r = await client.get("/api/accounts/ar-summary.xlsx", headers=h)
    assert r.status_code == 200
    assert load_workbook(io.BytesIO(r.content)).sheetnames == ["By payer", "By location", "Trend"]
    r = await client.get("/api/accounts/worklist.xlsx", headers=h)
    ws = load_workbook(io.BytesIO(r.content))["Worklist"]
    assert [ws.cell(row, 3).value for row in (2, 3)] == ["A1", "A2"]
