"""A claim's billing state and origin, as types (the database holds their values, CHECKed).

The billing state is the one answer to "may this claim be sent to a payer?": only an
`unbilled` claim is ever batched. A claim the PMS already billed, or one that arrived as a
receivable in an aging export, is `billed` from the start and never batched by the gateway.
"""

from __future__ import annotations

from enum import StrEnum


class BillingState(StrEnum):
    UNBILLED = "unbilled"  # ready: the next Batch Claims run may take it
    IN_BATCH = "in_batch"  # in a built batch not yet sent
    BILLED = "billed"  # sent (by the gateway, or already by the PMS: see `billed_by`)
    ACCEPTED = "accepted"  # the clearinghouse or payer acknowledged it
    REJECTED = "rejected"  # refused (999 / 277CA); a biller corrects and releases it


class BilledBy(StrEnum):
    GATEWAY = "gateway"
    PMS = "pms"


class ClaimOrigin(StrEnum):
    """What brought the claim in."""

    PMS = "pms"  # a practice-data pull from the PMS
    AGING = "aging"  # an aging export upload
    IMPORT = "import"  # `gateway claims import` / a file
    API = "api"
    DEMO = "demo"


def sql_in(enum: type[StrEnum]) -> str:
    """The CHECK constraint text allowing exactly the enum's values."""
    return "IN (" + ", ".join(f"'{m.value}'" for m in enum) + ")"


# The sub-status a clearinghouse rejection leaves on the claim beside `billing_state=rejected`
# (billers' screens show it); releasing the claim clears it.
REJECTED_SUB_STATUS = "Rejected by clearinghouse"

# The workflow levels a claim may be at (the posting engine and receipts use these names).
CLAIM_LEVELS = ("Primary", "Secondary", "Tertiary", "Patient", "Statement")
