"""Crystal PM "Insurance Receivable" report saved as CSV.

One row per claim. The file may start with report title lines (name, date range, practice)
before the header. An all-locations export carries a Location column: an upload to one location
imports only that location's rows. There are no aging-bucket columns: the bucket comes from
"Days Past" or, without it, from the date of service and the export date.
"""

from __future__ import annotations

from gateway.aging.profile import COMMON_OPTIONAL, Profile, merge_aliases
from gateway.practice.layout import FileLayout, PracticeLayout

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


# --- practice data: Crystal PM's scheduled data exports (CSV) ------------------------------

PRACTICE_LAYOUT = PracticeLayout(
    vendor="crystalpm",
    files={
        "patients": FileLayout("patients", "patients*", {
            "pms_patient_id": ("Patient ID", "PatientID"),
            "account_number": ("Chart Number", "Chart #"),
            "last_name": ("Last", "Last Name"),
            "first_name": ("First", "First Name"),
            "dob": ("Birthdate", "Birth Date"),
            "sex": ("Gender",),
            "address_line1": ("Address", "Street"),
            "address_line2": ("Address2",),
            "city": ("City",),
            "state": ("State",),
            "zip": ("Zip", "Zipcode"),
        }),
        "coverages": FileLayout("coverages", "insurance*", {
            "pms_patient_id": ("Patient ID", "PatientID"),
            "rank": ("Insurance Order", "Order"),
            "payer_name": ("Carrier", "Insurance Carrier"),
            "payer_id": ("Carrier ID", "Payer ID"),
            "member_id": ("Policy Number", "Member ID"),
            "group_number": ("Group Number",),
            "subscriber_name": ("Policy Holder",),
            "subscriber_relationship": ("Relationship",),
            "effective_from": ("Start Date",),
            "effective_to": ("End Date",),
        }),
        "appointments": FileLayout("appointments", "appointments*", {
            "pms_appointment_id": ("Appointment ID", "Appt ID"),
            "pms_patient_id": ("Patient ID", "PatientID"),
            "starts_at": ("Start", "Appointment Start"),
            "status": ("Status",),
            "location": ("Office",),
            "provider": ("Doctor",),
            "pms_claim_id": ("Claim ID",),
        }),
        "claims": FileLayout("claims", "claims*", {
            "pms_claim_id": ("Claim ID",),
            "pms_patient_id": ("Patient ID", "PatientID"),
            "payer_rank": ("Insurance Order", "Order"),
            "patient_control_number": ("Control Number",),
            "service_date_from": ("Date of Service", "DOS"),
            "service_date_to": ("Date of Service To",),
            "diagnosis_codes": ("Diagnoses",),
            "billing": ("Claim Type",),
            "billed_by_pms": ("Submitted",),
            "location": ("Office",),
            "line_number": ("Line",),
            "procedure_code": ("Code", "CPT"),
            "modifiers": ("Modifiers",),
            "units": ("Units",),
            "charge": ("Fee", "Charge"),
            "diagnosis_pointers": ("Pointers",),
        }),
    },
    notes=(
        "Crystal PM's scheduled data export writes one CSV per table: patients*.csv, "
        "insurance*.csv, appointments*.csv, claims*.csv (one row per claim line).",
        "Appointment Start holds date and time in one cell (\"12/01/2026 2:15 PM\").",
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
