"""One file cannot take the server down: hostile workbooks are refused before a reader
allocates, naming the limit (422/413 in the API, exit 2 in the CLI); CLI file arguments must
be regular files; and /health answers while a large upload is parsed."""

from __future__ import annotations

import io
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from gateway.core.errors import LimitExceeded
from gateway.core.spreadsheet import check_workbook
from tests.conftest import PracticeKeys
from tests.hardening.live import fresh_database, live_server, seed_practices
from tests.hardening.workbooks import (
    SHEET,
    _rewrite,
    far_cell_workbook,
    many_rows_workbook,
    receipts_workbook,
    zip_bomb_workbook,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _wide_workbook() -> bytes:
    base = receipts_workbook()
    import zipfile
    sheet = zipfile.ZipFile(io.BytesIO(base)).read(SHEET)
    sheet = sheet.replace(b"</sheetData>", b'<row r="3"><c r="XFD3" t="n"><v>1</v></c></row>'
                                           b"</sheetData>")
    return _rewrite(base, SHEET, sheet)


@pytest.mark.parametrize(("build", "limit"), [
    (far_cell_workbook, "max_rows"), (_wide_workbook, "max_columns"),
    (zip_bomb_workbook, "max_uncompressed"), (lambda: many_rows_workbook(600_000), "max_rows"),
])
def test_hostile_workbooks_are_refused_naming_the_limit(build, limit: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LimitExceeded) as caught:
        check_workbook(build(), "x.xlsx")
    assert caught.value.limit == limit and limit in str(caught.value)


def test_an_ordinary_workbook_passes() -> None:
    check_workbook(receipts_workbook(20), "ok.xlsx")


async def test_far_cell_upload_is_422_on_both_upload_routes(
        client: AsyncTestClient, practice: PracticeKeys) -> None:
    files = {"file": ("far.xlsx", far_cell_workbook(), XLSX)}
    h = practice.headers("biller")
    for url in ("/api/receipts/import", f"/api/locations/{practice.location_id}/aging"):
        r = await client.post(url, files=files, data={"vendor": "compulink"}, headers=h)
        assert r.status_code == 422, (url, r.text)
        assert "max_rows" in r.json()["detail"] and r.json()["where"].startswith("far.xlsx")


async def test_zip_bomb_upload_is_413(client: AsyncTestClient, practice: PracticeKeys) -> None:
    files = {"file": ("bomb.xlsx", zip_bomb_workbook(), XLSX)}
    r = await client.post("/api/receipts/import", files=files,
                          headers=practice.headers("biller"))
    assert r.status_code == 413, r.text
    assert "max_uncompressed" in r.json()["detail"]


def test_far_cell_file_exits_2_in_the_cli(gateway, practice: PracticeKeys,  # type: ignore[no-untyped-def]
                                          tmp_path: Path) -> None:
    path = tmp_path / "far.xlsx"
    path.write_bytes(far_cell_workbook())
    r = gateway("receipts", "import", "--practice", str(practice.practice_id), str(path))
    assert r.code == 2 and "max_rows" in r.err, r.err
    r = gateway("aging", "import", "--practice", str(practice.practice_id), "--location",
                str(practice.location_id), "--vendor", "compulink", str(path))
    assert r.code == 2, r.err


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_cli_file_arguments_must_be_regular_files(gateway, practice: PracticeKeys,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        target = tmp_path / "pipe.xlsx"
        os.mkfifo(target)
    else:
        target = Path("/dev/zero")
    r = gateway("receipts", "import", "--practice", str(practice.practice_id), str(target))
    assert r.code == 2 and "not a regular file" in r.err, r.err


def _timed_health(client: httpx.Client) -> float:
    start = time.perf_counter()
    assert client.get("/health").status_code == 200
    return time.perf_counter() - start


def _health_beside_upload(c: httpx.Client, base: str, key: str, book: Path,
                          out: Path) -> tuple[str, list[float]]:
    """The import's HTTP status (curl, another process) and /health's latencies beside it."""
    upload = subprocess.Popen(
        ["curl", "-sS", "-o", str(out), "-w", "%{http_code}",
         "-H", f"Authorization: Bearer {key}",
         "-F", f"file=@{book};type={XLSX}", f"{base}/api/receipts/import"],
        stdout=subprocess.PIPE, text=True)
    latencies: list[float] = []
    while upload.poll() is None:
        latencies.append(_timed_health(c))
    return (upload.stdout.read() if upload.stdout else ""), sorted(latencies)


def test_health_answers_while_a_large_upload_is_parsed(migrated_sqlite_template: Path,
                                                       tmp_path: Path) -> None:
    """A 250k-row workbook without its Amount column: parsed whole, then refused; /health is
    timed beside it on the same real server (the upload comes from another process, curl)."""
    db_url = fresh_database(migrated_sqlite_template, tmp_path)
    (p,) = seed_practices(db_url, "Clearview Eye")
    big = tmp_path / "big.xlsx"
    big.write_bytes(many_rows_workbook(250_000, amount_title=b"Sum"))
    assert big.stat().st_size < 20 * 1024 * 1024
    with live_server(db_url) as base, httpx.Client(base_url=base, timeout=30) as c:
        c.get("/health")  # connection made before the upload starts
        idle = sorted(_timed_health(c) for _ in range(100))
        status, latencies = _health_beside_upload(c, base, p.biller, big, tmp_path / "out.json")
    body = (tmp_path / "out.json").read_text()
    assert status == "422" and "missing column(s) Amount" in body, (status, body[:300])
    assert len(latencies) >= 10, latencies
    # The parse runs in a worker process at a lower priority (gateway.core.offload): the
    # server's GIL stays free. Bounds relative to /health idle in the same run, since this
    # 2-core machine is shared: the upload adds under 100 ms to the 95th percentile, and no
    # answer waits a second (a parse thread held single answers up to 0.8 s).
    p95 = latencies[int(len(latencies) * 0.95)]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"/health idle: p50={idle[50]:.4f} p99={idle[98]:.4f}; during the upload: "
          f"n={len(latencies)} p50={latencies[len(latencies) // 2]:.4f} p95={p95:.4f} "
          f"p99={p99:.4f} max={latencies[-1]:.4f}")
    assert p95 < idle[98] + 0.1, (p95, idle[98], latencies[-5:])
    assert latencies[-1] < 1.0, latencies[-5:]


def test_health_under_100ms_during_a_whole_receipts_import(migrated_sqlite_template: Path,
                                                          tmp_path: Path) -> None:
    """A valid 20k-row workbook imported whole (parse, inserts, reconcile) on a real server
    while /health is timed beside it: the import runs in the worker process on its own
    session (gateway.core.offload.with_session_in_process), so the import adds < 100 ms to
    /health's p99
    and every row is in the database afterwards."""
    rows = 20_000
    db_url = fresh_database(migrated_sqlite_template, tmp_path)
    (p,) = seed_practices(db_url, "Clearview Eye")
    book = tmp_path / "import.xlsx"
    book.write_bytes(many_rows_workbook(rows))
    with live_server(db_url) as base, httpx.Client(base_url=base, timeout=30) as c:
        c.get("/health")
        idle = sorted(_timed_health(c) for _ in range(100))
        status, latencies = _health_beside_upload(c, base, p.biller, book, tmp_path / "o.json")
        listed = c.get("/api/receipts?status=all&limit=1",
                       headers={"Authorization": f"Bearer {p.viewer}"}).json()
    body = (tmp_path / "o.json").read_text()
    assert status == "200", (status, body[:300])
    assert listed["total"] == rows, listed
    assert len(latencies) >= 20, len(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"/health idle: p50={idle[50]:.4f} p99={idle[98]:.4f}; during a {rows}-row import: "
          f"n={len(latencies)} p50={latencies[len(latencies) // 2]:.4f} p99={p99:.4f} "
          f"max={latencies[-1]:.4f}")
    # Under 100 ms on a quiet machine; this 2-core machine is shared by several test runs,
    # so the bound is the same run's idle p99 plus 100 ms (the import's own cost).
    assert p99 < idle[98] + 0.1, (p99, idle[98], latencies[-5:])
