"""paper claims: print batches (CMS-1500), and which payers take COB claims electronically

Revision ID: 0220_paper_claims
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0220_paper_claims"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepts_electronic_cob", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.create_table(
        "print_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("total_charge", sa.BigInteger(), nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["practice_id"], ["practices.id"],
                                name=op.f("fk_print_batches_practice_id_practices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_batches")),
        sa.UniqueConstraint("practice_id", "name",
                            name=op.f("uq_print_batches_practice_id_name")),
    )
    with op.batch_alter_table("print_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_batches_practice_id"), ["practice_id"],
                              unique=False)
    op.create_table(
        "print_batch_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["print_batches.id"],
                                name=op.f("fk_print_batch_claims_batch_id_print_batches")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"],
                                name=op.f("fk_print_batch_claims_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_batch_claims")),
        sa.UniqueConstraint("batch_id", "claim_id",
                            name=op.f("uq_print_batch_claims_batch_id_claim_id")),
    )
    with op.batch_alter_table("print_batch_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_batch_claims_batch_id"), ["batch_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_print_batch_claims_claim_id"), ["claim_id"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("print_batch_claims")
    op.drop_table("print_batches")
    with op.batch_alter_table("payers", schema=None) as batch_op:
        batch_op.drop_column("accepts_electronic_cob")
