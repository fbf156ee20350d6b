"""balances: the old `balance_sync` settings go; the connector's `balances.schedule` (daily at
`daily_at`, hourly every `every_hours`, or off) already makes its `sync_balances` job

Removes the practice setting and the connector config key of that name (neither was ever
read), and the practice default job "Sync balances daily" where it was never bound to a
connector nor run (nothing binds it: each connector's own job is made with the connector).

Revision ID: 0321_balance_sync_setting
Revises: 0320_balance_digest
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0321_balance_sync_setting"
down_revision = "0320_balance_digest"
branch_labels = None
depends_on = "0002_jobs"  # deletes from job_definitions and reads job_runs

_KEY = "balance_sync"


def _strip(table: str, column: str) -> None:
    t = sa.table(table, sa.column("id", sa.Integer()), sa.column(column, sa.JSON()))
    conn = op.get_bind()
    for row_id, value in conn.execute(sa.select(t.c.id, t.c[column])).all():
        if isinstance(value, dict) and _KEY in value:
            kept: dict[str, Any] = {k: v for k, v in value.items() if k != _KEY}
            conn.execute(t.update().where(t.c.id == row_id).values({column: kept}))


def upgrade() -> None:
    _strip("practices", "settings")
    _strip("connectors", "config")
    op.execute(sa.text(
        "DELETE FROM job_definitions WHERE kind = 'sync_balances' "
        "AND name = 'Sync balances daily' AND connector_id IS NULL AND enabled = :off "
        "AND NOT EXISTS (SELECT 1 FROM job_runs WHERE job_runs.job_id = job_definitions.id)"
    ).bindparams(off=False))


def downgrade() -> None:
    """Nothing to restore: the removed setting and job never did anything."""
