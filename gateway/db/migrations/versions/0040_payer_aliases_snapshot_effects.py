"""payer aliases (what an ERA or aging export called a practice's payer, once linked), and
what each aging snapshot did to claims so a wrong snapshot can be removed

Revision ID: 0040_payer_aliases
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0040_payer_aliases'
down_revision = '0001_foundation'
branch_labels = None
depends_on = ('0004_aging',)


def upgrade() -> None:
    op.create_table(
        'payer_aliases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('alias', sa.String(length=200), nullable=False),
        sa.Column('payer_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.CheckConstraint("kind IN ('era_payer_id', 'era_name', 'aging_name')",
                           name=op.f('ck_payer_aliases_kind')),
        sa.ForeignKeyConstraint(['payer_id'], ['payers.id'],
                                name=op.f('fk_payer_aliases_payer_id_payers')),
        sa.ForeignKeyConstraint(['practice_id'], ['practices.id'],
                                name=op.f('fk_payer_aliases_practice_id_practices')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payer_aliases')),
        sa.UniqueConstraint('practice_id', 'kind', 'alias',
                            name=op.f('uq_payer_aliases_practice_id_kind_alias')),
    )
    op.create_index(op.f('ix_payer_aliases_payer_id'), 'payer_aliases', ['payer_id'])
    with op.batch_alter_table('aging_snapshots') as batch:
        batch.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'aging_snapshot_effects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('snapshot_id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('effect', sa.String(length=20), nullable=False),
        sa.Column('previous', sa.JSON(), nullable=False),
        sa.CheckConstraint("effect IN ('created', 'completed', 'reopened', 'payer_changed')",
                           name=op.f('ck_aging_snapshot_effects_effect')),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_aging_snapshot_effects_claim_id_claims')),
        sa.ForeignKeyConstraint(['snapshot_id'], ['aging_snapshots.id'],
                                name=op.f('fk_aging_snapshot_effects_snapshot_id_aging_snapshots')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aging_snapshot_effects')),
        sa.UniqueConstraint('snapshot_id', 'claim_id', 'effect',
                            name=op.f('uq_aging_snapshot_effects_snapshot_id_claim_id_effect')),
    )
    op.create_index(op.f('ix_aging_snapshot_effects_snapshot_id'), 'aging_snapshot_effects',
                    ['snapshot_id'])
    op.create_index(op.f('ix_aging_snapshot_effects_claim_id'), 'aging_snapshot_effects',
                    ['claim_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_aging_snapshot_effects_claim_id'), table_name='aging_snapshot_effects')
    op.drop_index(op.f('ix_aging_snapshot_effects_snapshot_id'),
                  table_name='aging_snapshot_effects')
    op.drop_table('aging_snapshot_effects')
    with op.batch_alter_table('aging_snapshots') as batch:
        batch.drop_column('removed_at')
    op.drop_index(op.f('ix_payer_aliases_payer_id'), table_name='payer_aliases')
    op.drop_table('payer_aliases')
