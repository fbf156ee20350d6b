"""posting: claim payment fingerprints, so a unique key decides a repeated adjudication

Revision ID: 0370_claim_payment_fingerprints
Revises: 0251_ledger_implied_fks

One row per posted claim (the digest of its adjudication, `gateway.posting.fingerprints`):
two processes posting the same adjudication from different deposits at once both pass the
Duplicate Claim Payment check, and the unique key on (claim_id, fingerprint) decides which
one posts (issue 16 follow-up). Postings made before this revision keep being found by the
check itself; only new ones carry a row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0370_claim_payment_fingerprints"
down_revision = "0251_ledger_implied_fks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_payment_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("deposit_claim_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deposit_claim_id"], ["deposit_claims.id"], ondelete="CASCADE",
            name=op.f("fk_claim_payment_fingerprints_deposit_claim_id_deposit_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_payment_fingerprints")),
        sa.UniqueConstraint("claim_id", "fingerprint",
                            name=op.f("uq_claim_payment_fingerprints_claim_id_fingerprint")),
    )
    op.create_index(op.f("ix_claim_payment_fingerprints_deposit_claim_id"),
                    "claim_payment_fingerprints", ["deposit_claim_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_claim_payment_fingerprints_deposit_claim_id"),
                  table_name="claim_payment_fingerprints")
    op.drop_table("claim_payment_fingerprints")
