"""Compulink Advantage "Ins. Receivables by Payor", exported as "Excel 97-2000 - Data only".

A grouped report: title rows above the header, a payer header row before each payer's detail
rows, a subtotal row after them and a grand total at the end. One row per claim line, so a
claim number repeats for each line of the claim. Dates may be Excel serial numbers; a zero
aging bucket is an empty cell.
"""

from __future__ import annotations

from gateway.aging.profile import COMMON_OPTIONAL, Profile, merge_aliases
from gateway.practice.layout import FileLayout, PracticeLayout

PROFILE = Profile(
    vendor="compulink",
    report="Ins. Receivables by Payor",
    grain="claim_line",
    aliases=merge_aliases(
        {
            "payer_name": ("Payor", "Insurance", "Payor Name", "Insurance Name"),
            "patient_account": ("Acct #", "Account", "Patient #", "Acct", "Account #", "Acct No"),
            "patient_name": ("Patient", "Patient Name"),
            "patient_dob": ("DOB", "Birth Date"),
            "claim_id": ("Claim #", "Ticket #", "Claim", "Ticket", "Claim No", "Ticket No"),
            "service_date": ("Svc Date", "Service Date", "DOS"),
            "location": ("Svc Loc", "Service Location", "Location", "Loc"),
            "billed": ("Billed", "Charge", "Charges", "Billed Amt"),
            "paid": ("Paid", "Ins Paid"),
            "balance": ("Ins Balance", "Balance", "Ins Bal", "Ins. Bal."),
            "bucket_0_30": ("Current", "0-30"),
            "bucket_31_60": ("31-60",),
            "bucket_61_90": ("61-90",),
            "bucket_91_120": ("91-120",),
            "bucket_120_plus": ("120+", "Over 120", ">120", "121+"),
        },
        COMMON_OPTIONAL,
    ),
    export_formats=(
        "Excel 97-2000 - Data only (.xls, BIFF8)",
        "the same report saved as .xlsx, CSV or an HTML/XML .xls",
    ),
    notes=(
        "Grouped by payor: a row holding only the payor name (or \"Payor: NAME\") starts a "
        "group; the payor is carried into the detail rows below it. A Payor column, when "
        "present, wins over the group header.",
        "Subtotal rows (labelled \"Total\"/\"Subtotal\", or amounts without a claim number) and "
        "the grand total are dropped; a labelled total that does not match the rows above it "
        "is reported as a row problem.",
        "Claim-line grain: the rows of one claim number (and payer rank) become the lines of "
        "one claim.",
        "Empty aging cells are zero; the buckets must add up to the insurance balance.",
        "\"Last Billed\" is kept in the raw row only.",
        "Service dates may be Excel serial numbers (e.g. 46000 = 2025-12-09).",
    ),
)


# --- practice data: the scheduled exports Compulink's Report Scheduler drops (CSV) ---------

