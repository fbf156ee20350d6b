"""balances: account balance snapshots, history per sync, manual edits, collection rules

Revision ID: 0090_balances
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0090_balances'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('collection_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_collection_rules_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_rules')),
    sa.UniqueConstraint('practice_id', 'name', name=op.f('uq_collection_rules_practice_id_name'))
    )
    with op.batch_alter_table('collection_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_rules_practice_id'), ['practice_id'], unique=False)

    op.create_table('balance_syncs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('totals', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['connector_id'], ['connectors.id'], name=op.f('fk_balance_syncs_connector_id_connectors')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_balance_syncs_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_balance_syncs')),
    sa.UniqueConstraint('connector_id', 'seq', name=op.f('uq_balance_syncs_connector_id_seq'))
    )
    with op.batch_alter_table('balance_syncs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_balance_syncs_practice_id'), ['practice_id'], unique=False)

    op.create_table('account_balances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=True),
    sa.Column('payer_name', sa.String(length=200), nullable=True),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('patient_portion', sa.BigInteger(), nullable=False),
    sa.Column('insurance_portion', sa.BigInteger(), nullable=False),
    sa.Column('insurance_estimate', sa.BigInteger(), nullable=False),
    sa.Column('bucket_0_30', sa.BigInteger(), nullable=False),
    sa.Column('bucket_31_60', sa.BigInteger(), nullable=False),
    sa.Column('bucket_61_90', sa.BigInteger(), nullable=False),
    sa.Column('bucket_91_120', sa.BigInteger(), nullable=False),
    sa.Column('bucket_120_plus', sa.BigInteger(), nullable=False),
    sa.Column('last_statement', sa.Date(), nullable=True),
    sa.Column('last_payment', sa.Date(), nullable=True),
    sa.Column('last_sync_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['connector_id'], ['connectors.id'], name=op.f('fk_account_balances_connector_id_connectors')),
    sa.ForeignKeyConstraint(['last_sync_id'], ['balance_syncs.id'], name=op.f('fk_account_balances_last_sync_id_balance_syncs')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_account_balances_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_balances')),
    sa.UniqueConstraint('connector_id', 'account', name=op.f('uq_account_balances_connector_id_account'))
    )
    with op.batch_alter_table('account_balances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_balances_practice_id'), ['practice_id'], unique=False)

    op.create_table('account_balance_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_balance_id', sa.Integer(), nullable=False),
    sa.Column('sync_id', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=10), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('patient_portion', sa.BigInteger(), nullable=False),
    sa.Column('insurance_portion', sa.BigInteger(), nullable=False),
    sa.Column('insurance_estimate', sa.BigInteger(), nullable=False),
    sa.Column('bucket_0_30', sa.BigInteger(), nullable=False),
    sa.Column('bucket_31_60', sa.BigInteger(), nullable=False),
    sa.Column('bucket_61_90', sa.BigInteger(), nullable=False),
    sa.Column('bucket_91_120', sa.BigInteger(), nullable=False),
    sa.Column('bucket_120_plus', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_balance_id'], ['account_balances.id'], name=op.f('fk_account_balance_history_account_balance_id_account_balances')),
    sa.ForeignKeyConstraint(['sync_id'], ['balance_syncs.id'], name=op.f('fk_account_balance_history_sync_id_balance_syncs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_balance_history')),
    sa.UniqueConstraint('account_balance_id', 'sync_id', name=op.f('uq_account_balance_history_account_balance_id_sync_id'))
    )
    with op.batch_alter_table('account_balance_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_balance_history_sync_id'), ['sync_id'], unique=False)

    op.create_table('balance_edits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('account_balance_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=30), nullable=False),
    sa.Column('synced_value', sa.BigInteger(), nullable=False),
    sa.Column('old_value', sa.BigInteger(), nullable=False),
    sa.Column('new_value', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('superseded_by_sync_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['account_balance_id'], ['account_balances.id'], name=op.f('fk_balance_edits_account_balance_id_account_balances')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_balance_edits_practice_id_practices')),
    sa.ForeignKeyConstraint(['superseded_by_sync_id'], ['balance_syncs.id'], name=op.f('fk_balance_edits_superseded_by_sync_id_balance_syncs')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_balance_edits_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_balance_edits'))
    )
    with op.batch_alter_table('balance_edits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_balance_edits_account_balance_id'), ['account_balance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_balance_edits_practice_id'), ['practice_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('balance_edits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_balance_edits_practice_id'))
        batch_op.drop_index(batch_op.f('ix_balance_edits_account_balance_id'))

    op.drop_table('balance_edits')
    with op.batch_alter_table('account_balance_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_balance_history_sync_id'))

    op.drop_table('account_balance_history')
    with op.batch_alter_table('account_balances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_balances_practice_id'))

    op.drop_table('account_balances')
    with op.batch_alter_table('balance_syncs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_balance_syncs_practice_id'))

    op.drop_table('balance_syncs')
    with op.batch_alter_table('collection_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_rules_practice_id'))

    op.drop_table('collection_rules')
