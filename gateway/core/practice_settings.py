"""A practice's settings, with the defaults a new practice gets.

Stored as JSON on the practice row and decoded into this Struct, so every setting has a type,
a default, and one place where it is documented. Issues that add behaviour add fields here.
"""

from __future__ import annotations

from typing import Literal

import msgspec


class PracticeSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Posting: -1 never, 0 at once, n days after the deposit date.
    auto_post_eras_delay_days: int = -1
    auto_post_eras_payer_overrides: dict[str, int] = {}
    # Receipts
    copay_hold_days: int = 3
    credit_receipt_hold_days: int = 30
    credit_receipt_claim_status: str = "Credit Balance"
    disbursement_order: Literal["oldest_first", "newest_first", "highest_balance_first"] = (
        "oldest_first"
    )
    copays_limited_to_copay_procedures: bool = False
    copays_across_procedures: bool = False
    # Receipts: claim statuses that count as "at statement level" for general payments, and
    # claim statuses the receipt engine never associates a payment with by itself. "Patient
    # Balance" is where posting leaves a claim a payer paid with the rest the patient's
    # (gateway.posting.rules.DEFAULT_STATUS_RULES, outcome no_insurance), so a patient's
    # payment after an ERA finds it out of the box.
    receipt_statement_statuses: list[str] = msgspec.field(
        default_factory=lambda: ["Statement", "Patient Statement", "Patient Balance"]
    )
    receipt_skip_auto_association_statuses: list[str] = []
    # Statement ePayments (Data Media): post Settled payments through the receipt engine at
    # once (off: they wait as unprocessed receipts for manual posting); post Posted ones too;
    # require the payment's statement to be one the gateway knows, of the same patient.
    statement_payments_auto_post: bool = True
    statement_payments_post_posted: bool = False
    statement_payments_check_statement: bool = True
    # Jobs (a connector's balance sync is timed by its own `balances.schedule`)
    timezone: str = "America/New_York"


def decode_settings(raw: dict | None) -> PracticeSettings:
    """Settings from their stored JSON; unknown keys from older versions are dropped."""
    known = {f for f in PracticeSettings.__struct_fields__}
    return msgspec.convert({k: v for k, v in (raw or {}).items() if k in known}, PracticeSettings)


def encode_settings(settings: PracticeSettings) -> dict:
    return msgspec.to_builtins(settings)
