"""The CMS-1500 (02/12) form as data: what a claim puts in each box, and where each box is.

Positions are on the form's print grid (10 characters per inch, 6 lines per inch on a letter
page: 80 columns by 66 lines), which is how the red pre-printed form is laid out for
pin-fed and laser printers; `col` / `row` are 0-based. `BOXES` is the one table the
data-only renderer, the plain-paper renderer (which draws each box around its data) and the
tests read, so the two forms cannot drift apart.
"""

from __future__ import annotations

import msgspec

COLUMN_PT = 7.2  # 10 cpi
ROW_PT = 12.0  # 6 lpi
PAGE_W_PT = 612.0  # 8.5 in
PAGE_H_PT = 792.0  # 11 in
LEFT_PT = 18.0  # 80 columns = 576 pt, centred
LINES_PER_FORM = 6  # box 24 holds six service lines; more lines continue on another form


class Box(msgspec.Struct, frozen=True):
    """A field of the form: its box number and label, where its data starts, how wide."""

    box: str
    label: str
    col: int
    row: int
    width: int  # characters


def _b(box: str, label: str, col: int, row: int, width: int) -> Box:
    return Box(box, label, col, row, width)


BOXES: dict[str, Box] = {b.box: b for b in (
    _b("carrier", "CARRIER", 42, 2, 36),
    _b("1", "1 GROUP HEALTH PLAN", 36, 7, 1),
    _b("1a", "1a INSURED'S I.D. NUMBER", 49, 7, 29),
    _b("2", "2 PATIENT'S NAME", 1, 9, 28),
    _b("3", "3 PATIENT'S BIRTH DATE", 30, 9, 10),
    _b("3m", "M", 41, 9, 1),
    _b("3f", "F", 46, 9, 1),
    _b("4", "4 INSURED'S NAME", 49, 9, 29),
    _b("5", "5 PATIENT'S ADDRESS", 1, 11, 28),
    _b("6", "6 SELF", 32, 11, 1),
    _b("7", "7 INSURED'S ADDRESS", 49, 11, 29),
    _b("5city", "CITY", 1, 13, 24),
    _b("5state", "STATE", 26, 13, 3),
    _b("7city", "CITY", 49, 13, 23),
    _b("7state", "STATE", 73, 13, 3),
    _b("5zip", "ZIP CODE", 1, 15, 12),
    _b("7zip", "ZIP CODE", 49, 15, 12),
    _b("9", "9 OTHER INSURED'S NAME", 1, 17, 28),
    _b("11", "11 INSURED'S GROUP NUMBER", 49, 17, 29),
    _b("9a", "9a OTHER INSURED'S POLICY", 1, 19, 28),
    _b("11a", "11a INSURED'S BIRTH DATE", 49, 19, 10),
    _b("9d", "9d INSURANCE PLAN NAME", 1, 25, 28),
    _b("11d_yes", "11d YES", 50, 25, 1),
    _b("11d_no", "NO", 55, 25, 1),
    _b("12", "12 PATIENT'S SIGNATURE", 5, 29, 22),
    _b("13", "13 INSURED'S SIGNATURE", 54, 29, 22),
    _b("21ind", "21 ICD IND", 33, 36, 1),
    _b("25", "25 FEDERAL TAX I.D.", 1, 57, 15),
    _b("25ein", "EIN", 18, 57, 1),
    _b("26", "26 PATIENT'S ACCOUNT NO.", 22, 57, 14),
    _b("27", "27 ACCEPT ASSIGNMENT", 37, 57, 1),
    _b("28", "28 TOTAL CHARGE", 50, 57, 9),
    _b("29", "29 AMOUNT PAID", 61, 57, 9),
    _b("31", "31 SIGNATURE OF PHYSICIAN", 1, 60, 20),
    _b("31date", "DATE", 1, 62, 10),
    _b("32", "32 SERVICE FACILITY", 22, 59, 26),
    _b("33", "33 BILLING PROVIDER", 49, 59, 29),
    _b("33street", "ADDRESS", 49, 60, 29),
    _b("33city", "CITY STATE ZIP", 49, 61, 29),
    _b("33a", "33a NPI", 50, 62, 10),
    _b("33phone", "PHONE", 64, 62, 14),
)}

# box 21: twelve diagnosis codes, A-L, four to a row
DIAGNOSIS_ROW = 37
DIAGNOSIS_COLS = (2, 15, 28, 41)
DIAGNOSIS_WIDTH = 8
# box 24: one data row per service line (the shaded supplemental row is above each)
LINE_ROWS = (44, 46, 48, 50, 52, 54)
LINE_COLUMNS: dict[str, tuple[int, int]] = {  # field: (col, width)
    "24a_from": (1, 8), "24a_to": (10, 8), "24b": (19, 2), "24d": (25, 6),
    "24d_mod1": (32, 2), "24d_mod2": (35, 2), "24d_mod3": (38, 2), "24d_mod4": (41, 2),
    "24e": (44, 4), "24f": (49, 8), "24g": (58, 3), "24j": (67, 11),
}


def diagnosis_position(index: int) -> tuple[int, int]:
    """(col, row) of diagnosis A (0) .. L (11) in box 21."""
    return DIAGNOSIS_COLS[index % 4], DIAGNOSIS_ROW + index // 4


def to_points(col: float, row: float) -> tuple[float, float]:
    """Top-left of a grid cell, in points from the page's top-left."""
    return LEFT_PT + col * COLUMN_PT, row * ROW_PT


class FormLine(msgspec.Struct, kw_only=True):
    """A box 24 service line, already in the form's spelling."""

    date_from: str  # MM DD YY
    date_to: str
    place: str  # place of service, e.g. 11 office
    code: str
    modifiers: list[str] = []
    pointer: str  # diagnosis pointer letters, e.g. "AB"
    charge: str  # dollars and cents in the form's split boxes, e.g. "  120 00"
    units: str
    npi: str = ""


class ClaimForm(msgspec.Struct, kw_only=True):
    """Everything one claim prints, in the form's spelling (upper case, dates MM DD YYYY, money
    as dollars and cents). Stored with the print batch, so a reprint is the same."""

    claim_id: int
    carrier: list[str]  # the payer's name (and address lines when known)
    values: dict[str, str]  # box -> text, for the single-value boxes of BOXES
    diagnoses: list[str] = []
    lines: list[FormLine] = []


def money_boxes(cents: int, width: int = 8) -> str:
    """Dollars right-aligned before a space and two cent digits (the form has no point)."""
    dollars, rest = divmod(abs(cents), 100)
    return f"{dollars} {rest:02d}".rjust(width)
