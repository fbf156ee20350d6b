"""Migrations that rebuild referenced tables on SQLite (to add a CHECK), on a database that
already holds claims and deposits: every row kept, foreign keys intact. The billing-state
migration marks aging receivables billed by the PMS and claims sent in a batch billed by the
gateway."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateway.db.migrate import upgrade

BEFORE = ("0003_clearinghouse", "0004_aging", "0005_posting", "0006_receipts")


def _seed(con: sqlite3.Connection) -> None:
    now = "'2026-01-02 00:00:00'"
    con.executescript(f"""
        INSERT INTO practices (id, name, settings, created_at) VALUES (1, 'P', '{{}}', {now});
        INSERT INTO patients (id, practice_id, account, created_at) VALUES (1, 1, 'A1', {now});
        INSERT INTO claims (id, practice_id, patient_id, payer_rank, service_date_from, billing,
                            level, status, diagnosis_codes, source_vendor, source_claim_id,
                            created_at)
        VALUES (1, 1, 1, 1, '2026-01-02', 'electronic', 'Primary', 'Open', '[]', NULL, NULL,
                {now}),
               (2, 1, 1, 1, '2026-01-02', 'electronic', 'Primary', 'Open', '[]',
                'compulink', 'T-2', {now}),
               (3, 1, 1, 1, '2026-01-02', 'electronic', 'Primary', 'Open', '[]', NULL, NULL,
                {now});
        INSERT INTO claim_lines (id, claim_id, line_number, procedure_code, modifiers, units,
                                 charge, diagnosis_pointers, copay)
        VALUES (1, 1, 1, '92014', '[]', 100, 12000, '[]', 0);
        INSERT INTO ledger_entries (practice_id, claim_id, claim_line_id, kind, amount,
                                    source_type, created_at)
        VALUES (1, 1, 1, 'charge', 12000, 'claim', {now});
        INSERT INTO claim_batches (id, practice_id, name, interchange_control_number,
                                   group_control_number, transaction_control_number, status,
                                   claim_count, content, size, sha256, detail, created_at)
        VALUES (1, 1, 'b', 1, 1, 1, 'submitted', 1, X'00', 1, 'x', '{{}}', {now});
        INSERT INTO claim_batch_claims (id, batch_id, claim_id, patient_control_number, status,
                                        detail)
        VALUES (1, 1, 3, 'PCN3', 'submitted', '{{}}');
        INSERT INTO deposits (id, practice_id, type, status, posted_status, deposit_date,
                              credit_debit, amount, plb_total, created_at)
        VALUES (1, 1, 'ERA', 'New', 'Not Disbursed', '2026-01-03', 'C', 100, 0, {now});
        INSERT INTO deposit_claims (id, deposit_id, practice_id, sequence, claim_xref,
                                    remit_status, charged, paid, patient_responsibility,
                                    deductible, coinsurance, copay, adjustments, denied,
                                    information, excluded, state, credit, overrides)
        VALUES (1, 1, 1, 1, 'PCN3', '1', 12000, 100, 0, 0, 0, 0, 0, 0, 0, 0, 'pending', 0,
                '{{}}');
    """)
    con.commit()


def test_existing_claims_keep_their_rows_and_get_their_billing_state(tmp_path: Path):
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    for revision in BEFORE:
        upgrade(url, revision)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA foreign_keys=ON")
        _seed(con)
    finally:
        con.close()
    upgrade(url)
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT id, billing_state, billed_by, origin FROM claims ORDER BY id")
        assert rows.fetchall() == [(1, "unbilled", None, "api"), (2, "billed", "pms", "aging"),
                                   (3, "billed", "gateway", "api")]
        assert con.execute("SELECT count(*) FROM ledger_entries").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM deposit_claims").fetchone() == (1,)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        with pytest.raises(sqlite3.IntegrityError, match="ck_claims_billing_state"):
            con.execute("UPDATE claims SET billing_state = 'sent twice'")
    finally:
        con.close()
