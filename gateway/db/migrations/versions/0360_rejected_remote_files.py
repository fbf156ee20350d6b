"""imported files: the remote file's mtime, so a refused file is not downloaded again (#17)

Revision ID: 0360_rejected_remote_files
Revises: 0001_foundation

A fetched file that fails to import is recorded by hash and size (never stored whole); with
its remote mtime beside its name, the next poll skips it before download until its name, size
or mtime changes (`gateway.core.transport.base.REFUSED_BEFORE`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0360_rejected_remote_files"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("imported_files") as batch:
        batch.add_column(sa.Column("remote_mtime", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imported_files") as batch:
        batch.drop_column("remote_mtime")
