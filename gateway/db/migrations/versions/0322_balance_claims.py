"""balances: per-claim detail of an account (when the export has it), on the account and on
each history row, so it is kept per sync like the amounts

Revision ID: 0322_balance_claims
Revises: 0321_balance_sync_setting
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0322_balance_claims"
down_revision = "0321_balance_sync_setting"
branch_labels = None
depends_on = None

TABLES = ("account_balances", "account_balance_history")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("claims", sa.JSON(), nullable=False,
                                       server_default="[]"))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("claims")
