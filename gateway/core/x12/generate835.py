"""A deterministic 835 generator for tests, demos and the benchmark.

    text, expected = generate_835(claims=25, seed=7)
    write_835(path, claims=100_000, seed=1)          # streams to a file, returns expected

Same arguments, same bytes. Every file is balanced (per service line, per claim, and
BPR02 = sum CLP04 - sum PLB) and `expected` holds the totals it was built from, so tests can
check that a reader finds exactly them. Eye-care flavoured: exam/imaging codes, Medicare-like
CO-45/CO-253/PR-1/PR-2/PR-3 adjustments, OA-23 on secondary claims, denials (CO-18/CO-50/
CO-97), reversals (CLP02 22) followed by the corrected claim (CLP09 7), and provider-level
adjustments (WO recoupment, L6 interest, FB forwarding balance).

Money is generated in integer cents and written as X12 decimals; no floats anywhere.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

from gateway.core.x12.tokenizer import DEFAULT_DELIMITERS, Delimiters

_PAYERS = [
    ("MEDICARE PART B JURISDICTION F", "03402", "MB"),
    ("BLUE CROSS BLUE SHIELD OF SPRINGFIELD", "00621", "BL"),
    ("VISION BENEFITS OF AMERICA", "VBA01", "CI"),
    ("UNITED HEALTHCARE", "87726", "CI"),
    ("STATE MEDICAID", "77027", "MC"),
]
_PAYEES = [
    ("BRIGHT EYES OPTOMETRY", "2613186099"),
    ("LAKESIDE OPTOMETRIC GROUP", "2218096792"),
    ("FOCUS EYE ASSOCIATES", "2271218168"),
]
_CODES = ["92004", "92014", "92012", "92002", "92015", "92134", "92083", "92250", "76514",
          "99213", "99214", "V2020", "V2100", "92310"]
_MODS = ["", "", "", "", "25", "RT", "LT", "59", "GY"]
_LAST = ["SMITH", "JONES", "GARCIA", "PATEL", "NGUYEN", "CLARK", "HALL", "SCOTT", "PEREZ"]
_FIRST = ["ANA", "JOHN", "EMILY", "PAUL", "THOMAS", "MICHELLE", "RICHARD", "BETTY"]
_REMARKS = ["N4", "MA01", "N130", "M15", "N20"]


def _amount(cents: int, fixed: bool) -> str:
    value = Decimal(cents).scaleb(-2)
    if fixed:
        return f"{value:.2f}"
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _money(cents: int) -> str:
    return f"{Decimal(cents).scaleb(-2):.2f}"


class _Gen:
    def __init__(self, seed: int, fixed: bool) -> None:
        self.rng = random.Random(seed)
        self.fixed = fixed
        self.claim_no = 0

    def a(self, cents: int) -> str:
        return _amount(cents, self.fixed)

    def line(self, date: str, paid_share: int) -> tuple[list[list[str]], int, int, dict[str, int]]:
        """One SVC loop: (segments, charge, paid, adjustments by group)."""
        rng = self.rng
        code = rng.choice(_CODES)
        mod = rng.choice(_MODS)
        charge = rng.randint(2500, 32000)
        allowed = charge * rng.randint(35, 80) // 100
        contractual = charge - allowed
        pr_reason = rng.choice(["1", "2", "2", "3"])
        patient = allowed * rng.randint(0, 30) // 100 if pr_reason != "3" else min(allowed, 2500)
        sequestration = allowed * 2 // 100 if paid_share == 100 else 0
        paid = allowed - patient - sequestration
        oa = 0
        if paid_share < 100:  # secondary: the primary paid part of it
            oa = paid * (100 - paid_share) // 100
            paid -= oa
        adj: dict[str, int] = {}
        segs = [["SVC", f"HC:{code}" + (f":{mod}" if mod else ""), self.a(charge), self.a(paid),
                 "", "1"] if rng.random() < 0.5 else
                ["SVC", f"HC:{code}" + (f":{mod}" if mod else ""), self.a(charge), self.a(paid)],
                ["DTM", "472", date]]
        co = ["CAS", "CO", "45", self.a(contractual)]
        if sequestration:
            co += ["", "253", self.a(sequestration)]
        segs.append(co)
        adj["CO"] = contractual + sequestration
        if oa:
            segs.append(["CAS", "OA", "23", self.a(oa)])
            adj["OA"] = oa
        if patient:
            segs.append(["CAS", "PR", pr_reason, self.a(patient)])
            adj["PR"] = patient
        segs.append(["REF", "6R", str(rng.randint(10**9, 10**10 - 1))])
        segs.append(["AMT", "B6", self.a(allowed)])
        if rng.random() < 0.2:
            segs.append(["LQ", "HE", rng.choice(_REMARKS)])
        return segs, charge, paid, adj

    def claim(self, status: str, date: str) -> tuple[list[list[str]], dict[str, Any]]:
        rng = self.rng
        self.claim_no += 1
        pcn = f"PT{self.claim_no:07d}"
        nlines = rng.randint(1, 4)
        body: list[list[str]] = []
        charge = paid = patient = 0
        adj: dict[str, int] = {}
        line_paid: list[int] = []
        if status == "4":  # denial: everything CO, nothing paid
            reason = rng.choice(["18", "50", "97", "16"])
            for _ in range(nlines):
                c = rng.randint(2500, 32000)
                code = rng.choice(_CODES)
                body += [["SVC", f"HC:{code}", self.a(c), "0"], ["DTM", "472", date],
                         ["CAS", "CO", reason, self.a(c)],
                         ["REF", "6R", str(rng.randint(10**9, 10**10 - 1))],
                         ["LQ", "HE", "N522"]]
                charge += c
                line_paid.append(0)
            adj["CO"] = charge
        else:
            share = 100 if status == "1" else rng.randint(20, 60)
            for _ in range(nlines):
                segs, c, p, a = self.line(date, share)
                body += segs
                charge += c
                paid += p
                patient += a.get("PR", 0)
                line_paid.append(p)
                for k, v in a.items():
                    adj[k] = adj.get(k, 0) + v
        last, first = rng.choice(_LAST), rng.choice(_FIRST)
        head = [
            ["CLP", pcn, status, self.a(charge), self.a(paid), self.a(patient) if patient else "",
             "MB", f"{rng.randint(10**12, 10**13 - 1)}", "11", "1"],
            ["NM1", "QC", "1", last, first, "", "", "", "MI", f"W{rng.randint(10**8, 10**9 - 1)}"],
        ]
        if rng.random() < 0.3:
            head.append(["NM1", "82", "1", "PATEL", "ANITA", "", "", "", "XX", "1824628196"])
        if status in ("1", "2") and rng.random() < 0.5:
            head.append(["MOA", "", "", rng.choice(_REMARKS)])
        head.append(["DTM", "050", date])
        info = {"clp01": pcn, "clp02": status, "charge": charge, "paid": paid,
                "patient_resp": patient, "adjustments": adj, "service_paid": line_paid,
                "service_lines": nlines}
        return head + body, info

    @staticmethod
    def reversal(segs: list[list[str]], info: dict[str, Any]) -> tuple[list[list[str]],
                                                                          dict[str, Any]]:
        """The same claim reversed: CLP02 22, every amount negated."""
        out = []
        for s in segs:
            s = list(s)
            if s[0] == "CLP":
                s[2] = "22"
                for i in (3, 4, 5):
                    if s[i]:
                        s[i] = _neg(s[i])
            elif s[0] == "SVC":
                s[2], s[3] = _neg(s[2]), _neg(s[3])
            elif s[0] == "CAS":
                for i in range(3, len(s), 3):
                    s[i] = _neg(s[i])
            elif s[0] == "AMT":
                s[2] = _neg(s[2])
            out.append(s)
        neg = {"clp01": info["clp01"], "clp02": "22", "charge": -info["charge"],
               "paid": -info["paid"], "patient_resp": -info["patient_resp"],
               "adjustments": {k: -v for k, v in info["adjustments"].items()},
               "service_paid": [-p for p in info["service_paid"]],
               "service_lines": info["service_lines"]}
        return out, neg


def _neg(text: str) -> str:
    if text in ("0", "0.00", ""):
        return text
    return text[1:] if text.startswith("-") else "-" + text


def _isa(control: int, date: dt.date, d: Delimiters) -> list[str]:
    return ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "CLEARINGHOUSE01", "ZZ",
            "EYEPRACTICE    ", date.strftime("%y%m%d"), "1200", d.repetition or "^", "00501",
            f"{control:09d}", "0", "P", d.component]


def join_segment(elements: list[str], d: Delimiters) -> str:
    """One segment as text with its terminator (components already joined with ':')."""
    if d.component != ":":
        elements = [e.replace(":", d.component) for e in elements]
    return d.element.join(elements) + d.segment


def iter_835(
    claims: int,
    seed: int = 1,
    *,
    claims_per_st: int = 1000,
    delimiters: Delimiters = DEFAULT_DELIMITERS,
    newline: str = "",
    fixed_decimals: bool = False,
    expected: dict[str, Any] | None = None,
) -> Iterator[str]:
    """Yield the file's text piece by piece (one transaction set at a time)."""
    gen = _Gen(seed, fixed_decimals)
    rng = gen.rng
    d = delimiters
    exp = expected if expected is not None else {}
    exp.update(transactions=[], claims=[])
    base_date = dt.date(2024, 1, 2) + dt.timedelta(days=rng.randint(0, 300))
    isa13 = 100000000 + seed % 899999999
    sep = newline

    def out(segs: list[list[str]]) -> str:
        return "".join(join_segment(s, d) + sep for s in segs)

    yield out([_isa(isa13, base_date, d),
               ["GS", "HP", "CLEARINGHOUSE01", "EYEPRACTICE", base_date.strftime("%Y%m%d"),
                "1200", str(seed % 10**9 or 1), "X", "005010X221A1"]])
    st_count = 0
    remaining = claims
    totals = {"payment": 0, "paid": 0, "charge": 0, "patient": 0, "plb": 0, "lines": 0}
    while remaining > 0:
        n = min(claims_per_st, remaining)
        remaining -= n
        st_count += 1
        st02 = f"{st_count:04d}"
        payer = rng.choice(_PAYERS)
        payee = rng.choice(_PAYEES)
        pay_date = (base_date + dt.timedelta(days=st_count % 5)).strftime("%Y%m%d")
        body, infos = _claims(gen, n, base_date)
        paid = sum(i["paid"] for i in infos)
        plb, net = _provider_adjustments(gen, paid, payee, base_date, body)
        bpr = _bpr(gen, net, pay_date)
        trn02 = f"{rng.randint(10**9, 10**10 - 1)}"
        segs = _header(st02, bpr, trn02, payer, payee, base_date) + body
        segs.append(["SE", str(len(segs) + 1), st02])
        yield out(segs)
        _expect(exp, totals, _Made(st02, bpr, net, trn02, payer, payee, paid, plb, infos))
    yield out([["GE", str(st_count), str(seed % 10**9 or 1)], ["IEA", "1", f"{isa13:09d}"]])
    exp["totals"] = {
        "transaction_count": st_count, "claim_count": claims,
        "service_line_count": totals["lines"], "payment_total": _money(totals["payment"]),
        "claim_paid_total": _money(totals["paid"]), "charge_total": _money(totals["charge"]),
        "patient_resp_total": _money(totals["patient"]), "plb_total": _money(totals["plb"]),
    }


