"""No patient names, dates of birth or member ids in any log line: SQL echo hides its
parameters, the access log drops query strings, errors log their type only."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.hardening.live import fresh_database, live_server, seed_practices
from tests.hardening.workbooks import receipts_workbook

NAME, SURNAME, DOB, MEMBER = "Wilhelmina", "Quaxley", "1961-04-02", "MBR7781234509"
PLANTED = [NAME, SURNAME, DOB, MEMBER, "1961"]


def _claim(account: str, first: str = NAME) -> dict[str, object]:
    return {"patient": {"account": account, "first_name": first, "last_name": SURNAME,
                        "dob": DOB},
            "service_date_from": "2026-11-02",
            "lines": [{"procedure_code": "92004", "charge": "120.00"}]}


def _scan(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(p in line for p in PLANTED)]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, migrated_sqlite_template: Path,
               tmp_path: Path) -> str:
    if request.param == "sqlite":
        return fresh_database(migrated_sqlite_template, tmp_path)
    return str(request.getfixturevalue("pg_url"))


def test_api_flow_at_debug_level_logs_no_patient_data(any_db_url: str, tmp_path: Path) -> None:
    """Bad input too: a NUL byte and an over-long account, which PostgreSQL refuses in the
    driver (its error text holds the statement and values) and SQLite would store."""
    db_url = any_db_url
    (p,) = seed_practices(db_url, "Clearview Eye")
    log = tmp_path / "server.log"
    with live_server(db_url, log_to=log) as base, httpx.Client(
            base_url=base, headers=p.headers("biller"), timeout=60) as c:
        assert c.post("/api/claims", json=_claim(MEMBER)).status_code == 201
        assert c.get(f"/api/claims?patient_account={MEMBER}").status_code == 200
        assert c.get(f"/api/receipts?patient={SURNAME}").status_code == 200
        assert c.post("/api/claims", json=_claim(MEMBER, first=f"{NAME}\x00")).status_code < 500
        assert c.post("/api/claims", json=_claim("x" * 81)).status_code == 422
        assert c.get(f"/api/claims/{2**64}?q={NAME}").status_code == 422
    text = log.read_text(errors="replace")
    assert '"GET /api/claims HTTP/1.1" 200' in text, text[-2000:]  # the access log is there
    assert "INSERT INTO" in text  # and so is the SQL echo
    assert _scan(text) == []


def test_cli_verbose_import_logs_no_patient_data(gateway, practice,  # type: ignore[no-untyped-def]
                                                 tmp_path: Path) -> None:
    import io

    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(receipts_workbook(0)))
    ws = wb.active
    ws["E1"] = "Comment"
    ws.append(["2026-11-02", MEMBER, "10.00", "General Payment", f"{NAME} {SURNAME} {DOB}"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    r = gateway("-v", "receipts", "import", "--practice", str(practice.practice_id), str(path))
    assert "SELECT" in r.err  # SQL echo is on at -v
    assert _scan(r.err) == [], _scan(r.err)[:5]


@pytest.mark.parametrize("query", [f"patient={NAME}", f"chart_number={MEMBER}"])
def test_access_log_drops_the_query_string(query: str) -> None:
    import logging

    from gateway.api.logs import DropQueryString

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", f"/api/receipts?{query}", "1.1", 200), None)
    assert DropQueryString().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /api/receipts HTTP/1.1" 200'
