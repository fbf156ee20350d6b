"""The receipt services in one place for callers (API, CLI, jobs, tests): each concept lives
in its own module and is re-exported here unchanged.

* `gateway.receipts.receipt_types`: built-in and practice-defined receipt types
* `gateway.receipts.recording`: record a receipt (method names, the dedupe key)
* `gateway.receipts.reconcile`: run the engine on selected receipts or the nightly run
* `gateway.receipts.actions`: change status, ignore, hold, apply by hand, reverse
* `gateway.receipts.search`: search, show, export
* `gateway.receipts.applications`: claim lines' patient balances, applications and their
  ledger rows (what reconciliation and apply by hand share)
* `gateway.receipts.importer`: the .xlsx import (uses the public functions above only)

Services never commit; the caller's transaction decides.
"""

from __future__ import annotations

from gateway.receipts.actions import apply_by_hand, change_status, hold, ignore, reverse
from gateway.receipts.applications import SOURCE_TYPE, applied_amounts, load_claims
from gateway.receipts.common import CHUNK, practice_today
from gateway.receipts.receipt_types import create_type, list_types, resolve_type, type_table
from gateway.receipts.reconcile import reconcile, reconcile_practice
from gateway.receipts.recording import (
    METHOD_ALIASES,
    NewReceipt,
    create_receipt,
    dedupe_key,
    normalize_method,
    record_many,
)
from gateway.receipts.search import EXPORT_COLUMNS, export_xlsx, search, show

__all__ = [
    "CHUNK", "EXPORT_COLUMNS", "METHOD_ALIASES", "SOURCE_TYPE", "NewReceipt", "applied_amounts",
    "apply_by_hand", "change_status", "create_receipt", "create_type", "dedupe_key",
    "export_xlsx", "hold", "ignore", "list_types", "load_claims", "normalize_method",
    "practice_today", "reconcile", "reconcile_practice", "record_many", "resolve_type", "reverse",
    "search",
    "show", "type_table",
]
