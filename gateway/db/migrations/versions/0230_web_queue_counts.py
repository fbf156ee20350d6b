"""web: a covering index for the open-error counts every page's queue tabs and the dashboard
show (level and type of the open errors: an index-only scan instead of reading the rows)

Revision ID: 0230_web_queue_counts
Revises: 0060_web
"""

from __future__ import annotations

from alembic import op

revision = "0230_web_queue_counts"
down_revision = "0060_web"
branch_labels = None
depends_on = ("0010_posting_vocabulary",)


def upgrade() -> None:
    with op.batch_alter_table("posting_errors", schema=None) as batch_op:
        batch_op.create_index("ix_posting_errors_open_types",
                              ["practice_id", "resolved_at", "level", "type"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("posting_errors", schema=None) as batch_op:
        batch_op.drop_index("ix_posting_errors_open_types")
