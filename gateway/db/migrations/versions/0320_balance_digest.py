"""balances: each sync keeps the fingerprint digest of the open accounts it left, so an
unchanged export in a new file is recognised without comparing it line by line

Revision ID: 0320_balance_digest
Revises: 0200_balance_fingerprints
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0320_balance_digest"
down_revision = "0200_balance_fingerprints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("balance_syncs") as batch:
        batch.add_column(sa.Column("digest", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("balance_syncs") as batch:
        batch.drop_column("digest")
