"""X12 835 codes in words, for the human-readable ERA view (presentation only: the posting
rules decide what a code does, this only says what it is called)."""

from __future__ import annotations

GROUPS = {
    "CO": "Contractual obligation", "PR": "Patient responsibility", "OA": "Other adjustment",
    "PI": "Payer initiated reduction", "CR": "Correction and reversal",
    "SL": "Service line (keyed in)", "PLB": "Provider-level adjustment",
}
CLAIM_STATUS = {
    "1": "Processed as primary", "2": "Processed as secondary", "3": "Processed as tertiary",
    "4": "Denied", "19": "Processed as primary, forwarded to another payer",
    "20": "Processed as secondary, forwarded to another payer",
    "21": "Processed as tertiary, forwarded to another payer", "22": "Reversal of previous payment",
    "23": "Not our claim, forwarded to another payer", "25": "Predetermination pricing only",
}
REASONS = {
    "1": "Deductible", "2": "Coinsurance", "3": "Co-payment",
    "4": "Procedure code inconsistent with the modifier", "16": "Claim lacks information",
    "18": "Duplicate claim or service", "22": "Covered by another payer (coordination of benefits)",
    "23": "Impact of prior payer adjudication", "24": "Covered under a capitation agreement",
    "27": "Expenses incurred after coverage terminated", "29": "Time limit for filing expired",
    "31": "Patient cannot be identified as our insured", "45": "Charge exceeds fee schedule",
    "50": "Not medically necessary", "59": "Multiple or concurrent procedure rules",
    "96": "Non-covered charge", "97": "Included in another service (bundled)",
    "109": "Not covered by this payer", "197": "Precertification absent",
    "204": "Not covered under the patient's benefit plan", "242": "Services not provided by "
    "network providers", "253": "Sequestration",
}


def adjustment_words(group: str, reason: str) -> str:
    """'CO-45' -> 'Contractual obligation: Charge exceeds fee schedule'."""
    g = GROUPS.get(group, group)
    r = REASONS.get(reason, f"reason {reason}")
    return f"{g}: {r}"


def claim_status_words(code: str) -> str:
    return CLAIM_STATUS.get(code, f"status {code}")
