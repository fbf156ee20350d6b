"""posting: the "Duplicate Claim Payment" error type (a repeated adjudication, issue 16)

Revision ID: 0250_posting_duplicate_payment
Revises: 0010_posting_vocabulary

Widens `ck_posting_errors_type`; the values are frozen here, as in 0010.
"""

from __future__ import annotations

from alembic import op

from gateway.db.migration_support import foreign_keys_off_on_sqlite

revision = "0250_posting_duplicate_payment"
down_revision = "0010_posting_vocabulary"
branch_labels = None
depends_on = None

BEFORE = (
    "Debit ERA", "Invalid Handling Code", "Duplicate Deposit", "Payer Mismatch",
    "Missing Check/Trace Number", "Deposit Does Not Balance", "Claim Not Found",
    "Carrier Payment Mismatch", "Claim-Level Adjustment Found", "Posting Does Not Match Payment",
    "Procedure Code Conflict", "Missing Payment Type", "Payment Exceeds Open Balance",
    "Negative Line Payment",
)
ERROR_TYPES = (
    "Debit ERA", "Invalid Handling Code", "Duplicate Deposit", "Payer Mismatch",
    "Missing Check/Trace Number", "Deposit Does Not Balance", "Claim Not Found",
    "Carrier Payment Mismatch", "Claim-Level Adjustment Found", "Posting Does Not Match Payment",
    "Duplicate Claim Payment", "Procedure Code Conflict", "Missing Payment Type",
    "Payment Exceeds Open Balance", "Negative Line Payment",
)


def _check(values: tuple[str, ...]) -> str:
    return f"type IN ({', '.join(repr(v) for v in values)})"


def _replace(values: tuple[str, ...]) -> None:
    # SQLite rebuilds posting_errors to change a CHECK
    with foreign_keys_off_on_sqlite(), op.batch_alter_table("posting_errors") as batch:
        batch.drop_constraint(op.f("ck_posting_errors_type"), type_="check")
        batch.create_check_constraint(op.f("ck_posting_errors_type"), _check(values))


def upgrade() -> None:
    _replace(ERROR_TYPES)


def downgrade() -> None:
    op.execute("DELETE FROM posting_errors WHERE type = 'Duplicate Claim Payment'")
    _replace(BEFORE)
