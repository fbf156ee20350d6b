"""CMS-1500 PDFs with fpdf2, in two forms:

- `preprinted`: the data only, at the boxes of the red pre-printed form (what most practices
  load in the printer tray);
- `plain`: the whole form drawn (each box, its label, the service-line grid) with the same
  data at the same places, for plain paper.

Pure and blocking: callers on the event loop run it in a worker thread. Each claim prints on
one form per six service lines; box 28 is each form's own total, box 29 on its last form.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from fpdf import FPDF

from .cms1500 import (
    BOXES,
    COLUMN_PT,
    DIAGNOSIS_WIDTH,
    LINE_COLUMNS,
    LINE_ROWS,
    LINES_PER_FORM,
    PAGE_H_PT,
    PAGE_W_PT,
    ROW_PT,
    Box,
    ClaimForm,
    FormLine,
    diagnosis_position,
    money_boxes,
    to_points,
)

FormKind = Literal["preprinted", "plain"]
FORM_KINDS: tuple[FormKind, ...] = ("preprinted", "plain")
DATA_FONT = ("Courier", "", 12.0)  # 0.6 em wide: 7.2 pt, the form's 10 characters per inch
LABEL_FONT = ("Helvetica", "", 5.0)
BASELINE_PT = 9.5  # data baseline below its grid row's top
UNDRAWN = frozenset({"carrier", "33street", "33city"})  # inside another box's outline
TALL = {"33": 3}  # boxes whose data takes several rows


def _clean(text: str, width: int) -> str:
    """Upper case, what Courier's core encoding can print, cut to the box."""
    return text.upper().encode("latin-1", "replace").decode("latin-1")[:width]


class _Writer:
    def __init__(self, kind: FormKind) -> None:
        self.kind = kind
        self.pdf = FPDF(orientation="P", unit="pt", format=(PAGE_W_PT, PAGE_H_PT))
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(0, 0, 0)
        self.pdf.set_compression(True)
        self.pdf.set_creator("eyecare-gateway")

    def data(self, col: float, row: float, text: str, width: int) -> None:
        if not text:
            return
        x, y = to_points(col, row)
        self.pdf.text(x, y + BASELINE_PT, _clean(text, width))

    def page(self, form: ClaimForm, lines: list[FormLine], last: bool) -> None:
        self.pdf.add_page()
        if self.kind == "plain":
            self._frame()
        self.pdf.set_font(*DATA_FONT)
        for i, text in enumerate(form.carrier[:4]):
            self.data(BOXES["carrier"].col, BOXES["carrier"].row + i, text,
                      BOXES["carrier"].width)
        values = dict(form.values)
        values["28"] = money_boxes(sum(ln_cents(ln) for ln in lines), BOXES["28"].width)
        if not last:
            values.pop("29", None)
        for key, text in values.items():
            box = BOXES.get(key)
            if box is not None and key != "carrier":
                self.data(box.col, box.row, text, box.width)
        for i, code in enumerate(form.diagnoses[:12]):
            col, row = diagnosis_position(i)
            self.data(col, row, code, DIAGNOSIS_WIDTH)
        for row, line in zip(LINE_ROWS, lines, strict=False):
            self._line(row, line)

    def _line(self, row: int, line: FormLine) -> None:
        mods = (line.modifiers + ["", "", "", ""])[:4]
        cells = {"24a_from": line.date_from, "24a_to": line.date_to, "24b": line.place,
                 "24d": line.code, "24d_mod1": mods[0], "24d_mod2": mods[1],
                 "24d_mod3": mods[2], "24d_mod4": mods[3], "24e": line.pointer,
                 "24f": line.charge, "24g": line.units, "24j": line.npi}
        for key, text in cells.items():
            col, width = LINE_COLUMNS[key]
            self.data(col, row, text, width)

    def _frame(self) -> None:
        """The plain-paper form: title, every box with its label, box 21 and the box 24 grid."""
        pdf = self.pdf
        pdf.set_draw_color(200, 30, 30)
        pdf.set_text_color(200, 30, 30)
        pdf.set_line_width(0.5)
        pdf.set_font("Helvetica", "B", 11)
        pdf.text(*to_points(1, 5.6), "HEALTH INSURANCE CLAIM FORM")
        pdf.set_font(*LABEL_FONT)
        pdf.text(*to_points(1, 6.1), "APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12")
        for box in BOXES.values():
            if box.box not in UNDRAWN:
                _outline(pdf, box.label, box.col, box.row, box.width,
                         rows=TALL.get(box.box, 1))
        _outline(pdf, "21 DIAGNOSIS OR NATURE OF ILLNESS OR INJURY", 1, 37, 48, rows=3)
        for i, letter in enumerate("ABCDEFGHIJKL"):
            col, row = diagnosis_position(i)
            pdf.text(*to_points(col - 1.2, row + 0.6), letter + ".")
        _outline(pdf, "24 A. DATE(S) OF SERVICE   B. POS   D. PROCEDURES   E. POINTER   "
                 "F. $ CHARGES   G. UNITS   J. RENDERING NPI", 1, 43, 77, rows=12)
        for col, _width in LINE_COLUMNS.values():
            x, _ = to_points(col - 0.5, 0)
            pdf.line(x, 43.5 * ROW_PT, x, 55 * ROW_PT)
        for row in LINE_ROWS:
            pdf.line(*to_points(0.5, row - 1), *to_points(78.5, row - 1))
        pdf.set_draw_color(0, 0, 0)
        pdf.set_text_color(0, 0, 0)


def _outline(pdf: FPDF, label: str, col: int, row: int, width: int, rows: int = 1) -> None:
    """A box whose label sits on the row above its data, the data inside its lower part."""
    x, y = to_points(col - 0.5, row - 0.75)
    pdf.rect(x, y, (width + 1) * COLUMN_PT, (rows + 0.75) * ROW_PT)
    pdf.text(x + 1.5, y + 5.5, label)


def ln_cents(line: FormLine) -> int:
    dollars, _, cents = line.charge.strip().partition(" ")
    return int(dollars or 0) * 100 + int(cents or 0)


def form_pages(form: ClaimForm) -> list[list[FormLine]]:
    """The claim's lines, six to a form (one empty form for a claim without lines)."""
    chunks = [form.lines[i:i + LINES_PER_FORM] for i in range(0, len(form.lines),
                                                                LINES_PER_FORM)]
    return chunks or [[]]


def render(forms: Iterable[ClaimForm], kind: FormKind) -> bytes:
    """One PDF of every claim's forms, in order."""
    writer = _Writer(kind)
    for form in forms:
        pages = form_pages(form)
        for i, lines in enumerate(pages):
            writer.page(form, lines, last=i == len(pages) - 1)
    return bytes(writer.pdf.output())


__all__ = ["FORM_KINDS", "FormKind", "render", "form_pages", "Box"]
