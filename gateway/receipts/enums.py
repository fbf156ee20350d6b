"""The receipt vocabulary as types: statuses, behaviours, methods, sources, who set a hold.

Each is a StrEnum (its members are the strings stored and shown), stored through
`gateway.db.strenum.StrEnumType` and guarded by a CHECK constraint (migration
0020_receipts_vocabulary). Code compares and assigns members, never retyped literals.
"""

from __future__ import annotations

from enum import StrEnum


class ReceiptStatus(StrEnum):
    NEW = "New"
    HOLD = "Hold"
    COMPLETED = "Completed"
    ERROR = "Error"
    REVERSED = "Reversed"
    IGNORE = "Ignore"


class Behaviour(StrEnum):
    """What the engine does with a receipt; every receipt type follows one."""

    COPAY = "copay"
    COINSURANCE = "coinsurance"
    DEDUCTIBLE = "deductible"
    GENERAL = "general"
    PREPAY = "prepay"


class Method(StrEnum):
    CASH = "cash"
    CHECK = "check"
    CARD = "card"
    ACH = "ach"
    OTHER = "other"


class Source(StrEnum):
    FRONT_DESK = "front_desk"
    ONLINE_PORTAL = "online_portal"
    INTAKE = "intake"
    STATEMENT_EPAYMENT = "statement_epayment"
    IMPORT = "import"


class HoldSetBy(StrEnum):
    """"engine": re-examined every night; "user": a biller's hold, waited for."""

    ENGINE = "engine"
    USER = "user"


# Statuses the engine works on; every other status is skipped by reconciliation.
WORKABLE: tuple[ReceiptStatus, ...] = (ReceiptStatus.NEW, ReceiptStatus.HOLD)
# Statuses a biller may move receipts among with a bulk status change (and hold from).
BULK_STATUSES: tuple[ReceiptStatus, ...] = (
    ReceiptStatus.NEW, ReceiptStatus.HOLD, ReceiptStatus.IGNORE, ReceiptStatus.ERROR,
)
# Statuses a biller may apply by hand from.
APPLICABLE: tuple[ReceiptStatus, ...] = (
    ReceiptStatus.NEW, ReceiptStatus.HOLD, ReceiptStatus.ERROR,
)
