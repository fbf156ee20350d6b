"""OfficeMate "Insurance Aging by Patient Detail", saved as CSV.

Grouped by insurance: a group header row names the insurance, detail rows follow (one per fee
slip with an insurance balance), then a group footer with the insurance's totals; the report
ends with a grand total. The aging columns are named by their lower bound: "Current", "30",
"60", "90", "120+".
"""

from __future__ import annotations

from gateway.aging.profile import COMMON_OPTIONAL, Profile, merge_aliases
from gateway.practice.layout import FileLayout, PracticeLayout

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


# --- practice data: OfficeMate's scheduled exports (CSV, Report Scheduler) ----------------

PRACTICE_LAYOUT = PracticeLayout(
    vendor="officemate",
    files={
        "patients": FileLayout("patients", "patient*", {
            "pms_patient_id": ("Patient No", "Patient No."),
            "account_number": ("Acct No", "Account No."),
            "last_name": ("Last Name",),
            "first_name": ("First Name",),
            "dob": ("Birth Date", "DOB"),
            "sex": ("Sex",),
            "address_line1": ("Address 1",),
            "address_line2": ("Address 2",),
            "city": ("City",),
            "state": ("State",),
            "zip": ("Zip Code", "Zip"),
        }),
        "coverages": FileLayout("coverages", "insurance*", {
            "pms_patient_id": ("Patient No", "Patient No."),
            "rank": ("Ins Seq", "Sequence"),
            "payer_name": ("Insurance Name", "Insurance"),
            "payer_id": ("Payer ID", "Electronic Payer ID"),
            "member_id": ("Subscriber ID", "Insured ID"),
            "group_number": ("Group No", "Group #"),
            "subscriber_name": ("Subscriber Name",),
            "subscriber_relationship": ("Relationship to Subscriber", "Relationship"),
            "effective_from": ("Effective Date",),
            "effective_to": ("Expiration Date",),
        }),
        "appointments": FileLayout("appointments", "appointment*", {
            "pms_appointment_id": ("Appt No", "Appointment No"),
            "pms_patient_id": ("Patient No", "Patient No."),
            "starts_at": ("Appt Date",),
            "appointment_time": ("Appt Time",),
            "status": ("Appt Status",),
            "location": ("Office",),
            "provider": ("Provider",),
            "pms_claim_id": ("Fee Slip #", "Fee Slip No"),
        }),
        "claims": FileLayout("claims", "feeslip*", {
            "pms_claim_id": ("Fee Slip #", "Fee Slip No"),
            "pms_patient_id": ("Patient No", "Patient No."),
            "payer_rank": ("Ins Seq", "Sequence"),
            "patient_control_number": ("Claim #", "Claim No"),
            "service_date_from": ("Service Date", "DOS"),
            "service_date_to": ("Service Date To",),
            "diagnosis_codes": ("Dx Codes", "Diagnosis Codes"),
            "billing": ("Claim Format",),
            "billed_by_pms": ("Billed",),
            "location": ("Office",),
            "line_number": ("Line No",),
            "procedure_code": ("Service Code", "CPT"),
            "modifiers": ("Modifier", "Modifiers"),
            "units": ("Qty", "Units"),
            "charge": ("Charge Amt", "Charge"),
            "diagnosis_pointers": ("Dx Pointer",),
        }),
    },
    notes=(
        "OfficeMate's Report Scheduler writes patient*.csv, insurance*.csv, appointment*.csv "
        "and feeslip*.csv (one row per fee-slip line; the fee slip number is the claim id).",
        "Ins Seq is 1/2/3; Billed is Yes when the fee slip's claim was sent from OfficeMate.",
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
