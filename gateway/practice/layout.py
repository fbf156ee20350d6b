"""A practice-data export layout: the canonical fields of each kind of file and the header
texts accepted for each (a vendor's `format.py` fills one in; the shared reader does the rest).

Headers are compared by `gateway.aging.profile.header_key` (case, spaces and punctuation do
not matter). Every canonical field name is always accepted as its own header too, so the
canonical columns of a hand import (`gateway patients import`) read with any layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.aging.profile import header_key
from gateway.core.records import PRACTICE_KINDS, PracticeKind

# Canonical fields per kind: name -> (type, meaning). Types: text, date, datetime, time,
# money, int, rank, bool, list, ints, sex, billing, units.
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "patients": {
        "pms_patient_id": ("text", "the PMS's patient id (the key)"),
        "account_number": ("text", "chart / account number (default: the PMS id)"),
        "last_name": ("text", "last name"),
        "first_name": ("text", "first name"),
        "dob": ("date", "date of birth"),
        "sex": ("sex", "M / F / U (also Male, Female)"),
        "address_line1": ("text", "street address"),
        "address_line2": ("text", "address line 2"),
        "city": ("text", "city"),
        "state": ("text", "state"),
        "zip": ("text", "ZIP code"),
    },
    "coverages": {
        "pms_patient_id": ("text", "the PMS's patient id"),
        "rank": ("rank", "1 primary, 2 secondary, 3 tertiary (also P/S/T)"),
        "payer_name": ("text", "insurance payer"),
        "payer_id": ("text", "payer id (clearinghouse)"),
        "member_id": ("text", "member / subscriber id"),
        "group_number": ("text", "group number"),
        "subscriber_name": ("text", "subscriber (insured) name"),
        "subscriber_relationship": ("text", "patient's relationship to the subscriber"),
        "effective_from": ("date", "coverage effective from"),
        "effective_to": ("date", "coverage effective to (blank: open)"),
    },
    "appointments": {
        "pms_appointment_id": ("text", "the PMS's appointment id (the key)"),
        "pms_patient_id": ("text", "the PMS's patient id"),
        "starts_at": ("datetime", "date and time (or a date with a separate time column)"),
        "appointment_time": ("time", "time of day, when the date column holds the date only"),
        "status": ("text", "appointment status"),
        "location": ("text", "office / location name"),
        "provider": ("text", "provider / doctor"),
        "pms_claim_id": ("text", "the PMS claim made for the appointment, once there is one"),
    },
    "claims": {
        "pms_claim_id": ("text", "the PMS's claim / ticket / fee-slip / invoice number"),
        "pms_patient_id": ("text", "the PMS's patient id"),
        "payer_rank": ("rank", "the coverage billed: 1 primary, 2 secondary, 3 tertiary"),
        "patient_control_number": ("text", "the patient control number it was billed with"),
        "service_date_from": ("date", "date of service (from)"),
        "service_date_to": ("date", "date of service (to)"),
        "diagnosis_codes": ("list", "ICD-10 codes, separated by , ; or spaces"),
        "billing": ("billing", "electronic / paper (also E/P, EDI)"),
        "billed_by_pms": ("bool", "the PMS already billed it (Y/N, yes/no, 1/0, billed)"),
        "location": ("text", "office / location name"),
        "line_number": ("int", "line number within the claim (default: row order)"),
        "procedure_code": ("text", "CPT / HCPCS code"),
        "modifiers": ("list", "modifiers, separated by , ; or spaces"),
        "units": ("units", "units (default 1)"),
        "charge": ("money", "line charge"),
        "diagnosis_pointers": ("ints", "diagnosis pointers 1-12 (also letters A-L)"),
        "line_service_date": ("date", "the line's date of service (default: the claim's)"),
    },
}

# The longest text each field may hold (the database columns' lengths); longer is a problem.
MAX_LENGTH: dict[str, int] = {
    "pms_patient_id": 80, "account_number": 80, "last_name": 100, "first_name": 100,
    "address_line1": 200, "address_line2": 200, "city": 100, "state": 40, "zip": 20,
    "payer_name": 200, "payer_id": 80, "member_id": 80, "group_number": 80,
    "subscriber_name": 200, "subscriber_relationship": 40, "pms_appointment_id": 80,
    "status": 30, "location": 200, "provider": 120, "pms_claim_id": 80,
    "patient_control_number": 38, "procedure_code": 20,
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "patients": ("pms_patient_id",),
    "coverages": ("pms_patient_id", "payer_name"),
    "appointments": ("pms_appointment_id", "pms_patient_id", "starts_at"),
    "claims": ("pms_claim_id", "pms_patient_id", "service_date_from", "procedure_code", "charge"),
}


@dataclass(frozen=True)
class FileLayout:
    """One kind of export file: its default file-name pattern and the headers of its fields
    (preferred first). A file has one row per record; a claims file one row per claim line,
    the claim's own fields repeated on each of its lines."""

    kind: PracticeKind
    pattern: str
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    keys: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        known = FIELDS[self.kind]
        keys: dict[str, str] = {header_key(name): name for name in known}
        for name, aliases in self.aliases.items():
            if name not in known:
                raise ValueError(f"{self.kind}: unknown field {name!r}")
            for alias in aliases:
                key = header_key(alias)
                if keys.get(key, name) != name:
                    raise ValueError(f"{self.kind}: header {alias!r} given for two fields")
                keys[key] = name
        object.__setattr__(self, "keys", keys)

    def field_of(self, header: object) -> str | None:
        return self.keys.get(header_key(header))

    def header_of(self, name: str) -> str:
        aliases = self.aliases.get(name)
        return aliases[0] if aliases else name

    def markdown_table(self) -> str:
        out = ["| field | headers accepted | meaning |", "|---|---|---|"]
        for name, (_, meaning) in FIELDS[self.kind].items():
            shown = " / ".join(f"`{a}`" for a in (*self.aliases.get(name, ()), name))
            star = " (required)" if name in REQUIRED[self.kind] else ""
            out.append(f"| {name}{star} | {shown} | {meaning} |")
        return "\n".join(out)


@dataclass(frozen=True)
class PracticeLayout:
    """A vendor's practice-data export: one `FileLayout` per kind, plus its quirks in words."""

    vendor: str
    files: Mapping[str, FileLayout]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if set(self.files) != set(PRACTICE_KINDS):
            raise ValueError(f"{self.vendor}: a layout names one file per kind {PRACTICE_KINDS}")

    def markdown(self) -> str:
        """The layout as README text: one table per kind."""
        parts = []
        for kind in PRACTICE_KINDS:
            f = self.files[kind]
            parts.append(f"### {kind} (`{f.pattern}`)\n\n{f.markdown_table()}")
        return "\n\n".join(parts)


# The canonical columns of a hand import: the field names themselves.
CANONICAL = PracticeLayout(
    vendor="canonical",
    files={kind: FileLayout(kind, f"{kind}*") for kind in PRACTICE_KINDS},
)
