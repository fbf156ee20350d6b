"""statements: statement ePayments, their status history, the statements they name

Revision ID: 0080_statements
Revises: 0006_receipts (depends on 0005_posting)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0080_statements'
down_revision = '0006_receipts'
branch_labels = None
depends_on = ('0005_posting',)


def upgrade() -> None:
    op.create_table('patient_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.String(length=80), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('statement_date', sa.Date(), nullable=True),
    sa.Column('amount_due', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_statements_patient_id_patients')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_patient_statements_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_statements')),
    sa.UniqueConstraint('practice_id', 'statement_id', name=op.f('uq_patient_statements_practice_id_statement_id'))
    )
    with op.batch_alter_table('patient_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_statements_patient_id'), ['patient_id'], unique=False)

    op.create_table('statement_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=True),
    sa.Column('transaction_id', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('patient_account', sa.String(length=80), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('statement_id', sa.String(length=80), nullable=True),
    sa.Column('invoice_number', sa.String(length=80), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('debit', sa.Boolean(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('settle_on', sa.Date(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.String(length=80), nullable=True),
    sa.Column('payer_name', sa.String(length=200), nullable=True),
    sa.Column('trace_number', sa.String(length=80), nullable=True),
    sa.Column('receipt_id', sa.Integer(), nullable=True),
    sa.Column('reversal_receipt_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['connector_id'], ['connectors.id'], name=op.f('fk_statement_payments_connector_id_connectors')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_statement_payments_patient_id_patients')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_statement_payments_practice_id_practices')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], name=op.f('fk_statement_payments_receipt_id_receipts')),
    sa.ForeignKeyConstraint(['reversal_receipt_id'], ['receipts.id'], name=op.f('fk_statement_payments_reversal_receipt_id_receipts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_payments')),
    sa.UniqueConstraint('practice_id', 'transaction_id', name=op.f('uq_statement_payments_practice_id_transaction_id'))
    )
    with op.batch_alter_table('statement_payments', schema=None) as batch_op:
        batch_op.create_index('ix_statement_payments_paid_on', ['practice_id', 'paid_on'], unique=False)
        batch_op.create_index('ix_statement_payments_queue', ['practice_id', 'state', 'reviewed_at'], unique=False)

    op.create_table('statement_payment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('statement_payment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('imported_file_id', sa.Integer(), nullable=True),
    sa.Column('file_row', sa.Integer(), nullable=True),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=True),
    sa.Column('deposit_amount', sa.BigInteger(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['deposit_id'], ['deposits.id'], name=op.f('fk_statement_payment_events_deposit_id_deposits')),
    sa.ForeignKeyConstraint(['imported_file_id'], ['imported_files.id'], name=op.f('fk_statement_payment_events_imported_file_id_imported_files')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_statement_payment_events_practice_id_practices')),
    sa.ForeignKeyConstraint(['statement_payment_id'], ['statement_payments.id'], name=op.f('fk_statement_payment_events_statement_payment_id_statement_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_payment_events')),
    sa.UniqueConstraint('statement_payment_id', 'status', name=op.f('uq_statement_payment_events_statement_payment_id_status'))
    )
    with op.batch_alter_table('statement_payment_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_payment_events_deposit_id'), ['deposit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_payment_events_statement_payment_id'), ['statement_payment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('statement_payment_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_payment_events_statement_payment_id'))
        batch_op.drop_index(batch_op.f('ix_statement_payment_events_deposit_id'))

    op.drop_table('statement_payment_events')
    with op.batch_alter_table('statement_payments', schema=None) as batch_op:
        batch_op.drop_index('ix_statement_payments_queue')
        batch_op.drop_index('ix_statement_payments_paid_on')

    op.drop_table('statement_payments')
    with op.batch_alter_table('patient_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_statements_patient_id'))

    op.drop_table('patient_statements')
