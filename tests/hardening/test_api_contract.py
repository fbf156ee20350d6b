"""The API's contract under hostile input: every bad value is a located 4xx problem
(RFC 9457), never a 500; an unexpected exception is a 500 problem carrying a request id and
is logged with its type, never its values."""

from __future__ import annotations

import logging

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import PracticeKeys

PROBLEM = "application/problem+json"
BIG = str(2**63)

ID_ROUTES = [
    ("get", "/api/claims/{}"), ("get", "/api/deposits/{}"), ("get", "/api/payers/{}"),
    ("get", "/api/connectors/{}"), ("get", "/api/locations/{}"), ("get", "/api/receipts/{}"),
    ("get", "/api/locations/{}/aging"), ("post", "/api/notifications/{}/read"),
    ("post", "/api/deposits/{}/post"), ("delete", "/api/posting-rules/{}"),
    ("get", "/api/practices/{}"), ("post", "/api/users/{}/keys"),
]


def _is_problem(r, status: int) -> dict:  # type: ignore[type-arg]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body = r.json()
    assert body["status"] == status and body["title"] and "detail" in body
    return body


@pytest.mark.parametrize(("method", "url"), ID_ROUTES)
@pytest.mark.parametrize("bad", [BIG, "0", "-1", "99999999999999999999999"])
async def test_ids_beyond_63_bits_are_4xx(client: AsyncTestClient, practice: PracticeKeys,
                                          method: str, url: str, bad: str) -> None:
    r = await client.request(method, url.format(bad), headers=practice.headers("admin"))
    body = _is_problem(r, 422)
    assert body["where"]


@pytest.mark.parametrize("query", [
    "limit=-1", "limit=0", "limit=1001", "limit=-1e20", "offset=-1", f"offset={BIG}",
    f"id={BIG}", "amount=NaN", "amount=Infinity", "amount=1.001", "amount=-inf",
])
async def test_bad_query_values_are_4xx(client: AsyncTestClient, practice: PracticeKeys,
                                        query: str) -> None:
    r = await client.get(f"/api/deposits?{query}", headers=practice.headers("viewer"))
    body = _is_problem(r, 422)
    assert body["where"] in query


@pytest.mark.parametrize("url", ["/api/claims", "/api/receipts?amount=NaN"])
async def test_limit_cap_holds(client: AsyncTestClient, practice: PracticeKeys, url: str) -> None:
    sep = "&" if "?" in url else "?"
    r = await client.get(f"{url}{sep}limit=-1", headers=practice.headers("viewer"))
    _is_problem(r, 422)


@pytest.mark.parametrize("url", ["/api/claims", "/api/payers", "/api/receipts",
                                 "/api/deposits/eob", "/api/connectors"])
async def test_deeply_nested_json_is_4xx(client: AsyncTestClient, practice: PracticeKeys,
                                         url: str) -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    r = await client.post(url, content=body, headers={**practice.headers("admin"),
                                                      "content-type": "application/json"})
    _is_problem(r, 400)  # malformed: it cannot be read


async def test_auth_and_unknown_routes_are_problems(client: AsyncTestClient,
                                                    practice: PracticeKeys) -> None:
    _is_problem(await client.get("/api/claims"), 401)
    _is_problem(await client.post("/api/payers", json={"name": "X"},
                                  headers=practice.headers("viewer")), 403)
    _is_problem(await client.get("/api/claims/12345", headers=practice.headers("viewer")), 404)
    _is_problem(await client.get("/api/nothing-here", headers=practice.headers("viewer")), 404)


async def test_user_error_carries_where(client: AsyncTestClient, practice: PracticeKeys) -> None:
    r = await client.get("/api/receipts?amount=abc", headers=practice.headers("viewer"))
    body = _is_problem(r, 422)
    assert body["where"] == "amount"


CLAIM = {"patient": {"account": "C1"}, "service_date_from": "2026-11-02",
         "lines": [{"procedure_code": "92004", "charge": "120.00"}]}


@pytest.mark.parametrize("charge", ["NaN", "Infinity", "-Infinity", "sNaN", "1e400", "1.001"])
async def test_body_amounts_must_be_finite_cents(client: AsyncTestClient, practice: PracticeKeys,
                                                 charge: str) -> None:
    body = {**CLAIM, "lines": [{"procedure_code": "92004", "charge": charge}]}
    r = await client.post("/api/claims", json=body, headers=practice.headers("biller"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1e400", "1.001"])
async def test_receipt_amounts_must_be_finite_cents(client: AsyncTestClient,
                                                    practice: PracticeKeys, amount: str) -> None:
    r = await client.post("/api/receipts", headers=practice.headers("biller"), json={
        "amount": amount, "date": "2026-11-02", "type": "Patient Payment"})
    assert r.status_code == 422, r.text


async def test_lists_page_with_totals(client: AsyncTestClient, practice: PracticeKeys) -> None:
    h = practice.headers("admin")
    for n in range(3):
        assert (await client.post("/api/payers", json={"name": f"Plan {n}"},
                                  headers=h)).status_code == 201
    r = await client.get("/api/payers?limit=2&offset=1", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3 and body["limit"] == 2 and body["offset"] == 1
    assert [p["name"] for p in body["items"]] == ["Plan 1", "Plan 2"]
    _is_problem(await client.get("/api/payers?limit=1001", headers=h), 422)


async def test_unexpected_error_is_logged_by_type_with_request_id(
        client: AsyncTestClient, practice: PracticeKeys, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from gateway.admin import payers

    async def broken(*_args: object, **_kw: object) -> None:
        raise KeyError("Jane Planted-Patient 1961-04-02")  # a fault no real part produces

    monkeypatch.setattr(payers, "get_or_add_payer", broken)
    import gateway.api.payers.controller as ctl
    monkeypatch.setattr(ctl, "get_or_add_payer", broken)
    caplog.set_level(logging.DEBUG)
    r = await client.post("/api/payers", json={"name": "X"}, headers={
        **practice.headers("admin"), "x-request-id": "req-12345678"})
    body = _is_problem(r, 500)
    assert body["request_id"] == "req-12345678" == r.headers["x-request-id"]
    assert "Planted" not in r.text
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "gateway.api"]
    assert any("KeyError" in line and "req-12345678" in line for line in lines), lines
    assert not any("Planted" in rec.getMessage() or "1961" in rec.getMessage()
                   for rec in caplog.records)


async def test_body_ids_beyond_63_bits_are_4xx(client: AsyncTestClient,
                                               practice: PracticeKeys) -> None:
    r = await client.post("/api/receipts/ignore", json={"ids": [2**64]},
                          headers=practice.headers("biller"))
    assert _is_problem(r, 422)["where"] == "body"
