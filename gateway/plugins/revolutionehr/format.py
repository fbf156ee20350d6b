"""RevolutionEHR aging report exported as CSV: one row per open invoice.

Buckets 0-30, 31-60, 61-90, 90-120 (the 91-120 bucket, however it is labelled) and >120.
"""

from __future__ import annotations

from gateway.aging.profile import COMMON_OPTIONAL, Profile, merge_aliases

PROFILE = Profile(
    vendor="revolutionehr",
    report="Aging",
    grain="invoice",
    aliases=merge_aliases(
        {
            "claim_id": ("Invoice #", "Invoice ID", "Invoice", "Invoice No", "Invoice Number"),
            "patient_name": ("Patient", "Patient Name"),
            "patient_account": ("Patient ID", "Patient #", "Account #"),
            "patient_dob": ("DOB", "Date of Birth", "Birth Date"),
            "payer_name": ("Payer", "Payer Name", "Insurance", "Responsible Party"),
            "service_date": ("Service Date", "Invoice Date", "DOS", "Date of Service"),
            "location": ("Location", "Practice Location"),
            "status": ("Status", "Invoice Status"),
            "billed": ("Invoice Total", "Billed", "Charges"),
            "paid": ("Paid", "Payments"),
            "balance": ("Balance", "Invoice Balance", "Balance Due"),
            "bucket_0_30": ("0-30", "Current"),
            "bucket_31_60": ("31-60",),
            "bucket_61_90": ("61-90",),
            "bucket_91_120": ("90-120", "91-120"),
            "bucket_120_plus": (">120", "120+", "Over 120"),
        },
        COMMON_OPTIONAL,
    ),
    group_field=None,
    export_formats=("CSV",),
    notes=(
        "One row per open invoice; the invoice number is the claim id.",
        "\"Service Date\" is preferred; \"Invoice Date\" is used when there is no service date.",
        "\"90-120\" is the 91-120 bucket.",
        "Not grouped: every row names its payer.",
    ),
)


# --- balances export ---------------------------------------------------------------------

from gateway.balances.layout import BalanceLayout  # noqa: E402  # kept with its section

BALANCES = BalanceLayout(
    vendor="revolutionehr",
    report="Patient Balance Report",
    aliases={
        "account": ("Patient ID", "Patient #"),
        "location": ("Location",),
        "payer_name": ("Primary Payer", "Payer"),
        "total": ("Total Balance",),
        "patient_portion": ("Patient Responsibility",),
        "insurance_portion": ("Insurance Responsibility",),
        "insurance_estimate": ("Insurance Estimate",),
        "bucket_0_30": ("0-30",),
        "bucket_31_60": ("31-60",),
        "bucket_61_90": ("61-90",),
        "bucket_91_120": ("90-120", "91-120"),
        "bucket_120_plus": (">120", "120+"),
        "last_statement": ("Last Statement",),
        "last_payment": ("Last Payment",),
    },
    notes=(
        "CSV from the report download (HTTPS, bearer token) or a scheduled export to a folder.",
        "The 91-120 bucket is labelled 90-120.",
    ),
)
