"""Every list pages through one shared dependency (limit 1..1000, offset >= 0) and answers
Litestar's OffsetPagination with its total; filters come through one shared filter dependency,
each value bounded and a bad one named."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.api.test_claims_api import CLAIM
from tests.conftest import PracticeKeys

LISTS = ["/api/claims", "/api/deposits", "/api/posting-errors", "/api/receipts",
         "/api/accounts", "/api/statement-payments"]


async def test_claims_page_with_their_total(client: AsyncTestClient,
                                            practice: PracticeKeys) -> None:
    for i in range(5):
        claim = {**CLAIM, "patient": {**CLAIM["patient"], "account": f"A{i}"}}
        assert (await client.post("/api/claims", json=claim,
                                  headers=practice.headers("biller"))).status_code == 201
    viewer = practice.headers("viewer")
    r = await client.get("/api/claims?limit=2&offset=3", headers=viewer)
    body = r.json()
    assert (body["limit"], body["offset"], body["total"], len(body["items"])) == (2, 3, 5, 2)
    r = await client.get("/api/claims?patient_account=A4", headers=viewer)
    assert r.json()["total"] == 1 and r.json()["items"][0]["patient_account"] == "A4"


@pytest.mark.parametrize("url", LISTS)
async def test_every_list_has_the_same_page_shape(client: AsyncTestClient,
                                                  practice: PracticeKeys, url: str) -> None:
    viewer = practice.headers("viewer")
    body = (await client.get(url, headers=viewer)).json()
    assert set(body) == {"items", "limit", "offset", "total"}, body
    for bad in ("limit=0", "limit=1001", "offset=-1"):
        r = await client.get(f"{url}?{bad}", headers=viewer)
        assert 400 <= r.status_code < 500 and r.json()["where"] == bad.split("=")[0], r.text


@pytest.mark.parametrize(("query", "where"), [
    ("id=0", "id"), (f"id={2**63}", "id"), ("amount=NaN", "amount"), ("amount=1.234", "amount"),
    ("payer=" + "x" * 201, "payer"), ("payer=a%01b", "payer"), ("date_from=never", "date_from"),
    ("errors=some", "errors"),
])
async def test_bad_deposit_filters_are_located(client: AsyncTestClient, practice: PracticeKeys,
                                               query: str, where: str) -> None:
    r = await client.get(f"/api/deposits?{query}", headers=practice.headers("viewer"))
    assert 400 <= r.status_code < 500 and r.json()["where"] == where, r.text


async def test_the_filters_are_documented(client: AsyncTestClient) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    params = {p["name"] for p in doc["paths"]["/api/deposits"]["get"]["parameters"]}
    assert {"id", "date_from", "payer", "amount", "errors", "limit", "offset"} <= params


async def test_claims_totals_on_short_and_past_the_end_pages(client: AsyncTestClient,
                                                             practice: PracticeKeys) -> None:
    """The total skips its count on a short last page and still counts past the end."""
    for i in range(3):
        claim = {**CLAIM, "patient": {**CLAIM["patient"], "account": f"B{i}"}}
        assert (await client.post("/api/claims", json=claim,
                                  headers=practice.headers("biller"))).status_code == 201
    viewer = practice.headers("viewer")
    for offset, seen in ((0, 3), (2, 1), (3, 0), (50, 0)):
        body = (await client.get(f"/api/claims?limit=10&offset={offset}",
                                 headers=viewer)).json()
        assert (body["total"], len(body["items"])) == (3, seen), (offset, body)
