"""0321 removes the `balance_sync` settings nobody read and the practice default job nothing
ever bound: a connector's `balances.schedule` times its own `sync_balances` job. Stored
settings and configs keep every other key; a bound job, or one that ran, stays."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from gateway.core.practice_settings import PracticeSettings
from gateway.db.migrate import upgrade

_NOW = "'2026-01-02 00:00:00'"
_JOB = ("INSERT INTO job_definitions (id, practice_id, name, kind, connector_id, pattern, every,"
        " start_date, time_of_day, enabled, params, created_at) VALUES ")


def _seed(con: sqlite3.Connection) -> None:
    settings = json.dumps({"balance_sync": "hourly", "timezone": "America/Chicago"})
    config = json.dumps({"transport": "local", "balance_sync": "daily"})
    con.executescript(f"""
        INSERT INTO practices (id, name, settings, created_at)
        VALUES (1, 'P', '{settings}', {_NOW}), (2, 'Q', '{{}}', {_NOW});
        INSERT INTO connectors (id, practice_id, plugin, name, config, enabled, created_at)
        VALUES (1, 1, 'compulink', 'c', '{config}', 1, {_NOW});
        {_JOB} (1, 1, 'Sync balances daily', 'sync_balances', NULL, 'daily', 1, '2026-01-02',
                '05:00:00', 0, '{{}}', {_NOW}),
               (2, 2, 'Sync balances daily', 'sync_balances', NULL, 'daily', 1, '2026-01-02',
                '05:00:00', 0, '{{}}', {_NOW}),
               (3, 1, 'sync_balances:c', 'sync_balances', 1, 'daily', 1, '2026-01-02',
                '05:00:00', 1, '{{}}', {_NOW});
        INSERT INTO job_runs (id, job_id, fire_time, "trigger", node, started_at, status,
                              result)
        VALUES (1, 2, {_NOW}, 'manual', 'n', {_NOW}, 'failed', '{{}}');
    """)
    con.commit()


def test_the_unread_settings_and_the_unbound_default_job_go(tmp_path: Path):
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0002_jobs")
    upgrade(url, "0320_balance_digest")
    con = sqlite3.connect(path)
    try:
        _seed(con)
    finally:
        con.close()
    upgrade(url)
    con = sqlite3.connect(path)
    try:
        settings = json.loads(con.execute("SELECT settings FROM practices WHERE id = 1")
                              .fetchone()[0])
        assert settings == {"timezone": "America/Chicago"}
        config = json.loads(con.execute("SELECT config FROM connectors").fetchone()[0])
        assert config == {"transport": "local"}
        jobs = con.execute("SELECT id FROM job_definitions ORDER BY id").fetchall()
        assert jobs == [(2,), (3,)]  # the one that ran and the connector's own stay
    finally:
        con.close()
    assert "balance_sync" not in PracticeSettings.__struct_fields__
