"""web: page passwords on users, server-side sessions, sign-in attempts, EOB drafts

Revision ID: 0060_web
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0060_web'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=200), nullable=True))

    op.create_table('web_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_sessions_token_hash'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('web_signin_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_signin_attempts'))
    )
    with op.batch_alter_table('web_signin_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_web_signin_attempts_email_at', ['email', 'created_at'], unique=False)
        batch_op.create_index('ix_web_signin_attempts_address_at', ['address', 'created_at'], unique=False)

    op.create_table('web_eob_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_web_eob_drafts_practice_id_practices')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_eob_drafts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_eob_drafts'))
    )
    with op.batch_alter_table('web_eob_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_eob_drafts_practice_id'), ['practice_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_eob_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_eob_drafts_practice_id'))
    op.drop_table('web_eob_drafts')
    with op.batch_alter_table('web_signin_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_web_signin_attempts_address_at')
        batch_op.drop_index('ix_web_signin_attempts_email_at')
    op.drop_table('web_signin_attempts')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))
    op.drop_table('web_sessions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_hash')