PRACTICE_LAYOUT = PracticeLayout(
    vendor="compulink",
    files={
        "patients": FileLayout("patients", "patients*", {
            "pms_patient_id": ("Patient #", "Patient No", "Patient ID"),
            "account_number": ("Acct #", "Account #", "Chart #"),
            "last_name": ("Last Name", "Last"),
            "first_name": ("First Name", "First"),
            "dob": ("Birth Date", "DOB"),
            "sex": ("Sex", "Gender"),
            "address_line1": ("Address 1", "Address"),
            "address_line2": ("Address 2",),
            "city": ("City",),
            "state": ("State", "ST"),
            "zip": ("Zip", "Zip Code"),
        }),
        "coverages": FileLayout("coverages", "insurance*", {
            "pms_patient_id": ("Patient #", "Patient No"),
            "rank": ("Ins Order", "Priority", "Ins Level"),
            "payer_name": ("Insurance Co", "Payor", "Insurance"),
            "payer_id": ("Payor ID", "Payer ID"),
            "member_id": ("Insured ID", "Policy #", "Member ID"),
            "group_number": ("Group #", "Group No"),
            "subscriber_name": ("Insured Name", "Insured"),
            "subscriber_relationship": ("Relation to Insured", "Relationship"),
            "effective_from": ("Eff Date", "Effective Date"),
            "effective_to": ("Term Date", "Expiration Date"),
        }),
        "appointments": FileLayout("appointments", "appointments*", {
            "pms_appointment_id": ("Appt ID", "Appt #"),
            "pms_patient_id": ("Patient #", "Patient No"),
            "starts_at": ("Appt Date", "Date"),
            "appointment_time": ("Appt Time", "Time"),
            "status": ("Appt Status", "Status"),
            "location": ("Office", "Location", "Svc Loc"),
            "provider": ("Doctor", "Provider"),
            "pms_claim_id": ("Ticket #", "Ticket No"),
        }),
        "claims": FileLayout("claims", "charges*", {
            "pms_claim_id": ("Ticket #", "Ticket No", "Claim #"),
            "pms_patient_id": ("Patient #", "Patient No"),
            "payer_rank": ("Ins Order", "Priority"),
            "patient_control_number": ("Claim Ctrl #", "PCN"),
            "service_date_from": ("Svc Date", "Service Date", "DOS"),
            "service_date_to": ("Svc Date To", "To Date"),
            "diagnosis_codes": ("Diag Codes", "ICD Codes", "Diagnosis"),
            "billing": ("Billing Type", "Bill Type"),
            "billed_by_pms": ("Billed", "Billed Y/N", "Claim Sent"),
            "location": ("Svc Loc", "Office", "Location"),
            "line_number": ("Line #", "Line"),
            "procedure_code": ("CPT", "Procedure", "Service Code"),
            "modifiers": ("Mod", "Modifiers"),
            "units": ("Units", "Qty"),
            "charge": ("Charge", "Fee", "Amount"),
            "diagnosis_pointers": ("Diag Ptr", "Dx Pointer"),
            "line_service_date": ("Line Svc Date",),
        }),
    },
    notes=(
        "Scheduled with Compulink's Report Scheduler as CSV into the drop folder: "
        "patients*.csv, insurance*.csv, appointments*.csv, charges*.csv (one row per charge "
        "line; a ticket's lines share its Ticket #).",
        "Ins Order 1/2/3 (or P/S/T); Billed is Y when the ticket's claim was sent from "
        "Compulink.",
    ),
)


# --- balances export ---------------------------------------------------------------------

from gateway.balances.layout import BalanceLayout  # noqa: E402  # kept with its section

BALANCES = BalanceLayout(
    vendor="compulink",
    report="Patient A/R Aging",
    aliases={
        "account": ("Acct #", "Account #", "Acct"),
        "location": ("Location", "Svc Loc"),
        "payer_name": ("Primary Ins", "Primary Insurance"),
        "total": ("Balance", "Acct Balance"),
        "patient_portion": ("Pat Bal", "Patient Balance"),
        "insurance_portion": ("Ins Bal", "Insurance Balance"),
        "insurance_estimate": ("Ins Est", "Insurance Estimate"),
        "bucket_0_30": ("Current", "0-30"),
        "bucket_31_60": ("31-60",),
        "bucket_61_90": ("61-90",),
        "bucket_91_120": ("91-120",),
        "bucket_120_plus": ("120+", "Over 120"),
        "last_statement": ("Last Stmt", "Last Statement"),
        "last_payment": ("Last Pmt", "Last Payment"),
        "claims": ("Open Claims", "Claim Detail"),
    },
    notes=(
        "The \"Patient A/R Aging\" report saved as CSV, one row per account.",
        "A zero bucket may be an empty cell.",
        "With \"Include claim detail\" ticked the report adds an `Open Claims` column: each "
        "open claim as `claim no.|date of service|payer|insurance balance`, `;` between.",
    ),
)
