"""receipts vocabulary: CHECK constraints on receipt status, behaviour, method, source and
hold_set_by, receipt type behaviour and receipt message status

Revision ID: 0020_receipts_vocabulary
Revises: 0006_receipts

The values are frozen here (a migration must not change when the code does): a later
migration that adds a value drops and re-creates the constraint. They are the members of
`gateway.receipts.enums` at this revision; tests/receipts/test_vocabulary.py checks they agree.
"""

from __future__ import annotations

from alembic import op

from gateway.db.migration_support import foreign_keys_off_on_sqlite

revision = "0020_receipts_vocabulary"
down_revision = "0006_receipts"
branch_labels = None
depends_on = None

STATUSES = ("New", "Hold", "Completed", "Error", "Reversed", "Ignore")
BEHAVIOURS = ("copay", "coinsurance", "deductible", "general", "prepay")
METHODS = ("cash", "check", "card", "ach", "other")
SOURCES = ("front_desk", "online_portal", "intake", "statement_epayment", "import")
HOLD_SET_BY = ("engine", "user")

# table -> (column, values, nullable)
CHECKS: dict[str, tuple[tuple[str, tuple[str, ...], bool], ...]] = {
    "receipt_types": (("behaviour", BEHAVIOURS, False),),
    "receipts": (
        ("status", STATUSES, False),
        ("behaviour", BEHAVIOURS, False),
        ("method", METHODS, False),
        ("source", SOURCES, False),
        ("hold_set_by", HOLD_SET_BY, True),
    ),
    "receipt_messages": (("status", STATUSES, False),),
}


def _sql(column: str, values: tuple[str, ...], nullable: bool) -> str:
    check = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {check}" if nullable else check


def upgrade() -> None:
    with foreign_keys_off_on_sqlite():
        for table, checks in CHECKS.items():
            with op.batch_alter_table(table) as batch:
                for column, values, nullable in checks:
                    batch.create_check_constraint(op.f(f"ck_{table}_{column}"),
                                                  _sql(column, values, nullable))


def downgrade() -> None:
    with foreign_keys_off_on_sqlite():
        for table, checks in reversed(CHECKS.items()):
            with op.batch_alter_table(table) as batch:
                for column, _values, _nullable in reversed(checks):
                    batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