def _claims(gen: _Gen, n: int, base_date: dt.date) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """The LX and `n` claims of one transaction set (a few reversed and corrected), with what
    each was built from."""
    rng = gen.rng
    body: list[list[str]] = [["LX", "1"]]
    infos: list[dict[str, Any]] = []
    made = 0
    while made < n:
        svc_date = (base_date - dt.timedelta(days=rng.randint(5, 60))).strftime("%Y%m%d")
        roll = rng.random()
        if roll < 0.05 and n - made >= 2:
            segs, info = gen.claim("1", svc_date)
            rsegs, rinfo = gen.reversal(segs, info)
            body += rsegs
            infos.append(rinfo)
            segs, info = gen.claim("1", svc_date)
            segs[0][9] = "7"  # corrected claim replaces the reversed one
            body += segs
            infos.append(info)
            made += 2
            continue
        status = "4" if roll < 0.13 else "2" if roll < 0.21 else "19" if roll < 0.23 else "1"
        segs, info = gen.claim(status, svc_date)
        body += segs
        infos.append(info)
        made += 1
    return body, infos


def _provider_adjustments(
    gen: _Gen, paid: int, payee: tuple[str, ...], base_date: dt.date, body: list[list[str]]
) -> tuple[list[tuple[str, str, int]], int]:
    """The PLB (appended to `body` when there is one) and the net payment it leaves."""
    rng = gen.rng
    plb: list[tuple[str, str, int]] = []
    if rng.random() < 0.5 and paid > 2000:
        plb.append(("WO", f"{rng.randint(10**15, 10**16 - 1)}", rng.randint(100, paid // 4)))
    if rng.random() < 0.2:
        plb.append(("L6", f"INT{rng.randint(1000, 9999)}", -rng.randint(1, 900)))
    net = paid - sum(p[2] for p in plb)
    if net < 0:
        plb.append(("FB", f"FB{rng.randint(10**7, 10**8 - 1)}", net))
        net = 0
    if plb:
        seg = ["PLB", payee[1], f"{base_date.year}1231"]
        for code, ref, amt in plb:
            seg += [f"{code}:{ref}", gen.a(amt)]
        body.append(seg)
    return plb, net


def _bpr(gen: _Gen, net: int, pay_date: str) -> list[str]:
    """The payment: none when `net` is zero, else ACH or a cheque at random."""
    if net == 0:
        return ["BPR", "H", "0", "C", "NON", "", "", "", "", "", "", "", "", "", "", "",
                pay_date]
    if gen.rng.random() < 0.5:
        return ["BPR", "I", gen.a(net), "C", "ACH", "CCP", "01", "344055986", "DA",
                "4906068157", "1260181590", "", "01", "389319425", "DA", "083400571727",
                pay_date]
    return ["BPR", "C", gen.a(net), "C", "CHK", "", "", "", "", "", "", "", "", "",
            "", "", pay_date]


def _header(
    st02: str, bpr: list[str], trn02: str, payer: tuple[str, ...], payee: tuple[str, ...],
    base_date: dt.date,
) -> list[list[str]]:
    return [
        ["ST", "835", st02],
        bpr,
        ["TRN", "1", trn02, "1260181590"],
        ["REF", "EV", "SUB958492"],
        ["DTM", "405", base_date.strftime("%Y%m%d")],
        ["N1", "PR", payer[0]],
        ["N3", "4649 CEDAR LN"],
        ["N4", "FRESNO", "CA", "937213721"],
        ["REF", "2U", payer[1]],
        ["PER", "BL", "EDI SUPPORT", "TE", "8881781551"],
        ["N1", "PE", payee[0], "XX", payee[1]],
        ["N3", "6466 OAK AVE", "SUITE 316"],
        ["N4", "DENVER", "CO", "80202"],
        ["REF", "TJ", "139099603"],
    ]


@dataclass
class _Made:
    """What one transaction set was built from."""

    st02: str
    bpr: list[str]
    net: int
    trn02: str
    payer: tuple[str, ...]
    payee: tuple[str, ...]
    paid: int
    plb: list[tuple[str, str, int]]
    infos: list[dict[str, Any]]


def _expect(exp: dict[str, Any], totals: dict[str, int], made: _Made) -> None:
    """Record what one transaction set was built from, for the tests to check against."""
    infos, plb, st02 = made.infos, made.plb, made.st02
    lines = sum(i["service_lines"] for i in infos)
    exp["transactions"].append({
        "st02": st02, "bpr01": made.bpr[1], "bpr02": _money(made.net), "bpr04": made.bpr[4],
        "trn02": made.trn02, "payer_name": made.payer[0], "payer_id": made.payer[1],
        "payee_name": made.payee[0], "payee_npi": made.payee[1], "claim_count": len(infos),
        "service_line_count": lines, "claim_paid_total": _money(made.paid),
        "plb_total": _money(sum(p[2] for p in plb)),
        "plb": [{"code": c, "ref": r, "amount": _money(a)} for c, r, a in plb],
    })
    for i in infos:
        exp["claims"].append({
            "st02": st02, "clp01": i["clp01"], "clp02": i["clp02"],
            "charge": _money(i["charge"]), "paid": _money(i["paid"]),
            "patient_resp": _money(i["patient_resp"]),
            "adjustments": {k: _money(v) for k, v in sorted(i["adjustments"].items())},
            "service_lines": i["service_lines"],
            "service_paid": [_money(p) for p in i["service_paid"]],
        })
    totals["payment"] += made.net
    totals["paid"] += made.paid
    totals["charge"] += sum(i["charge"] for i in infos)
    totals["patient"] += sum(i["patient_resp"] for i in infos)
    totals["plb"] += sum(p[2] for p in plb)
    totals["lines"] += lines


def generate_835(claims: int, seed: int = 1, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    """The whole file as text, and the totals it was built from."""
    expected: dict[str, Any] = {}
    text = "".join(iter_835(claims, seed, expected=expected, **kwargs))
    return text, expected


def write_835(path: str, claims: int, seed: int = 1, **kwargs: Any) -> dict[str, Any]:
    """Stream a generated file to `path`; returns the expected totals."""
    expected: dict[str, Any] = {}
    with open(path, "w", encoding="ascii", newline="") as fh:
        _write(fh, iter_835(claims, seed, expected=expected, **kwargs))
    return expected


def _write(fh: TextIO, parts: Iterator[str]) -> None:
    for part in parts:
        fh.write(part)
