"""The records of the end-to-end practice day (tests/e2e/test_practice_day.py): what the PMS
exports to its drop folder and to its SFTP folder, the two locations' aging files, the ERA."""

from __future__ import annotations

from tests.posting.era835 import Clp, Pay, Svc, build_835

VSP = {"payer_name": "VSP Vision Care", "payer_id": "VSP01"}
DROP: dict[str, list[dict[str, object]]] = {
    "patients": [
        {"pms_patient_id": "P1", "account_number": "A-1", "last_name": "Rivera",
         "first_name": "Ana"},
        {"pms_patient_id": "P2", "account_number": "A-2", "last_name": "Chen",
         "first_name": "Li"},
    ],
    "coverages": [
        {"pms_patient_id": "P1", "rank": 1, **VSP, "member_id": "VSP-1",
         "subscriber_relationship": "Self", "effective_from": "2026-01-01"},
        {"pms_patient_id": "P2", "rank": 1, **VSP, "member_id": "VSP-2",
         "subscriber_relationship": "Self", "effective_from": "2026-01-01"},
    ],
    "appointments": [
        {"pms_appointment_id": "AP-1", "pms_patient_id": "P1", "starts_at": "2026-11-02 09:30",
         "status": "Checked Out", "provider": "Dr. Patel", "pms_claim_id": "C-1"},
    ],
    "claims": [
        # billed by the PMS: never sent by the gateway; the ERA pays it (CLP01 = C-1)
        {"pms_claim_id": "C-1", "pms_patient_id": "P1", "payer_rank": 1,
         "service_date_from": "2026-11-02", "diagnosis_codes": "H52.13",
         "billing": "electronic", "billed_by_pms": True, "line_number": 1,
         "procedure_code": "92014", "units": "1", "charge": "150.00",
         "diagnosis_pointers": "1"},
        {"pms_claim_id": "C-1", "pms_patient_id": "P1", "payer_rank": 1,
         "service_date_from": "2026-11-02", "diagnosis_codes": "H52.13",
         "billing": "electronic", "billed_by_pms": True, "line_number": 2,
         "procedure_code": "92015", "units": "1", "charge": "50.00",
         "diagnosis_pointers": "1"},
        # unbilled: the submit run sends it
        {"pms_claim_id": "C-2", "pms_patient_id": "P2", "payer_rank": 1,
         "service_date_from": "2026-11-03", "diagnosis_codes": "H40.013",
         "billing": "electronic", "billed_by_pms": False, "line_number": 1,
         "procedure_code": "92083", "units": "1", "charge": "60.00",
         "diagnosis_pointers": "1"},
    ],
}
SFTP: dict[str, list[dict[str, object]]] = {
    "patients": [{"pms_patient_id": "P3", "account_number": "A-3", "last_name": "Poe",
                  "first_name": "Ed"}],
    "coverages": [{"pms_patient_id": "P3", "rank": 1, **VSP, "member_id": "VSP-3",
                   "subscriber_relationship": "Self", "effective_from": "2026-01-01"}],
    "appointments": [],
    "claims": [{"pms_claim_id": "C-3", "pms_patient_id": "P3", "payer_rank": 1,
                "service_date_from": "2026-11-04", "diagnosis_codes": "H52.4",
                "billing": "electronic", "billed_by_pms": False, "line_number": 1,
                "procedure_code": "92012", "units": "1", "charge": "95.00",
                "diagnosis_pointers": "1"}],
}
AGING_HEADER = "Claim #,Account,Patient,DOS,Insurance,Billed,Paid,Balance\n"


def aging(*rows: str, date: str = "11/30/2026") -> bytes:
    return (f"As of {date}\n" + AGING_HEADER + "".join(r + "\n" for r in rows)).encode()


# Main: a receivable only the aging knows (AG-10), and the PMS's own C-1 (the same claim)
AGING_MAIN = aging('AG-10,A-4,"Doe, Jane",10/01/2026,VSP Vision Care,200.00,0.00,200.00',
                   'C-1,A-1,"Rivera, Ana",11/02/2026,VSP Vision Care,200.00,0.00,200.00')
AGING_NORTH = aging('AG-20,A-5,"Roe, Al",10/02/2026,VSP Vision Care,80.00,0.00,80.00')


def era() -> str:
    """VSP pays the aging claim AG-10 (20.00 deductible left to the patient) and the PMS
    claim C-1 (25.00 co-pay left to the patient)."""
    ag10 = Clp("AG-10", "1", "200.00", "150.00", [
        Svc("92004", "200.00", "150.00", [("CO", "45", "30.00"), ("PR", "1", "20.00")],
            date="20261001"),
    ], icn="ICN-AG10", patient=("DOE", "JANE", "VSP-4"), dos="20261001")
    c1 = Clp("C-1", "1", "200.00", "140.00", [
        Svc("92014", "150.00", "100.00", [("CO", "45", "25.00"), ("PR", "3", "25.00")],
            date="20261102"),
        Svc("92015", "50.00", "40.00", [("CO", "45", "10.00")], date="20261102"),
    ], icn="ICN-C1", patient=("RIVERA", "ANA", "VSP-1"), dos="20261102")
    return build_835([Pay("TRN-DAY-1", "290.00", [ag10, c1], payer="VSP VISION CARE",
                          payer_id="VSP01", date="20261201")])
