"""schemathesis against the live OpenAPI document of a real server, with two practices and
every role: no 5xx, every response as its schema says; and every route with an id answers
404 for another practice's object."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import PracticeKeys
from tests.hardening.live import fresh_database, live_server, seed_practices

MAX_EXAMPLES = int(os.environ.get("GATEWAY_FUZZ_EXAMPLES", "4"))
"""Small enough for ~1 minute on a loaded 2-core machine; raise it for a deeper run."""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


class Live:
    def __init__(self, base: str, mine: PracticeKeys, theirs: PracticeKeys,
                 their_ids: dict[str, int]) -> None:
        self.base, self.mine, self.theirs, self.their_ids = base, mine, theirs, their_ids


def _seed_objects(base: str, p: PracticeKeys) -> dict[str, int]:
    """One object of each kind in practice `p`, by the path parameter that names it."""
    h = p.headers("admin")
    with httpx.Client(base_url=base, headers=h, timeout=120) as c:
        payer = c.post("/api/payers", json={"name": "Far Plan"}).json()["id"]
        claim = c.post("/api/claims", json={
            "patient": {"account": "F1"}, "service_date_from": "2026-11-02",
            "lines": [{"procedure_code": "92004", "charge": "120.00"}]}).json()["id"]
        receipt = c.post("/api/receipts", json={
            "amount": "10.00", "date": "2026-11-02", "type": "Patient Payment"}).json()
        user = c.post("/api/users", json={"email": "far2@x.test", "role": "viewer"}).json()["id"]
        connector = c.post("/api/connectors", json={
            "plugin": "compulink", "name": "far", "config": {}}).json()
    ids = {"payer_pk": payer, "claim_id": claim, "user_id": user,
           "location_id": p.location_id, "practice_id": p.practice_id}
    if "id" in receipt:
        ids["receipt_id"] = receipt["id"]
    if "id" in connector:
        ids["connector_id"] = connector["id"]
    return ids


@pytest.fixture(scope="module")
def live(migrated_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Live]:
    db_url = fresh_database(migrated_sqlite_template, tmp_path_factory.mktemp("fuzz"))
    mine, theirs = seed_practices(db_url, "Clearview Eye", "Far Sight")
    with live_server(db_url) as base:
        yield Live(base, mine, theirs, _seed_objects(base, theirs))


def _operations(base: str) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_fuzzed_requests_hold_the_contract(live: Live) -> None:
    operations = _operations(live.base)
    assert len(operations) > 40
    roles = [live.mine.headers(r) for r in ("viewer", "biller", "admin")]
    roles.append(live.theirs.headers("admin"))
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            for headers in roles:
                case.call_and_validate(base_url=live.base, headers=headers, checks=CHECKS,
                                       timeout=30)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every failure, then fail once
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_other_practices_ids_are_404_on_every_route(live: Live) -> None:
    """Every operation with an id in its path answers another practice's id exactly as it
    answers an id that exists nowhere: 404 (or the same 400/422 when the body is refused first,
    as a multipart upload without its file is), so ids cannot be probed."""
    nowhere = {name: 2**62 for name in live.their_ids}
    checked = not_found = 0
    with httpx.Client(base_url=live.base, headers=live.mine.headers("admin"), timeout=60) as c:
        for operation in _operations(live.base):
            names = re.findall(r"{(\w+)}", operation.path)
            if not names or any(n not in live.their_ids for n in names):
                continue
            method = operation.method.upper()
            body = {} if method in ("POST", "PATCH") else None
            theirs = c.request(method, operation.path.format(**live.their_ids), json=body)
            absent = c.request(method, operation.path.format(**nowhere), json=body)
            assert theirs.status_code == absent.status_code, (operation.label, theirs.text)
            assert theirs.status_code in (400, 404, 422), (operation.label, theirs.text)
            assert theirs.headers["content-type"].startswith("application/problem+json")
            if body is None:
                assert theirs.status_code == 404, (operation.label, theirs.text)
            checked += 1
            not_found += theirs.status_code == 404
    assert checked >= 11 and not_found >= 10, (checked, not_found)
