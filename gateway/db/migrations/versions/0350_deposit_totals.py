"""posting: a deposit's totals and counts stored on the deposit, backfilled from its rows
(issue 18, item 6: the lists read them instead of re-aggregating every claim per request)

Revision ID: 0350_deposit_totals
Revises: 0251_ledger_implied_fks

From here on `gateway.posting.deposit_totals` keeps them; the backfill below is the same sums
in SQL, frozen here (the balance-changing payment types as of this revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.db.migration_support import foreign_keys_off_on_sqlite

revision = "0350_deposit_totals"
down_revision = "0251_ledger_implied_fks"
branch_labels = None
depends_on = None

COUNTS = ("claim_count", "posted_claim_count", "open_error_count")
MONEY = ("payments_total", "exclusions_total", "adjustments_total")
BALANCE_TYPES = ("adjustment", "write_off")

BACKFILL = f"""
UPDATE deposits SET
  claim_count = (SELECT count(*) FROM deposit_claims dc WHERE dc.deposit_id = deposits.id),
  posted_claim_count = (SELECT count(*) FROM deposit_claims dc
                        WHERE dc.deposit_id = deposits.id AND dc.state = 'posted'),
  payments_total = (SELECT coalesce(sum(dc.paid), 0) FROM deposit_claims dc
                    WHERE dc.deposit_id = deposits.id AND NOT dc.excluded),
  exclusions_total = (SELECT coalesce(sum(dc.paid), 0) FROM deposit_claims dc
                      WHERE dc.deposit_id = deposits.id AND dc.excluded),
  adjustments_total = (
    SELECT coalesce(sum(a.amount), 0) FROM deposit_adjustments a
    JOIN deposit_claims dc ON dc.id = a.deposit_claim_id
    LEFT JOIN deposit_procedures p ON p.id = a.deposit_procedure_id
    WHERE a.deposit_id = deposits.id
      AND a.payment_type IN ({", ".join(repr(t) for t in BALANCE_TYPES)})
      AND NOT dc.excluded AND (p.id IS NULL OR NOT p.excluded)),
  open_error_count = (SELECT count(*) FROM posting_errors e
                      WHERE e.deposit_id = deposits.id AND e.resolved_at IS NULL)
"""


def upgrade() -> None:
    with op.batch_alter_table("deposits") as batch:
        for name in COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
        for name in MONEY:
            batch.add_column(sa.Column(name, sa.BigInteger(), server_default="0",
                                       nullable=False))
    op.execute(BACKFILL)


def downgrade() -> None:
    # SQLite rebuilds deposits to drop a column; other tables point at it
    with foreign_keys_off_on_sqlite(), op.batch_alter_table("deposits") as batch:
        for name in COUNTS + MONEY:
            batch.drop_column(name)
