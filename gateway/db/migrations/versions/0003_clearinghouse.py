"""clearinghouse: stored file contents, claim batches, acknowledgments, control numbers

Revision ID: 0003_clearinghouse
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_clearinghouse'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('control_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_control_numbers_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_control_numbers')),
    sa.UniqueConstraint('practice_id', 'kind', name=op.f('uq_control_numbers_practice_id_kind'))
    )
    op.create_table('claim_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('interchange_control_number', sa.String(length=9), nullable=False),
    sa.Column('group_control_number', sa.String(length=9), nullable=False),
    sa.Column('transaction_control_number', sa.String(length=9), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('claim_count', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('remote_name', sa.String(length=400), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['connector_id'], ['connectors.id'], name=op.f('fk_claim_batches_connector_id_connectors')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_claim_batches_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_batches')),
    sa.UniqueConstraint('practice_id', 'interchange_control_number', name=op.f('uq_claim_batches_practice_id_interchange_control_number')),
    sa.UniqueConstraint('practice_id', 'name', name=op.f('uq_claim_batches_practice_id_name'))
    )
    with op.batch_alter_table('claim_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_batches_group_control_number'), ['group_control_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_batches_practice_id'), ['practice_id'], unique=False)

    op.create_table('acknowledgments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('imported_file_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['claim_batches.id'], name=op.f('fk_acknowledgments_batch_id_claim_batches')),
    sa.ForeignKeyConstraint(['imported_file_id'], ['imported_files.id'], name=op.f('fk_acknowledgments_imported_file_id_imported_files')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_acknowledgments_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acknowledgments')),
    sa.UniqueConstraint('imported_file_id', 'batch_id', 'kind', name=op.f('uq_acknowledgments_imported_file_id_batch_id_kind'))
    )
    with op.batch_alter_table('acknowledgments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acknowledgments_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acknowledgments_imported_file_id'), ['imported_file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acknowledgments_practice_id'), ['practice_id'], unique=False)

    op.create_table('imported_file_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('imported_file_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['imported_file_id'], ['imported_files.id'], name=op.f('fk_imported_file_chunks_imported_file_id_imported_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_file_chunks')),
    sa.UniqueConstraint('imported_file_id', 'seq', name=op.f('uq_imported_file_chunks_imported_file_id_seq'))
    )
    with op.batch_alter_table('imported_file_chunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imported_file_chunks_imported_file_id'), ['imported_file_id'], unique=False)

    op.create_table('claim_batch_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('patient_control_number', sa.String(length=38), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['claim_batches.id'], name=op.f('fk_claim_batch_claims_batch_id_claim_batches')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_batch_claims_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_batch_claims')),
    sa.UniqueConstraint('batch_id', 'claim_id', name=op.f('uq_claim_batch_claims_batch_id_claim_id'))
    )
    with op.batch_alter_table('claim_batch_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_batch_claims_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_batch_claims_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_batch_claims_patient_control_number'), ['patient_control_number'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('claim_batch_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_batch_claims_patient_control_number'))
        batch_op.drop_index(batch_op.f('ix_claim_batch_claims_claim_id'))
        batch_op.drop_index(batch_op.f('ix_claim_batch_claims_batch_id'))

    op.drop_table('claim_batch_claims')
    with op.batch_alter_table('imported_file_chunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imported_file_chunks_imported_file_id'))

    op.drop_table('imported_file_chunks')
    with op.batch_alter_table('acknowledgments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acknowledgments_practice_id'))
        batch_op.drop_index(batch_op.f('ix_acknowledgments_imported_file_id'))
        batch_op.drop_index(batch_op.f('ix_acknowledgments_batch_id'))

    op.drop_table('acknowledgments')
    with op.batch_alter_table('claim_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_batches_practice_id'))
        batch_op.drop_index(batch_op.f('ix_claim_batches_group_control_number'))

    op.drop_table('claim_batches')
    op.drop_table('control_numbers')
