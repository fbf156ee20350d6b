"""reference batches: claims a biller holds out of Batch Claims while the batch is open

Revision ID: 0101_reference_batches
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0101_reference_batches"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["practice_id"], ["practices.id"],
                                name=op.f("fk_reference_batches_practice_id_practices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_batches")),
    )
    with op.batch_alter_table("reference_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reference_batches_practice_id"), ["practice_id"],
                              unique=False)
    op.create_table(
        "reference_batch_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["reference_batches.id"],
                                name=op.f("fk_reference_batch_claims_batch_id_reference_batches")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"],
                                name=op.f("fk_reference_batch_claims_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_batch_claims")),
        sa.UniqueConstraint("batch_id", "claim_id",
                            name=op.f("uq_reference_batch_claims_batch_id_claim_id")),
    )
    with op.batch_alter_table("reference_batch_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reference_batch_claims_batch_id"), ["batch_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_reference_batch_claims_claim_id"), ["claim_id"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("reference_batch_claims")
    op.drop_table("reference_batches")
