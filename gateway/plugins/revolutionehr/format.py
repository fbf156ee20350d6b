"""RevolutionEHR aging report exported as CSV: one row per open invoice.

Buckets 0-30, 31-60, 61-90, 90-120 (the 91-120 bucket, however it is labelled) and >120.
"""

from __future__ import annotations

from gateway.aging.profile import COMMON_OPTIONAL, Profile, merge_aliases
from gateway.practice.layout import FileLayout, PracticeLayout

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


# --- practice data: RevolutionEHR's data exports (CSV) --------------------------------------

PRACTICE_LAYOUT = PracticeLayout(
    vendor="revolutionehr",
    files={
        "patients": FileLayout("patients", "patients*", {
            "pms_patient_id": ("Patient ID",),
            "account_number": ("Chart #", "Chart Number"),
            "last_name": ("Last Name",),
            "first_name": ("First Name",),
            "dob": ("Date of Birth", "DOB"),
            "sex": ("Sex", "Gender"),
            "address_line1": ("Address Line 1", "Address 1"),
            "address_line2": ("Address Line 2", "Address 2"),
            "city": ("City",),
            "state": ("State/Province", "State"),
            "zip": ("Postal Code", "Zip"),
        }),
        "coverages": FileLayout("coverages", "insurances*", {
            "pms_patient_id": ("Patient ID",),
            "rank": ("Priority", "Payer Priority"),
            "payer_name": ("Payer", "Payer Name"),
            "payer_id": ("Payer ID", "Payor ID"),
            "member_id": ("Policy #", "Member ID"),
            "group_number": ("Group #",),
            "subscriber_name": ("Policy Holder",),
            "subscriber_relationship": ("Policy Holder Relationship",),
            "effective_from": ("Effective Date",),
            "effective_to": ("Term Date",),
        }),
        "appointments": FileLayout("appointments", "appointments*", {
            "pms_appointment_id": ("Appointment ID",),
            "pms_patient_id": ("Patient ID",),
            "starts_at": ("Scheduled Start", "Start Date/Time"),
            "status": ("Appointment Status", "Status"),
            "location": ("Location",),
            "provider": ("Provider", "Employee"),
            "pms_claim_id": ("Invoice ID", "Invoice #"),
        }),
        "claims": FileLayout("claims", "invoices*", {
            "pms_claim_id": ("Invoice ID", "Invoice #"),
            "pms_patient_id": ("Patient ID",),
            "payer_rank": ("Payer Priority", "Priority"),
            "patient_control_number": ("Claim Control #",),
            "service_date_from": ("Service Date",),
            "service_date_to": ("Service End Date",),
            "diagnosis_codes": ("Diagnosis Codes",),
            "billing": ("Submission Method",),
            "billed_by_pms": ("Claim Submitted",),
            "location": ("Location",),
            "line_number": ("Item #", "Line #"),
            "procedure_code": ("CPT Code", "Code"),
            "modifiers": ("Modifiers",),
            "units": ("Quantity",),
            "charge": ("Amount", "Extended Price"),
            "diagnosis_pointers": ("Dx Pointers",),
        }),
    },
    notes=(
        "RevolutionEHR's data exports: patients*.csv, insurances*.csv, appointments*.csv, "
        "invoices*.csv (one row per invoice item; the invoice is the claim).",
        "Priority reads Primary/Secondary/Tertiary; Claim Submitted is TRUE/FALSE; Scheduled "
        "Start is an ISO date-time (\"2026-12-01 14:15\").",
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
        "claims": ("Open Claims",),
    },
    notes=(
        "CSV from the report download (HTTPS, bearer token) or a scheduled export to a folder.",
        "The 91-120 bucket is labelled 90-120.",
        "The report's claim detail option adds an `Open Claims` column: each open claim as "
        "`claim no.|date of service|payer|insurance balance`, `;` between.",
    ),
)
