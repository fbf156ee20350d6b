"""A tiny 835 writer for posting tests: every amount is written exactly as given (strings or
Decimal), so a test says precisely what the payer sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Svc:
    code: str
    charge: str
    paid: str
    cas: list[tuple[str, str, str]] = field(default_factory=list)
    mods: list[str] = field(default_factory=list)
    allowed: str | None = None
    orig: str | None = None  # SVC06 restated original code, "HC:92014:25"
    date: str = "20260105"


@dataclass
class Clp:
    pcn: str
    status: str
    charge: str
    paid: str
    lines: list[Svc] = field(default_factory=list)
    cas: list[tuple[str, str, str]] = field(default_factory=list)
    pr: str = ""
    icn: str = ""
    patient: tuple[str, str, str] = ("DOE", "JANE", "M100")
    crossover: str | None = None
    dos: str | None = None


@dataclass
class Pay:
    trace: str
    amount: str
    claims: list[Clp] = field(default_factory=list)
    plb: list[tuple[str, str, str]] = field(default_factory=list)
    payer: str = "ACME HEALTH"
    payer_id: str = "ACME1"
    handling: str = "I"
    credit: str = "C"
    method: str = "ACH"
    date: str = "20260115"


def _amt(v: str | Decimal) -> str:
    return str(v)


def build_835(payments: list[Pay], control: int = 1) -> str:
    segs: list[list[str]] = [
        ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "CLEARINGHOUSE01", "ZZ",
         "EYEPRACTICE    ", "260115", "1200", "^", "00501", f"{control:09d}", "0", "P", ":"],
        ["GS", "HP", "CLEARINGHOUSE01", "EYEPRACTICE", "20260115", "1200", str(control), "X",
         "005010X221A1"],
    ]
    for n, p in enumerate(payments, start=1):
        st = [["ST", "835", f"{n:04d}"],
              ["BPR", p.handling, _amt(p.amount), p.credit, p.method, "", "", "", "", "", "", "",
               "", "", "", "", p.date]]
        if p.trace:
            st.append(["TRN", "1", p.trace, "1999999999"])
        st += [["DTM", "405", p.date], ["N1", "PR", p.payer], ["REF", "2U", p.payer_id],
               ["N1", "PE", "CLEARVIEW EYE", "XX", "1234567893"], ["LX", "1"]]
        for c in p.claims:
            st.append(["CLP", c.pcn, c.status, _amt(c.charge), _amt(c.paid), c.pr, "12",
                       c.icn, "11", "1"])
            st += _group(c.cas)
            last, first, member = c.patient
            st.append(["NM1", "QC", "1", last, first, "", "", "", "MI", member])
            if c.crossover:
                st.append(["NM1", "TT", "2", c.crossover, "", "", "", "", "PI", "XO1"])
            if c.dos:
                st.append(["DTM", "232", c.dos])
            for s in c.lines:
                proc = ":".join(["HC", s.code, *s.mods])
                svc = ["SVC", proc, _amt(s.charge), _amt(s.paid), "", "1"]
                if s.orig:
                    svc.append(s.orig)
                st.append(svc)
                st.append(["DTM", "472", s.date])
                for g in _group(s.cas):
                    st.append(g)
                if s.allowed is not None:
                    st.append(["AMT", "B6", s.allowed])
        if p.plb:
            seg = ["PLB", "1234567893", "20261231"]
            for reason, ref, amt in p.plb:
                seg += [f"{reason}:{ref}" if ref else reason, amt]
            st.append(seg)
        st.append(["SE", str(len(st) + 1), f"{n:04d}"])
        segs += st
    segs += [["GE", str(len(payments)), str(control)], ["IEA", "1", f"{control:09d}"]]
    return "".join("*".join(s) + "~\n" for s in segs)


def _cas(items: list[tuple[str, str, str]]) -> list[str]:
    seg = ["CAS", items[0][0]]
    for _, reason, amt in items:
        seg += [reason, amt, ""]
    return seg


def _group(items: list[tuple[str, str, str]]) -> list[list[str]]:
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for it in items:
        groups.setdefault(it[0], []).append(it)
    return [_cas(v) for v in groups.values()]
