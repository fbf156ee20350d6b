"""ledger: drop the foreign keys a ledger row's line already implies (issue 18, item 7)

Revision ID: 0251_ledger_implied_fks
Revises: 0250_posting_duplicate_payment

A ledger row's `claim_line_id` (still a foreign key) names a line, the line its claim, the claim
its practice: the separate keys on `claim_id` and `practice_id` add nothing a line cannot
prove, yet cost PostgreSQL a trigger check each per inserted row (a bare COPY of 84,502 rows:
7.7 s with them, 6.2 s without, under load 16 on 2 cores). That a row's claim and practice are
its line's is checked after every step of the posting invariant (tests/invariants).
"""

from __future__ import annotations

from alembic import op

from gateway.db.migration_support import foreign_keys_off_on_sqlite

revision = "0251_ledger_implied_fks"
down_revision = "0250_posting_duplicate_payment"
branch_labels = None
depends_on = None

DROPPED = (
    ("fk_ledger_entries_claim_id_claims", "claim_id", "claims"),
    ("fk_ledger_entries_practice_id_practices", "practice_id", "practices"),
)


def upgrade() -> None:
    # SQLite rebuilds ledger_entries to drop a key
    with foreign_keys_off_on_sqlite(), op.batch_alter_table("ledger_entries") as batch:
        for name, _column, _target in DROPPED:
            batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with foreign_keys_off_on_sqlite(), op.batch_alter_table("ledger_entries") as batch:
        for name, column, target in DROPPED:
            batch.create_foreign_key(name, target, [column], ["id"])
