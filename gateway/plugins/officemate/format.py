"""OfficeMate "Insurance Aging by Patient Detail", saved as CSV.

Grouped by insurance: a group header row names the insurance, detail rows follow (one per fee
slip with an insurance balance), then a group footer with the insurance's totals; the report
ends with a grand total. The aging columns are named by their lower bound: "Current", "30",
"60", "90", "120+".
"""

from __future__ import annotations

from gateway.aging.profile import COMMON_OPTIONAL, Profile, merge_aliases

PROFILE = Profile(
    vendor="officemate",
    report="Insurance Aging by Patient Detail",
    grain="fee_slip",
    aliases=merge_aliases(
        {
            "payer_name": ("Insurance", "Insurance Name", "Insurance Company", "Carrier"),
            "patient_name": ("Patient Name", "Patient"),
            "patient_account": ("Patient #", "Patient ID", "Patient No", "Account #"),
            "patient_dob": ("DOB", "Birth Date"),
            "claim_id": ("Fee Slip #", "Fee Slip", "Fee Slip No", "Fee Slip Number", "Slip #"),
            "service_date": ("Fee Slip Date", "Date", "Service Date", "DOS"),
            "billed": ("Fee Slip Total", "Charges", "Billed"),
            "paid": ("Ins Paid", "Paid"),
            "balance": ("Ins Balance", "Insurance Balance", "Ins Bal", "Total"),
            "bucket_0_30": ("Current", "0-30"),
            "bucket_31_60": ("30", "31-60"),
            "bucket_61_90": ("60", "61-90"),
            "bucket_91_120": ("90", "91-120"),
            "bucket_120_plus": ("120+", "120", "Over 120"),
            "location": ("Location", "Office"),
        },
        COMMON_OPTIONAL,
    ),
    group_labels=("insurance", "insurance company", "carrier", "payer"),
    export_formats=("CSV",),
    notes=(
        "Grouped by insurance: the group header row (\"Insurance: NAME\" or the name alone) "
        "gives the payer of the detail rows below it.",
        "Group footers (\"Total for NAME\", \"NAME Total\") and the report total are dropped and "
        "checked against the rows above them.",
        "Bucket columns are named by their lower bound: Current = 0-30, 30 = 31-60, "
        "60 = 61-90, 90 = 91-120, 120+.",
        "\"Ins Balance\" is the balance; \"Total\" is used only when there is no Ins Balance "
        "column. The buckets must add up to the balance.",
    ),
)


# --- balances export ---------------------------------------------------------------------

from gateway.balances.layout import BalanceLayout  # noqa: E402  # kept with its section

BALANCES = BalanceLayout(
    vendor="officemate",
    report="Patient Ledger Aging",
    delimiter="\t",
    aliases={
        "account": ("Account", "Patient Account"),
        "location": ("Loc", "Location"),
        "payer_name": ("Carrier",),
        "total": ("Balance Due",),
        "patient_portion": ("Patient Due",),
        "insurance_portion": ("Insurance Due",),
        "insurance_estimate": ("Ins Estimate",),
        "bucket_0_30": ("Current",),
        "bucket_31_60": ("30 Days",),
        "bucket_61_90": ("60 Days",),
        "bucket_91_120": ("90 Days",),
        "bucket_120_plus": ("120+ Days",),
        "last_statement": ("Last Statement",),
        "last_payment": ("Last Payment",),
    },
    notes=(
        "Tab-separated text, one row per account.",
        "Buckets are labelled by their start: \"30 Days\" is 31-60, \"120+ Days\" over 120.",
    ),
)
