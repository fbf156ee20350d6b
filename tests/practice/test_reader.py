"""The shared practice-data reader: values in the styles PMS exports write them, and every
unreadable row located by row, column and why."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from gateway.core.errors import UserError
from gateway.core.records import AppointmentRecord
from gateway.practice.layout import CANONICAL
from gateway.practice.reader import read_records

CLAIMS = CANONICAL.files["claims"]


def _read(kind: str, text: str):
    return read_records(CANONICAL.files[kind], f"{kind}.csv", text.encode(),
                        today=dt.date(2026, 12, 1))


def test_claim_lines_group_into_claims_with_their_values():
    records, problems = _read("claims", (
        "pms_claim_id,pms_patient_id,payer_rank,service_date_from,diagnosis_codes,billing,"
        "billed_by_pms,procedure_code,modifiers,units,charge,diagnosis_pointers\n"
        "T1,P1,S,12/01/2026,H52.13;H52.4,P,yes,92014,,1,\"$1,165.00\",AB\n"
        "T2,P2,,2026-12-01,,,,92015,rt lt,2.5,(0.00),\n"
        "T1,P1,S,12/01/2026,H52.13;H52.4,P,yes,V2020,GY,1,10,2\n"))
    assert problems == []
    t1, t2 = records
    assert (t1.pms_claim_id, t1.payer_rank, t1.billing, t1.billed_by_pms, t1.diagnosis_codes) == (
        "T1", 2, "paper", True, ("H52.13", "H52.4"))
    assert [(x.line_number, x.charge, x.diagnosis_pointers) for x in t1.lines] == [
        (1, Decimal("1165.00"), (1, 2)), (2, Decimal("10.00"), (2,))]
    assert (t2.payer_rank, t2.billed_by_pms, t2.lines[0].modifiers, t2.lines[0].units) == (
        1, False, ("RT", "LT"), Decimal("2.5"))


def test_every_bad_row_is_located():
    records, problems = _read("claims", (
        "pms_claim_id,pms_patient_id,service_date_from,procedure_code,charge,line_number\n"
        "T1,P1,2026-12-01,92014,-5.00,1\n"
        "T1,P9,2026-12-01,92015,5.00,2\n"
        "T1,P1,2026-12-01,92015,5.00,3\n"
        "T1,P1,2026-12-01,92016,6.00,3\n"
        "T2,P1,2026-13-01,92014,1.00,1\n"
        f"T3,P1,2026-12-01,{'9' * 21},1.00,1\n"
        "T4,P1,2026-12-01,,1.00,1\n"))
    assert [(p.row, p.column) for p in problems] == [
        (2, "charge"), (3, "pms_patient_id"), (5, "line_number"), (6, "service_date_from"),
        (7, "procedure_code"), (8, "procedure_code")]
    assert [p.why for p in problems][-2:] == ["longer than 20 characters", "required, but blank"]
    assert all(p.file == "claims.csv" for p in problems)
    assert [c.pms_claim_id for c in records] == ["T1"]


def test_a_nul_character_is_a_located_problem():
    """PostgreSQL refuses NUL in text and a COPY passes no bounds check: the reader says so
    (a CSV with a NUL byte is refused as binary before; JSON can spell one)."""
    records, problems = _read("claims", (
        '[{"pms_claim_id": "T5", "pms_patient_id": "P1", "service_date_from": "2026-12-01", '
        '"procedure_code": "92\\u000014", "charge": "1.00", "line_number": 1}]'))
    assert [(p.row, p.column, p.why) for p in problems] == [
        (2, "procedure_code", "holds a NUL character")]
    assert records == []


def test_repeated_records_and_json_input():
    _, problems = _read("patients", "pms_patient_id,dob\nP1,1980-01-01\nP1,1981-01-01\n")
    assert [(p.row, p.why) for p in problems] == [(3, "repeats the record of row 2")]
    content = json.dumps([{"pms_appointment_id": "A1", "pms_patient_id": "P1",
                           "starts_at": "12/01/2026 2:15 PM", "status": "Scheduled"}])
    (appt,), problems = read_records(CANONICAL.files["appointments"], "a.json",
                                     content.encode())
    assert isinstance(appt, AppointmentRecord) and problems == []
    assert appt.starts_at == dt.datetime(2026, 12, 1, 14, 15, tzinfo=dt.UTC)


def test_a_file_without_the_required_columns_cannot_be_read():
    with pytest.raises(UserError, match="coverages.csv: no header row for coverages: expected "
                                        "columns 'pms_patient_id', 'payer_name'"):
        _read("coverages", "patient,insurance\nP1,VSP\n")
