"""jobs

Revision ID: 0002_jobs
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0002_jobs'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('job_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=True),
    sa.Column('pattern', sa.String(length=20), nullable=False),
    sa.Column('every', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('time_of_day', sa.Time(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['connector_id'], ['connectors.id'], name=op.f('fk_job_definitions_connector_id_connectors')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_job_definitions_practice_id_practices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_definitions')),
    sa.UniqueConstraint('practice_id', 'name', name=op.f('uq_job_definitions_practice_id_name'))
    )
    with op.batch_alter_table('job_definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_definitions_practice_id'), ['practice_id'], unique=False)

    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('fire_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('node', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['job_definitions.id'], name=op.f('fk_job_runs_job_id_job_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('job_id', 'fire_time', name=op.f('uq_job_runs_job_id_fire_time'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_job_id'), ['job_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_job_id'))

    op.drop_table('job_runs')
    with op.batch_alter_table('job_definitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_definitions_practice_id'))

    op.drop_table('job_definitions')
    
