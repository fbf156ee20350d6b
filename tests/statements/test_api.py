"""/api/statement-payments: the view, the count, Mark Reviewed, the export; roles and
practice scoping."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from gateway.statements.importer import import_payment_file
from tests.statements import helpers as h


async def _arrange(session, pid, tmp_path):
    await h.patient_with_claim(session, pid, "A1", "50.00")
    spf = h.as_file(tmp_path, "f.csv", h.text(
        h.row("P1", "Settled", "10.00"), h.row("P2", "Settled", "11.00", account="ZZ")))
    await import_payment_file(session, pid, spf, today=h.DAY)
    await session.commit()


async def test_view_count_review_and_export(client, session, practice, other_practice,
                                            tmp_path):
    await _arrange(session, practice.practice_id, tmp_path)
    viewer, biller = practice.headers("viewer"), practice.headers("biller")
    r = await client.get("/api/statement-payments/count", headers=viewer)
    assert r.json() == {"unprocessed": 1}
    r = await client.get("/api/statement-payments", headers=viewer)
    assert (r.json()["total"], r.json()["limit"], r.json()["offset"]) == (1, 100, 0)
    (item,) = r.json()["items"]
    assert (item["transaction_id"], item["reason"]) == ("P2", "patient account 'ZZ' not found")
    r = await client.get("/api/statement-payments", params={
        "date_from": h.DAY.isoformat(), "date_to": h.DAY.isoformat()}, headers=viewer)
    assert {p["transaction_id"]: p["state"] for p in r.json()["items"]} == {
        "P1": "posted", "P2": "unprocessed"}
    r = await client.get(f"/api/statement-payments/{item['id']}", headers=viewer)
    assert [e["status"] for e in r.json()["history"]] == ["Settled"]
    r = await client.post("/api/statement-payments/review", json={"ids": [item["id"]]},
                          headers=viewer)
    assert r.status_code == 403
    r = await client.post("/api/statement-payments/review", json={"ids": [item["id"]]},
                          headers=other_practice.headers("biller"))
    assert r.status_code == 404
    r = await client.post("/api/statement-payments/review", json={"ids": [item["id"]]},
                          headers=biller)
    assert r.status_code == 200 and r.json()["reviewed"] == [item["id"]]
    r = await client.get("/api/statement-payments/count", headers=viewer)
    assert r.json() == {"unprocessed": 0}
    r = await client.get("/api/statement-payments/export.xlsx", params={
        "date_from": h.DAY.isoformat(), "date_to": h.DAY.isoformat()}, headers=viewer)
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert sorted(row[1] for row in rows[1:]) == ["P1", "P2"]
    r = await client.get("/api/statement-payments", params={"became": "bogus",
                         "date_from": h.DAY.isoformat()}, headers=viewer)
    assert r.status_code == 422 and "unknown state" in r.text
