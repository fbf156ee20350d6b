"""claims: explicit billing state (unbilled / in_batch / billed / accepted / rejected), who
billed it, the rejection reason, and where the claim came from

Existing claims from aging exports (source_vendor set) are receivables the PMS already billed;
claims that went out in a gateway batch are billed by the gateway.

Revision ID: 0007_claim_billing
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.db.migration_support import foreign_keys_off_on_sqlite

revision = '0007_claim_billing'
down_revision = '0001_foundation'
branch_labels = None
depends_on = ('0003_clearinghouse',)

STATES = "('unbilled', 'in_batch', 'billed', 'accepted', 'rejected')"
ORIGINS = "('pms', 'aging', 'import', 'api', 'demo')"


def upgrade() -> None:
    with foreign_keys_off_on_sqlite(), op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('billing_state', sa.String(length=20),
                                   server_default='unbilled', nullable=False))
        batch.add_column(sa.Column('billed_by', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('billed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('rejection_reason', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('origin', sa.String(length=10), server_default='api',
                                   nullable=False))
        batch.create_check_constraint(op.f('ck_claims_billing_state'), f"billing_state IN {STATES}")
        batch.create_check_constraint(
            op.f('ck_claims_billed_by'), "billed_by IS NULL OR billed_by IN ('gateway', 'pms')")
        batch.create_check_constraint(op.f('ck_claims_origin'), f"origin IN {ORIGINS}")
        batch.create_index('ix_claims_practice_billing_state', ['practice_id', 'billing_state'])
        batch.create_index('ix_claims_practice_source_claim_id',
                           ['practice_id', 'source_claim_id'])
    op.execute("UPDATE claims SET billing_state = 'billed', billed_by = 'pms', origin = 'aging' "
               "WHERE source_vendor IS NOT NULL")
    op.execute("UPDATE claims SET billing_state = 'billed', billed_by = 'gateway' "
               "WHERE billing_state = 'unbilled' AND id IN (SELECT claim_id FROM "
               "claim_batch_claims WHERE status IN ('submitted', 'accepted', 'pending'))")


def downgrade() -> None:
    with foreign_keys_off_on_sqlite(), op.batch_alter_table('claims') as batch:
        batch.drop_index('ix_claims_practice_source_claim_id')
        batch.drop_index('ix_claims_practice_billing_state')
        batch.drop_constraint(op.f('ck_claims_origin'), type_='check')
        batch.drop_constraint(op.f('ck_claims_billed_by'), type_='check')
        batch.drop_constraint(op.f('ck_claims_billing_state'), type_='check')
        batch.drop_column('origin')
        batch.drop_column('rejection_reason')
        batch.drop_column('billed_at')
        batch.drop_column('billed_by')
        batch.drop_column('billing_state')
