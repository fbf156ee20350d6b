"""Read an .xlsx sheet's cells as the exact text stored in the file (numbers stay strings, so a
test compares money as Decimal without ever going through float)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}


def _col(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group(0)  # type: ignore[union-attr]
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def read_sheet(path: str | Path, title: str) -> dict[str, str]:
    """{"A1": text, ...} for the sheet named `title`."""
    with zipfile.ZipFile(path) as z:
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = None
        for s in wb.find("m:sheets", NS):  # type: ignore[union-attr]
            if s.get("name") == title:
                rid = s.get(f"{{{NS['r']}}}id")
                for rel in rels:
                    if rel.get("Id") == rid:
                        target = rel.get("Target")
        assert target, f"no sheet {title!r}"
        target = target.lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        shared: list[str] = []
        if "xl/sharedStrings.xml" in z.namelist():
            sst = ET.fromstring(z.read("xl/sharedStrings.xml"))
            for si in sst.findall("m:si", NS):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
        sheet = ET.fromstring(z.read(target))
    out: dict[str, str] = {}
    for c in sheet.iter(f"{{{NS['m']}}}c"):
        ref = c.get("r")
        t = c.get("t")
        if t == "inlineStr":
            out[ref] = "".join(x.text or "" for x in c.iter(f"{{{NS['m']}}}t"))
            continue
        v = c.find("m:v", NS)
        if v is None or v.text is None:
            continue
        out[ref] = shared[int(v.text)] if t == "s" else v.text
    return out


def row(cells: dict[str, str], n: int, width: int) -> list[str | None]:
    letters = []
    for i in range(1, width + 1):
        s = ""
        k = i
        while k:
            k, rem = divmod(k - 1, 26)
            s = chr(65 + rem) + s
        letters.append(s)
    return [cells.get(f"{letter}{n}") for letter in letters]
