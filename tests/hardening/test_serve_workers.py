"""`gateway serve --workers N` runs N server processes on one port, each answering."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.hardening.live import fresh_database, seed_practices


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_two_workers_answers_from_two_processes(migrated_sqlite_template: Path,
                                                           tmp_path: Path) -> None:
    db_url = fresh_database(migrated_sqlite_template, tmp_path)
    (p,) = seed_practices(db_url, "Clearview Eye")
    port = _free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--database-url", db_url, "serve", "--workers",
             "2", "--no-scheduler", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ})
        try:
            deadline = time.monotonic() + 60
            answered = 0
            while answered < 20 and time.monotonic() < deadline:
                try:  # retried until both workers have started; bounded by the deadline
                    r = httpx.get(f"http://127.0.0.1:{port}/api/claims", timeout=5,
                                  headers={"Authorization": f"Bearer {p.viewer}"})
                except httpx.TransportError:
                    continue
                assert r.status_code == 200, r.text
                answered += 1
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    text = log.read_text()
    assert answered == 20, text[-2000:]
    assert text.count("Started server process") == 2, text[-2000:]
