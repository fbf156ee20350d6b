"""batching: job schedules on rrule (weekly on chosen weekdays, monthly/yearly on a day)

Revision ID: 0100_batching
Revises: 0002_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100_batching"
down_revision = "0002_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weekdays", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("month_day", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_definitions", schema=None) as batch_op:
        batch_op.drop_column("month_day")
        batch_op.drop_column("weekdays")
