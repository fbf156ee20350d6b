"""balances: a fingerprint per account (the digest of the export line last applied), and the
line and held counts of each sync (an unchanged file answers with them)

Revision ID: 0200_balance_fingerprints
Revises: 0090_balances
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0200_balance_fingerprints"
down_revision = "0090_balances"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account_balances") as batch:
        batch.add_column(sa.Column("fingerprint", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("balance_syncs") as batch:
        batch.add_column(sa.Column("accounts", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("held", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("balance_syncs") as batch:
        batch.drop_column("held")
        batch.drop_column("accounts")
    with op.batch_alter_table("account_balances") as batch:
        batch.drop_column("fingerprint")
