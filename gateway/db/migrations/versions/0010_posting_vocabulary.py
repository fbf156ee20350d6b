"""posting vocabulary: CHECK constraints on error type / level / resolution and deposit statuses

Revision ID: 0010_posting_vocabulary
Revises: 0005_posting

The values are frozen here (a migration must not change when the code does): a later
migration that adds an error type drops and re-creates `ck_posting_errors_type`.
"""

from __future__ import annotations

from alembic import op

from gateway.db.migration_support import foreign_keys_off_on_sqlite

revision = "0010_posting_vocabulary"
down_revision = "0005_posting"
branch_labels = None
depends_on = None

ERROR_TYPES = (
    "Debit ERA", "Invalid Handling Code", "Duplicate Deposit", "Payer Mismatch",
    "Missing Check/Trace Number", "Deposit Does Not Balance", "Claim Not Found",
    "Carrier Payment Mismatch", "Claim-Level Adjustment Found", "Posting Does Not Match Payment",
    "Procedure Code Conflict", "Missing Payment Type", "Payment Exceeds Open Balance",
    "Negative Line Payment",
)
LEVELS = ("deposit", "claim", "procedure")
RESOLUTIONS = (
    "ignore", "exclude", "link_payer", "set_trace", "link_claim", "allocate", "link_procedure",
    "payment_type", "excluded", "cleared", "deposit_ignored",
)
DEPOSIT_STATUSES = ("New", "Ignore", "Sent to Posting")
POSTED_STATUSES = ("Not Disbursed", "Being Disbursed", "Disbursed", "Disbursed with Credits")
CLAIM_STATES = ("pending", "posted", "error", "excluded")

CHECKS = (
    ("posting_errors", "level", LEVELS, False),
    ("posting_errors", "type", ERROR_TYPES, False),
    ("posting_errors", "resolution", RESOLUTIONS, True),
    ("deposits", "status", DEPOSIT_STATUSES, False),
    ("deposits", "posted_status", POSTED_STATUSES, False),
    ("deposit_claims", "state", CLAIM_STATES, False),
)


def _sql(column: str, values: tuple[str, ...], nullable: bool) -> str:
    check = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {check}" if nullable else check


def upgrade() -> None:
    # SQLite rebuilds each table to add a CHECK: deposits are referenced by their claims
    with foreign_keys_off_on_sqlite():
        for table, column, values, nullable in CHECKS:
            with op.batch_alter_table(table) as batch:
                batch.create_check_constraint(
                    op.f(f"ck_{table}_{column}"), _sql(column, values, nullable)
                )


def downgrade() -> None:
    with foreign_keys_off_on_sqlite():
        for table, column, _values, _nullable in reversed(CHECKS):
            with op.batch_alter_table(table) as batch:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
