"""A practice's export set as each vendor writes it: the same records, under the vendor's
headers (the first header its layout names), in its file names and with its value styles
(rank as 1/P/Primary, billed as Y/Yes/TRUE, dates US or ISO), as CSV or an Excel workbook."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl

from gateway.practice.layout import PracticeLayout

PATIENTS: list[dict[str, object]] = [
    {"pms_patient_id": "P1001", "account_number": "A-1001", "last_name": "Rivera",
     "first_name": "Ana", "dob": "1980-03-14", "sex": "F", "address_line1": "12 Elm St",
     "city": "Springfield", "state": "IL", "zip": "62701"},
    {"pms_patient_id": "P1002", "account_number": "A-1002", "last_name": "Chen",
     "first_name": "Li", "dob": "1955-07-02", "sex": "M", "city": "Springfield"},
]
COVERAGES: list[dict[str, object]] = [
    {"pms_patient_id": "P1001", "rank": 1, "payer_name": "VSP Vision Care", "payer_id": "VSP01",
     "member_id": "VSP-555", "group_number": "G100", "subscriber_name": "Ana Rivera",
     "subscriber_relationship": "Self", "effective_from": "2026-01-01"},
    {"pms_patient_id": "P1002", "rank": 1, "payer_name": "EyeMed", "payer_id": "EYEMD",
     "member_id": "EM-777", "subscriber_name": "Li Chen", "subscriber_relationship": "Self"},
]
APPOINTMENTS: list[dict[str, object]] = [
    {"pms_appointment_id": "AP-1", "pms_patient_id": "P1001", "starts_at": "2026-11-30 09:30",
     "status": "Checked Out", "location": "Main Office", "provider": "Dr. Patel",
     "pms_claim_id": "C-1"},
    {"pms_appointment_id": "AP-2", "pms_patient_id": "P1002", "starts_at": "2026-12-01 14:15",
     "status": "Scheduled", "location": "Main Office", "provider": "Dr. Patel"},
]
CLAIM_LINES: list[dict[str, object]] = [
    {"pms_claim_id": "C-1", "pms_patient_id": "P1001", "payer_rank": 1,
     "service_date_from": "2026-11-30", "diagnosis_codes": "H52.13", "billing": "electronic",
     "billed_by_pms": True, "location": "Main Office", "line_number": 1,
     "procedure_code": "92014", "units": "1", "charge": "165.00", "diagnosis_pointers": "1"},
    {"pms_claim_id": "C-1", "pms_patient_id": "P1001", "payer_rank": 1,
     "service_date_from": "2026-11-30", "diagnosis_codes": "H52.13", "billing": "electronic",
     "billed_by_pms": True, "location": "Main Office", "line_number": 2,
     "procedure_code": "V2020", "modifiers": "LT", "units": "1", "charge": "80.50",
     "diagnosis_pointers": "1"},
    {"pms_claim_id": "C-2", "pms_patient_id": "P1002", "payer_rank": 1,
     "service_date_from": "2026-12-01", "diagnosis_codes": "H40.013", "billing": "paper",
     "billed_by_pms": False, "line_number": 1, "procedure_code": "92083", "units": "1",
     "charge": "60.00", "diagnosis_pointers": "1"},
]
RECORDS: dict[str, list[dict[str, object]]] = {
    "patients": PATIENTS, "coverages": COVERAGES, "appointments": APPOINTMENTS,
    "claims": CLAIM_LINES,
}

# value styles: rank, billed yes/no, date order
STYLES = {
    "compulink": ({1: "P", 2: "S"}, ("Y", "N"), "us"),
    "crystalpm": ({1: "1", 2: "2"}, ("Yes", "No"), "us"),
    "officemate": ({1: "1", 2: "2"}, ("Yes", "No"), "us"),
    "revolutionehr": ({1: "Primary", 2: "Secondary"}, ("TRUE", "FALSE"), "iso"),
    "eyefinity": ({1: "1", 2: "2"}, ("Y", "N"), "us"),
}


def _value(field: str, value: object, vendor: str) -> str:
    ranks, (yes, no), order = STYLES[vendor]
    if field in ("rank", "payer_rank"):
        return ranks[int(value)]  # type: ignore[call-overload]
    if isinstance(value, bool):
        return yes if value else no
    text = str(value)
    if order == "us" and len(text) >= 10 and text[4] == "-" and text[7] == "-":
        us = f"{text[5:7]}/{text[8:10]}/{text[:4]}"
        return us + text[10:]
    return text


def rows_for(layout: PracticeLayout, kind: str,
             records: dict[str, list[dict[str, object]]] | None = None) -> list[list[str]]:
    """Header and rows of one kind of file in the vendor's headers and styles."""
    f = layout.files[kind]
    split_time = "appointment_time" in f.aliases
    fields = [n for n in f.aliases if n != "appointment_time"]
    header = [f.header_of(n) for n in fields] + (
        [f.header_of("appointment_time")] if split_time else [])
    out = [header]
    for rec in (records or RECORDS)[kind]:
        row = [_value(n, rec[n], layout.vendor) if n in rec else "" for n in fields]
        if split_time:
            i = fields.index("starts_at")
            row[i], _, clock = row[i].partition(" ")
            row.append(clock)
        out.append(row)
    return out


def file_name(layout: PracticeLayout, kind: str, stamp: str, ext: str) -> str:
    return layout.files[kind].pattern.rstrip("*") + f"_{stamp}.{ext}"


def write_export(layout: PracticeLayout, folder: Path, stamp: str = "20261201",
                 excel: bool = False,
                 records: dict[str, list[dict[str, object]]] | None = None) -> list[Path]:
    """Write the vendor's export set (`records`, default RECORDS) into `folder` (CSV, or
    .xlsx workbooks)."""
    paths = []
    for kind in records or RECORDS:
        rows = rows_for(layout, kind, records)
        path = folder / file_name(layout, kind, stamp, "xlsx" if excel else "csv")
        if excel:
            wb = openpyxl.Workbook()
            ws = wb.active
            for r in rows:
                ws.append(r)
            wb.save(path)
        else:
            buf = io.StringIO()
            csv.writer(buf).writerows(rows)
            path.write_text(buf.getvalue())
        paths.append(path)
    return paths
