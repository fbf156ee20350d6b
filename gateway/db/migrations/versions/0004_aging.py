"""aging: snapshots of imported aging files and their rows

Revision ID: 0004_aging
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_aging'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('aging_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('imported_file_id', sa.Integer(), nullable=False),
    sa.Column('vendor', sa.String(length=40), nullable=False),
    sa.Column('grain', sa.String(length=20), nullable=False),
    sa.Column('export_date', sa.Date(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('balance_total', sa.BigInteger(), nullable=False),
    sa.Column('claims_created', sa.Integer(), nullable=False),
    sa.Column('claims_updated', sa.Integer(), nullable=False),
    sa.Column('claims_completed', sa.Integer(), nullable=False),
    sa.Column('claims_reopened', sa.Integer(), nullable=False),
    sa.Column('payers_added', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['imported_file_id'], ['imported_files.id'], name=op.f('fk_aging_snapshots_imported_file_id_imported_files')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_aging_snapshots_location_id_locations')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_aging_snapshots_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aging_snapshots')),
    sa.UniqueConstraint('imported_file_id', name=op.f('uq_aging_snapshots_imported_file_id'))
    )
    with op.batch_alter_table('aging_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_aging_snapshots_location_export', ['location_id', 'export_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_aging_snapshots_practice_id'), ['practice_id'], unique=False)

    op.create_table('aging_snapshot_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('source_row', sa.Integer(), nullable=False),
    sa.Column('source_claim_id', sa.String(length=80), nullable=False),
    sa.Column('payer_rank', sa.Integer(), nullable=False),
    sa.Column('billed', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('bucket_0_30', sa.BigInteger(), nullable=False),
    sa.Column('bucket_31_60', sa.BigInteger(), nullable=False),
    sa.Column('bucket_61_90', sa.BigInteger(), nullable=False),
    sa.Column('bucket_91_120', sa.BigInteger(), nullable=False),
    sa.Column('bucket_120_plus', sa.BigInteger(), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_aging_snapshot_items_claim_id_claims')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['aging_snapshots.id'], name=op.f('fk_aging_snapshot_items_snapshot_id_aging_snapshots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aging_snapshot_items'))
    )
    with op.batch_alter_table('aging_snapshot_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aging_snapshot_items_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aging_snapshot_items_snapshot_id'), ['snapshot_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('aging_snapshot_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aging_snapshot_items_snapshot_id'))
        batch_op.drop_index(batch_op.f('ix_aging_snapshot_items_claim_id'))

    op.drop_table('aging_snapshot_items')
    with op.batch_alter_table('aging_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aging_snapshots_practice_id'))
        batch_op.drop_index('ix_aging_snapshots_location_export')

    op.drop_table('aging_snapshots')
