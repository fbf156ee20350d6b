"""Eyefinity Encompass "AR Detail Table", exported to Excel (.xls or .xlsx).

One row per claim with its location, carrier and plan, billed/paid/balance, the claim status
and an aging-bucket label per row. Credit balances are negative. Eyefinity ages in finer
steps (0-30, 31-45, 46-60, 61-90, 91-120, >120); 31-45 and 46-60 fold into 31-60.
"""

from __future__ import annotations

from gateway.aging.profile import COMMON_OPTIONAL, Profile, merge_aliases
from gateway.practice.layout import FileLayout, PracticeLayout

PROFILE = Profile(
    vendor="eyefinity",
    report="AR Detail Table",
    grain="claim",
    aliases=merge_aliases(
        {
            "location": ("Location", "Location Name", "Office"),
            "patient_name": ("Patient", "Patient Name"),
            "patient_account": ("Patient #", "Account #", "Patient ID", "Patient Number"),
            "patient_dob": ("DOB", "Date of Birth", "Patient DOB"),
            "claim_id": ("Claim #", "Claim Number", "Claim ID", "Claim No"),
            "service_date": ("DOS", "Date of Service", "Service Date"),
            "payer_name": ("Carrier Name", "Carrier", "Insurance", "Payer"),
            "plan_name": ("Plan Name", "Plan"),
            "status": ("Claim Status", "Status"),
            "billed": ("Billed", "Billed Amount", "Billed Amt"),
            "paid": ("Paid", "Paid Amount", "Paid Amt"),
            "balance": ("Balance", "Balance Amount", "Claim Balance"),
            "aging_bucket": ("Aging Bucket", "Aging", "Age Bucket"),
            "days": ("Days", "Days Outstanding", "Age (Days)"),
            "bucket_0_30": ("0-30",),
            "bucket_31_60": ("31-60", "31-45", "46-60"),
            "bucket_61_90": ("61-90",),
            "bucket_91_120": ("91-120",),
            "bucket_120_plus": (">120", "120+", "Over 120"),
        },
        COMMON_OPTIONAL,
    ),
    group_field=None,
    export_formats=("Excel .xlsx", "Excel 97-2003 .xls", "the same table saved as HTML/XML .xls"),
    notes=(
        "Credit balances are negative amounts and are imported as such.",
        "The \"Aging Bucket\" label of a row puts its balance in one bucket; 31-45 and 46-60 "
        "fold into 31-60. Without a label, \"Days\" decides; without either, the date of "
        "service and the export date.",
        "The carrier is the payer; the plan is kept as the plan name.",
        "Rows of other locations (Location column) are skipped on an upload to one location.",
    ),
)


# --- practice data: Eyefinity Encompass report exports (Excel or CSV) ------------------------

PRACTICE_LAYOUT = PracticeLayout(
    vendor="eyefinity",
    files={
        "patients": FileLayout("patients", "patient*", {
            "pms_patient_id": ("Patient Id",),
            "account_number": ("Account Number",),
            "last_name": ("Patient Last Name", "Last Name"),
            "first_name": ("Patient First Name", "First Name"),
            "dob": ("Date Of Birth",),
            "sex": ("Gender",),
            "address_line1": ("Address Line 1",),
            "address_line2": ("Address Line 2",),
            "city": ("City",),
            "state": ("State",),
            "zip": ("Postal Code", "Zip"),
        }),
        "coverages": FileLayout("coverages", "coverage*", {
            "pms_patient_id": ("Patient Id",),
            "rank": ("Coverage Order",),
            "payer_name": ("Carrier Name", "Carrier"),
            "payer_id": ("Carrier Code", "Payer Id"),
            "member_id": ("Subscriber Id", "Member Id"),
            "group_number": ("Group Id", "Group Number"),
            "subscriber_name": ("Subscriber Name",),
            "subscriber_relationship": ("Relationship To Subscriber",),
            "effective_from": ("Effective Date",),
            "effective_to": ("Termination Date",),
        }),
        "appointments": FileLayout("appointments", "appointment*", {
            "pms_appointment_id": ("Appointment Id",),
            "pms_patient_id": ("Patient Id",),
            "starts_at": ("Appointment Date",),
            "appointment_time": ("Start Time",),
            "status": ("Appointment Status",),
            "location": ("Location Name",),
            "provider": ("Provider Name", "Resource"),
            "pms_claim_id": ("Claim Id",),
        }),
        "claims": FileLayout("claims", "claim*", {
            "pms_claim_id": ("Claim Id",),
            "pms_patient_id": ("Patient Id",),
            "payer_rank": ("Coverage Order",),
            "patient_control_number": ("Patient Control Number",),
            "service_date_from": ("From Date", "Service Date"),
            "service_date_to": ("To Date",),
            "diagnosis_codes": ("Diagnosis Codes",),
            "billing": ("Claim Format",),
            "billed_by_pms": ("Claim Billed",),
            "location": ("Location Name",),
            "line_number": ("Line Number",),
            "procedure_code": ("Procedure Code",),
            "modifiers": ("Modifiers",),
            "units": ("Units",),
            "charge": ("Billed Amount", "Charge Amount"),
            "diagnosis_pointers": ("Diagnosis Pointers",),
        }),
    },
    notes=(
        "Encompass report exports, as Excel (.xlsx/.xls) or CSV: patient*, coverage*, "
        "appointment*, claim* (one row per claim line).",
        "Dates may be Excel date cells or serial numbers; Claim Billed is Y/N.",
    ),
)


# --- balances export ---------------------------------------------------------------------

from gateway.balances.layout import BalanceLayout  # noqa: E402  # kept with its section

BALANCES = BalanceLayout(
    vendor="eyefinity",
    report="Patient AR",
    aliases={
        "account": ("Patient #", "Patient ID"),
        "location": ("Location", "Office"),
        "payer_name": ("Carrier", "Carrier Name"),
        "total": ("Balance",),
        "patient_portion": ("Patient Balance",),
        "insurance_portion": ("Insurance Balance",),
        "insurance_estimate": ("Ins Estimate", "Insurance Estimate"),
        "bucket_0_30": ("0-30",),
        "bucket_31_60": ("31-45", "46-60"),
        "bucket_61_90": ("61-90",),
        "bucket_91_120": ("91-120",),
        "bucket_120_plus": (">120",),
        "last_statement": ("Last Statement Date",),
        "last_payment": ("Last Payment Date",),
    },
    notes=(
        "CSV from the report download (HTTPS, bearer token) or a scheduled export to a folder.",
        "Six buckets: 31-45 and 46-60 fold into 31-60; the buckets must add up to the "
        "balance (a mismatch is a row problem).",
    ),
)
