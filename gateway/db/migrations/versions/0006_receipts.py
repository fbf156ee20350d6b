"""receipts: receipts, their applications and messages, practice-defined receipt types

Revision ID: 0006_receipts
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0006_receipts'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('receipt_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('behaviour', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_receipt_types_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_types')),
    sa.UniqueConstraint('practice_id', 'name', name=op.f('uq_receipt_types_practice_id_name'))
    )
    with op.batch_alter_table('receipt_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_types_practice_id'), ['practice_id'], unique=False)

    op.create_table('receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('patient_account', sa.String(length=80), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('type_name', sa.String(length=60), nullable=False),
    sa.Column('behaviour', sa.String(length=20), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('check_number', sa.String(length=80), nullable=True),
    sa.Column('statement_id', sa.String(length=80), nullable=True),
    sa.Column('payer_name', sa.String(length=200), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('hold_until', sa.Date(), nullable=True),
    sa.Column('hold_set_by', sa.String(length=10), nullable=True),
    sa.Column('reversal_of_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_receipts_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_receipts_location_id_locations')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_receipts_patient_id_patients')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_receipts_practice_id_practices')),
    sa.ForeignKeyConstraint(['reversal_of_id'], ['receipts.id'], name=op.f('fk_receipts_reversal_of_id_receipts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts')),
    sa.UniqueConstraint('practice_id', 'dedupe_key', name=op.f('uq_receipts_practice_id_dedupe_key'))
    )
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipts_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_receipts_practice_received', ['practice_id', 'received_on'], unique=False)
        batch_op.create_index('ix_receipts_practice_status', ['practice_id', 'status'], unique=False)

    op.create_table('receipt_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('run_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], name=op.f('fk_receipt_messages_receipt_id_receipts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_messages'))
    )
    with op.batch_alter_table('receipt_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_messages_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('receipt_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('claim_line_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('credit', sa.Boolean(), nullable=False),
    sa.Column('applied_by', sa.String(length=80), nullable=False),
    sa.Column('previous_claim_status', sa.String(length=60), nullable=True),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_receipt_applications_claim_id_claims')),
    sa.ForeignKeyConstraint(['claim_line_id'], ['claim_lines.id'], name=op.f('fk_receipt_applications_claim_line_id_claim_lines')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_receipt_applications_practice_id_practices')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], name=op.f('fk_receipt_applications_receipt_id_receipts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_applications'))
    )
    with op.batch_alter_table('receipt_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_applications_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipt_applications_receipt_id'), ['receipt_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('receipt_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_applications_receipt_id'))
        batch_op.drop_index(batch_op.f('ix_receipt_applications_claim_id'))

    op.drop_table('receipt_applications')
    with op.batch_alter_table('receipt_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_messages_receipt_id'))

    op.drop_table('receipt_messages')
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_receipts_practice_status')
        batch_op.drop_index('ix_receipts_practice_received')
        batch_op.drop_index(batch_op.f('ix_receipts_patient_id'))

    op.drop_table('receipts')
    with op.batch_alter_table('receipt_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_types_practice_id'))

    op.drop_table('receipt_types')

