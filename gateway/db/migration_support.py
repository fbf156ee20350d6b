"""Helpers for migration files (one copy, so every domain's migrations do the same).

`foreign_keys_off_on_sqlite()`: SQLite adds or drops a CHECK (and most other constraints) by
re-creating the table (Alembic batch mode). Dropping the old table runs an implicit DELETE,
which fails with foreign keys on (even deferred) as soon as another table's rows point at it:
`receipts` once applications exist, `deposits` once deposit claims do, `claims` always. The
pragma only changes outside a transaction, so the work of the migrations before is committed
first; afterwards every reference is checked (PRAGMA foreign_key_check) and the rebuild is
committed before foreign keys are back on. On PostgreSQL it does nothing.

    with foreign_keys_off_on_sqlite():
        with op.batch_alter_table("receipts") as batch:
            batch.create_check_constraint(op.f("ck_receipts_status"), "status IN (...)")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op


@contextmanager
def foreign_keys_off_on_sqlite() -> Iterator[None]:
    """Run the block with SQLite's foreign keys off (see the module docstring)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    dbapi = bind.connection.dbapi_connection
    assert dbapi is not None
    dbapi.commit()
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:  # pragma: no cover - a batch rebuild keeps every row and id
            raise RuntimeError(f"foreign keys broken by a table rebuild: {broken[:5]}")
        dbapi.commit()
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
