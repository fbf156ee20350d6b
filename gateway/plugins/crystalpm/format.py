"""Crystal PM "Insurance Receivable" report saved as CSV.

One row per claim. The file may start with report title lines (name, date range, practice)
before the header. An all-locations export carries a Location column: an upload to one location
imports only that location's rows. There are no aging-bucket columns: the bucket comes from
"Days Past" or, without it, from the date of service and the export date.
"""

from __future__ import annotations

from gateway.aging.profile import COMMON_OPTIONAL, Profile, merge_aliases

PROFILE = Profile(
    vendor="crystalpm",
    report="Insurance Receivable",
    grain="claim",
    aliases=merge_aliases(
        {
            "patient_name": ("Patient", "Patient Name"),
            "patient_account": ("Account", "Patient ID", "Account #", "Acct #", "Account No"),
            "patient_dob": ("DOB", "Birth Date", "Date of Birth"),
            "claim_id": ("Claim #", "Claim ID", "Claim", "Claim No", "Claim Number"),
            "service_date": ("DOS", "Date of Service", "Service Date"),
            "payer_name": ("Insurance", "Carrier", "Insurance Name", "Carrier Name"),
            "plan_name": ("Plan", "Plan Name"),
            "billed": ("Billed", "Billed Amount", "Charges"),
            "paid": ("Paid", "Paid Amount", "Ins Paid"),
            "balance": ("Balance", "Ins Balance", "Balance Due"),
            "days": ("Days Past", "Days", "Days Old", "Age"),
            "location": ("Location", "Office"),
            "status": ("Status", "Claim Status"),
        },
        COMMON_OPTIONAL,
    ),
    export_formats=("CSV (comma, semicolon or tab; UTF-8 with or without BOM, or Windows-1252)",),
    notes=(
        "Title lines above the header are skipped; a date in them (\"As of 11/30/2026\") is "
        "the export date.",
        "An all-locations export has a Location column: rows of other locations are skipped "
        "(the location's name or code must match the column).",
        "Buckets come from \"Days Past\"; without it from the date of service and the export date.",
        "Quoted fields may contain commas and line breaks.",
    ),
)


# --- balances export ---------------------------------------------------------------------

from gateway.balances.layout import BalanceLayout  # noqa: E402  # kept with its section

BALANCES = BalanceLayout(
    vendor="crystalpm",
    report="Account Balances",
    aliases={
        "account": ("Patient ID", "Account"),
        "location": ("Office", "Location"),
        "payer_name": ("Insurance", "Primary Insurance"),
        "total": ("Total Balance",),
        "patient_portion": ("Patient Balance",),
        "insurance_portion": ("Insurance Balance",),
        "insurance_estimate": ("Estimated Insurance", "Insurance Estimate"),
        "bucket_0_30": ("0-30",),
        "bucket_31_60": ("31-60",),
        "bucket_61_90": ("61-90",),
        "bucket_91_120": ("91-120",),
        "bucket_120_plus": ("Over 120", "120+"),
        "last_statement": ("Last Statement Date",),
        "last_payment": ("Last Payment Date",),
    },
    notes=(
        "The \"Account Balances\" export, CSV, one row per patient account.",
    ),
)
