"""posting: deposits, deposit claims/procedures/adjustments, posting errors and rules

Revision ID: 0005_posting
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0005_posting'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('posting_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=True),
    sa.Column('payer_scope', sa.String(length=20), nullable=False),
    sa.Column('group_code', sa.String(length=4), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('payment_type', sa.String(length=30), nullable=True),
    sa.Column('denial', sa.Boolean(), nullable=False),
    sa.Column('claim_status', sa.String(length=60), nullable=True),
    sa.Column('claim_level', sa.String(length=30), nullable=True),
    sa.Column('claim_sub_status', sa.String(length=60), nullable=True),
    sa.Column('plb_action', sa.String(length=10), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['payer_id'], ['payers.id'], name=op.f('fk_posting_rules_payer_id_payers')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_posting_rules_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posting_rules')),
    sa.UniqueConstraint('practice_id', 'kind', 'payer_scope', 'group_code', 'code', 'outcome', name=op.f('uq_posting_rules_practice_id_kind_payer_scope_group_code_code_outcome'))
    )
    with op.batch_alter_table('posting_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posting_rules_practice_id'), ['practice_id'], unique=False)

    op.create_table('deposits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('posted_status', sa.String(length=30), nullable=False),
    sa.Column('deposit_date', sa.Date(), nullable=False),
    sa.Column('issued_date', sa.Date(), nullable=True),
    sa.Column('check_trace_id', sa.String(length=80), nullable=True),
    sa.Column('payer_id', sa.Integer(), nullable=True),
    sa.Column('era_payer_name', sa.String(length=200), nullable=True),
    sa.Column('era_payer_id', sa.String(length=80), nullable=True),
    sa.Column('payment_method', sa.String(length=10), nullable=True),
    sa.Column('payment_type', sa.String(length=30), nullable=True),
    sa.Column('handling_code', sa.String(length=2), nullable=True),
    sa.Column('credit_debit', sa.String(length=1), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('plb_total', sa.BigInteger(), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=True),
    sa.Column('imported_file_id', sa.Integer(), nullable=True),
    sa.Column('file_sequence', sa.Integer(), nullable=True),
    sa.Column('era_id', sa.String(length=80), nullable=True),
    sa.Column('file_name', sa.String(length=400), nullable=True),
    sa.Column('dedupe_key', sa.String(length=400), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['deposits.id'], name=op.f('fk_deposits_duplicate_of_id_deposits')),
    sa.ForeignKeyConstraint(['imported_file_id'], ['imported_files.id'], name=op.f('fk_deposits_imported_file_id_imported_files')),
    sa.ForeignKeyConstraint(['payer_id'], ['payers.id'], name=op.f('fk_deposits_payer_id_payers')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_deposits_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposits')),
    sa.UniqueConstraint('imported_file_id', 'file_sequence', name=op.f('uq_deposits_imported_file_id_file_sequence')),
    sa.UniqueConstraint('practice_id', 'dedupe_key', name=op.f('uq_deposits_practice_id_dedupe_key'))
    )
    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.create_index('ix_deposits_practice_date', ['practice_id', 'deposit_date'], unique=False)

    op.create_table('deposit_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('claim_xref', sa.String(length=38), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('match_method', sa.String(length=30), nullable=True),
    sa.Column('payer_claim_number', sa.String(length=50), nullable=True),
    sa.Column('remit_status', sa.String(length=4), nullable=False),
    sa.Column('frequency_code', sa.String(length=2), nullable=True),
    sa.Column('charged', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), nullable=False),
    sa.Column('patient_responsibility', sa.BigInteger(), nullable=False),
    sa.Column('allowed', sa.BigInteger(), nullable=True),
    sa.Column('deductible', sa.BigInteger(), nullable=False),
    sa.Column('coinsurance', sa.BigInteger(), nullable=False),
    sa.Column('copay', sa.BigInteger(), nullable=False),
    sa.Column('adjustments', sa.BigInteger(), nullable=False),
    sa.Column('denied', sa.BigInteger(), nullable=False),
    sa.Column('information', sa.BigInteger(), nullable=False),
    sa.Column('excluded', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('credit', sa.Boolean(), nullable=False),
    sa.Column('patient_last_name', sa.String(length=100), nullable=True),
    sa.Column('patient_first_name', sa.String(length=100), nullable=True),
    sa.Column('member_id', sa.String(length=80), nullable=True),
    sa.Column('service_date', sa.Date(), nullable=True),
    sa.Column('crossover_payer_name', sa.String(length=200), nullable=True),
    sa.Column('crossover_payer_id', sa.String(length=80), nullable=True),
    sa.Column('result_level', sa.String(length=30), nullable=True),
    sa.Column('result_status', sa.String(length=60), nullable=True),
    sa.Column('result_sub_status', sa.String(length=60), nullable=True),
    sa.Column('prior_state', sa.JSON(), nullable=True),
    sa.Column('overrides', sa.JSON(), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('reversed_by_id', sa.Integer(), nullable=True),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_deposit_claims_claim_id_claims')),
    sa.ForeignKeyConstraint(['deposit_id'], ['deposits.id'], name=op.f('fk_deposit_claims_deposit_id_deposits')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_deposit_claims_practice_id_practices')),
    sa.ForeignKeyConstraint(['reversed_by_id'], ['deposit_claims.id'], name=op.f('fk_deposit_claims_reversed_by_id_deposit_claims')),
    sa.ForeignKeyConstraint(['reverses_id'], ['deposit_claims.id'], name=op.f('fk_deposit_claims_reverses_id_deposit_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposit_claims')),
    sa.UniqueConstraint('deposit_id', 'sequence', name=op.f('uq_deposit_claims_deposit_id_sequence'))
    )
    with op.batch_alter_table('deposit_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposit_claims_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deposit_claims_deposit_id'), ['deposit_id'], unique=False)
        batch_op.create_index('ix_deposit_claims_payer_claim_number', ['practice_id', 'payer_claim_number'], unique=False)

    op.create_table('deposit_procedures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deposit_claim_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('procedure_code', sa.String(length=20), nullable=False),
    sa.Column('modifiers', sa.JSON(), nullable=False),
    sa.Column('original_code', sa.String(length=20), nullable=True),
    sa.Column('original_modifiers', sa.JSON(), nullable=False),
    sa.Column('units', sa.BigInteger(), nullable=True),
    sa.Column('charged', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), nullable=False),
    sa.Column('allowed', sa.BigInteger(), nullable=True),
    sa.Column('service_date', sa.Date(), nullable=True),
    sa.Column('line_control_number', sa.String(length=50), nullable=True),
    sa.Column('claim_line_id', sa.Integer(), nullable=True),
    sa.Column('excluded', sa.Boolean(), nullable=False),
    sa.Column('overrides', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['claim_line_id'], ['claim_lines.id'], name=op.f('fk_deposit_procedures_claim_line_id_claim_lines')),
    sa.ForeignKeyConstraint(['deposit_claim_id'], ['deposit_claims.id'], name=op.f('fk_deposit_procedures_deposit_claim_id_deposit_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposit_procedures')),
    sa.UniqueConstraint('deposit_claim_id', 'sequence', name=op.f('uq_deposit_procedures_deposit_claim_id_sequence'))
    )
    with op.batch_alter_table('deposit_procedures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposit_procedures_deposit_claim_id'), ['deposit_claim_id'], unique=False)

    op.create_table('deposit_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=False),
    sa.Column('deposit_claim_id', sa.Integer(), nullable=True),
    sa.Column('deposit_procedure_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('group_code', sa.String(length=4), nullable=False),
    sa.Column('reason', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=True),
    sa.Column('reference', sa.String(length=80), nullable=True),
    sa.Column('payment_type', sa.String(length=30), nullable=True),
    sa.Column('payment_type_source', sa.String(length=10), nullable=True),
    sa.Column('allocations', sa.JSON(), nullable=True),
    sa.Column('plb_claim_id', sa.Integer(), nullable=True),
    sa.Column('applied', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['deposit_claim_id'], ['deposit_claims.id'], name=op.f('fk_deposit_adjustments_deposit_claim_id_deposit_claims')),
    sa.ForeignKeyConstraint(['deposit_id'], ['deposits.id'], name=op.f('fk_deposit_adjustments_deposit_id_deposits')),
    sa.ForeignKeyConstraint(['deposit_procedure_id'], ['deposit_procedures.id'], name=op.f('fk_deposit_adjustments_deposit_procedure_id_deposit_procedures')),
    sa.ForeignKeyConstraint(['plb_claim_id'], ['claims.id'], name=op.f('fk_deposit_adjustments_plb_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposit_adjustments'))
    )
    with op.batch_alter_table('deposit_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposit_adjustments_deposit_claim_id'), ['deposit_claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deposit_adjustments_deposit_id'), ['deposit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deposit_adjustments_deposit_procedure_id'), ['deposit_procedure_id'], unique=False)

    op.create_table('posting_errors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=False),
    sa.Column('deposit_claim_id', sa.Integer(), nullable=True),
    sa.Column('deposit_procedure_id', sa.Integer(), nullable=True),
    sa.Column('deposit_adjustment_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('type', sa.String(length=60), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=80), nullable=True),
    sa.Column('resolution', sa.String(length=40), nullable=True),
    sa.Column('resolution_detail', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['deposit_adjustment_id'], ['deposit_adjustments.id'], name=op.f('fk_posting_errors_deposit_adjustment_id_deposit_adjustments')),
    sa.ForeignKeyConstraint(['deposit_claim_id'], ['deposit_claims.id'], name=op.f('fk_posting_errors_deposit_claim_id_deposit_claims')),
    sa.ForeignKeyConstraint(['deposit_id'], ['deposits.id'], name=op.f('fk_posting_errors_deposit_id_deposits')),
    sa.ForeignKeyConstraint(['deposit_procedure_id'], ['deposit_procedures.id'], name=op.f('fk_posting_errors_deposit_procedure_id_deposit_procedures')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_posting_errors_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posting_errors'))
    )
    with op.batch_alter_table('posting_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posting_errors_deposit_claim_id'), ['deposit_claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posting_errors_deposit_id'), ['deposit_id'], unique=False)
        batch_op.create_index('ix_posting_errors_queue', ['practice_id', 'resolved_at', 'level'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('posting_errors', schema=None) as batch_op:
        batch_op.drop_index('ix_posting_errors_queue')
        batch_op.drop_index(batch_op.f('ix_posting_errors_deposit_id'))
        batch_op.drop_index(batch_op.f('ix_posting_errors_deposit_claim_id'))

    op.drop_table('posting_errors')
    with op.batch_alter_table('deposit_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deposit_adjustments_deposit_procedure_id'))
        batch_op.drop_index(batch_op.f('ix_deposit_adjustments_deposit_id'))
        batch_op.drop_index(batch_op.f('ix_deposit_adjustments_deposit_claim_id'))

    op.drop_table('deposit_adjustments')
    with op.batch_alter_table('deposit_procedures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deposit_procedures_deposit_claim_id'))

    op.drop_table('deposit_procedures')
    with op.batch_alter_table('deposit_claims', schema=None) as batch_op:
        batch_op.drop_index('ix_deposit_claims_payer_claim_number')
        batch_op.drop_index(batch_op.f('ix_deposit_claims_deposit_id'))
        batch_op.drop_index(batch_op.f('ix_deposit_claims_claim_id'))

    op.drop_table('deposit_claims')
    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.drop_index('ix_deposits_practice_date')

    op.drop_table('deposits')
    with op.batch_alter_table('posting_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_posting_rules_practice_id'))

    op.drop_table('posting_rules')
