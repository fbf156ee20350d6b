"""The pure-Python 835 reader, the reference implementation: what the compiled reader
(`_fast835.pyx`) must match segment for segment (tests/x12/test_fast835.py reads files both
ways), and what reads a file on from where the compiled one hands it over (see
`reader835._read_fast`).

`PureParser.parse` dispatches each segment by id: the claim loop's segments (the hot ones) have
a method each, in `_HOT`, as the compiled Parser has; the envelope, the header and the rare
segments go to `_cold`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

from gateway.core.x12.balance835 import _balance, _close_claim, _line_problem
from gateway.core.x12.balancing import line_difference
from gateway.core.x12.errors import X12Error
from gateway.core.x12.model835 import (
    ZERO,
    Adjustment,
    Amount,
    ClaimPayment,
    OutpatientAdjudication,
    Party,
    Reference,
    Remark,
    Remittance,
    ServiceLine,
)
from gateway.core.x12.segments835 import (
    _cas,
    _claim_party,
    _header_party,
    _header_ref,
    _mia,
    _moa,
    _plb,
    _remittance,
    _trn,
)
from gateway.core.x12.tokenizer import ENVELOPE_IDS, Delimiters, Envelope, check_segment_id
from gateway.core.x12.values835 import _M, _PAD, _Q, _date, _diagnose

Chunks = Iterable[tuple[int, list[str], Delimiters]]


# DTM qualifier -> the date field it fills, by the loop it stands in
_LINE_DATES = {"472": "service_date", "150": "service_start", "151": "service_end"}
_CLAIM_DATES = {"050": "received_date", "232": "statement_start", "233": "statement_end",
                "036": "coverage_expiration"}
_REMITTANCE_DATES = {"405": "production_date"}


class PureParser:
    """The pure reader's state while it reads a file: the transaction set, its open claim and
    service line, and their running sums. `parse` dispatches each segment by id; the hot
    segments (the claim loop's) have a method each, in `_HOT`, the rest go to `_cold`."""

    def __init__(self, env: Envelope, file: str | None) -> None:
        self.env, self.file = env, file
        self.known: set[str] = set(ENVELOPE_IDS)
        self.dates: dict[str, dt.date] = {}
        self.comp = ":"
        self._start_set(0, "")

    def _start_set(self, st_number: int, st_control: str) -> None:
        """A new transaction set (ST at segment `st_number`): nothing read of it yet."""
        self.rem: Remittance | None = None
        self.claims: list[ClaimPayment] = []
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.claim: ClaimPayment | None = None
        self.line: ServiceLine | None = None
        self.cadjs: list[Adjustment] = []  # adjustments of the current claim
        self.ladjs: list[Adjustment] = []  # adjustments of the current line
        self.clines: list[ServiceLine] = []  # lines of the current claim
        self.claim_adj = self.line_adj = ZERO
        self.paid_sum = self.plb_sum = ZERO
        self.header_ctx = ""  # "", "PR", "PE": which N1 loop of the header we are in
        self.header_number = ""
        self.st_number, self.st_control = st_number, st_control

    def parse(self, chunks: Chunks) -> Iterator[Remittance]:
        env, file, known, hot = self.env, self.file, self.known, _HOT
        n = 0
        e: list[str] = []
        try:
            for base, segments, delims in chunks:
                sep = delims.element
                self.comp = delims.component
                n = base
                for raw in segments:
                    n += 1
                    e = raw.split(sep)
                    t = e[0]
                    if self.rem is None and t not in ENVELOPE_IDS and not env.in_transaction():
                        if t not in known:
                            check_segment_id(t, n, file, raw)
                            known.add(t)
                        env.outside(n, t)  # even a claim segment: nothing may sit between sets
                    read = hot.get(t)
                    if read is not None:
                        read(self, e, n)
                        continue
                    rem = self._cold(e, n, raw)
                    if rem is not None:
                        yield rem
        except X12Error:
            raise
        except (ValueError, IndexError, ArithmeticError, AttributeError) as exc:
            raise _diagnose(e, n, file, exc) from None
        _finish_file(env, n, file)

    # -- hot segments: the claim loop ------------------------------------------------------

    def _cas(self, e: list[str], n: int) -> None:
        if self.line is not None:
            ne = len(e)
            if ne == 4:  # CAS*CO*45*12.34
                a = _M(e[3])
                self.ladjs.append(Adjustment(e[1], e[2], a))
            elif ne == 7 and not e[4]:  # CAS*CO*45*12.34**253*0.56
                a = _M(e[3])
                b = _M(e[6])
                self.ladjs.append(Adjustment(e[1], e[2], a))
                self.ladjs.append(Adjustment(e[1], e[5], b))
                a += b
            else:
                a = _cas(e, self.ladjs)
            self.line_adj += a
        elif self.claim is not None:
            self.claim_adj += _cas(e, self.cadjs)
        else:
            raise X12Error("CAS outside a claim (no CLP before it)",
                           segment=n, segment_id="CAS", file=self.file)

    def _dtm(self, e: list[str], n: int) -> None:
        d = self.dates.get(e[2])
        if d is None:
            d = _date(e[2])
            if len(self.dates) > 4096:
                self.dates.clear()
            self.dates[e[2]] = d
        # the innermost open loop owns the date; a qualifier it has no field for is ignored
        owner, fields = (
            (self.line, _LINE_DATES) if self.line is not None
            else (self.claim, _CLAIM_DATES) if self.claim is not None
            else (self.rem, _REMITTANCE_DATES)
        )
        field = fields.get(e[1])
        if owner is not None and field is not None:
            setattr(owner, field, d)

    def _svc(self, e: list[str], n: int) -> None:
        line, claim = self.line, self.claim
        if line is not None and claim is not None:  # a line is always in a claim
            self.claim_adj += self.line_adj
            if line_difference(line.charge, line.paid, self.line_adj):
                _line_problem(self.problems, claim, line, self.line_adj, self.file)
        elif claim is None:
            raise X12Error("SVC outside a claim (no CLP before it)",
                           segment=n, segment_id="SVC", file=self.file)
        comp = self.comp
        c = e[1].split(comp)
        ne = len(e)
        if ne == 4:
            line = ServiceLine(c[0], c[1] if len(c) > 1 else "",
                               tuple(c[2:]) if len(c) > 2 else (), _M(e[2]), _M(e[3]),
                               "", None, n)
        else:
            if ne < 8:
                e += _PAD[: 8 - ne]
            line = ServiceLine(c[0], c[1] if len(c) > 1 else "",
                               tuple(c[2:]) if len(c) > 2 else (), _M(e[2]), _M(e[3]),
                               e[4], _Q(e[5]) if e[5] else None, n)
            if e[6]:
                o = e[6].split(comp)
                line.original_procedure_qualifier = o[0]
                line.original_procedure_code = o[1] if len(o) > 1 else ""
                line.original_modifiers = tuple(o[2:])
            if e[7]:
                line.original_units = _Q(e[7])
        self.line = line
        self.ladjs = line.adjustments
        self.line_adj = ZERO
        self.clines.append(line)

    def _ref(self, e: list[str], n: int) -> None:
        q = e[1]
        line, claim = self.line, self.claim
        if line is not None:
            if q == "6R":
                line.control_number = e[2]
            elif q == "LU":
                line.location_number = e[2]
            else:
                line.references += (Reference(q, e[2]),)
        elif claim is not None:
            claim.references += (Reference(q, e[2]),)
        elif self.rem is not None:
            _header_ref(self.rem, self.header_ctx, q, e[2])

    def _amt(self, e: list[str], n: int) -> None:
        if self.line is not None:
            if e[1] == "B6":
                self.line.allowed = _M(e[2])
            else:
                self.line.amounts += (Amount(e[1], _M(e[2])),)
        elif self.claim is not None:
            self.claim.amounts += (Amount(e[1], _M(e[2])),)

    def _clp(self, e: list[str], n: int) -> None:
        if self.claim is not None:
            self._close_claim()
            self.line = None
        elif self.rem is None:
            raise X12Error("CLP before BPR", segment=n, segment_id="CLP", file=self.file)
        if len(e) < 14:
            e += _PAD[: 14 - len(e)]
        claim = ClaimPayment(
            e[1], e[2], _M(e[3]), _M(e[4]), _M(e[5]) if e[5] else ZERO,
            e[6], e[7], e[8], e[9], e[11],
            _Q(e[12]) if e[12] else None, _Q(e[13]) if e[13] else None,
        )
        claim.segment = n
        claim.header_number = self.header_number
        self.claim = claim
        self.cadjs = claim.adjustments
        self.clines = claim.lines
        self.claim_adj = ZERO
        self.paid_sum += claim.paid
        self.claims.append(claim)

    def _nm1(self, e: list[str], n: int) -> None:
        claim = self.claim
        if claim is not None:
            if e[1] == "QC" and len(e) == 10:
                claim.patient = Party("QC", e[3], e[4], e[5], e[7], e[8], e[9], e[2])
            else:
                _claim_party(claim, e)

    def _moa(self, e: list[str], n: int) -> None:
        if self.claim is not None:
            if len(e) == 4 and not e[1] and not e[2]:  # MOA***MA01
                self.claim.outpatient = OutpatientAdjudication(None, None, [e[3]])
            else:
                self.claim.outpatient = _moa(e)

    def _lq(self, e: list[str], n: int) -> None:
        if self.line is not None:
            self.line.remarks += (Remark(e[1], e[2]),)

    def _close_claim(self) -> None:
        assert self.claim is not None
        _close_claim(self.problems, self.claim, self.line, self.line_adj, self.claim_adj,
                     self.file)

    # -- cold path: envelope, header, PLB, rare claim segments ------------------------------

    def _cold(self, e: list[str], n: int, raw: str) -> Remittance | None:
        """Any other segment; returns the Remittance an SE closes."""
        t, file = e[0], self.file
        if t not in self.known:
            check_segment_id(t, n, file, raw)
            self.known.add(t)
        if t in ENVELOPE_IDS:
            return self._envelope(e, n)
        if not self.env.in_transaction():
            self.env.outside(n, t)
        if t == "BPR":
            if self.rem is not None:
                raise X12Error("a second BPR in the transaction set", segment=n,
                               segment_id=t, file=file)
            self.rem = _remittance(e, self.env, self.st_control, self.st_number, n, self.notes)
            return None
        rem = self.rem
        if rem is None:
            raise X12Error(
                f"{t} before BPR: an 835 transaction set must start with BPR",
                segment=n, segment_id=t, file=file,
            )
        if t == "LX" or t == "PLB":
            if self.claim is not None:
                self._close_claim()
            self.claim = self.line = None
            self.header_ctx = ""
            if t == "LX":
                self.header_number = e[1] if len(e) > 1 else ""
            else:
                self.plb_sum += _plb(rem, e, self.comp, n)
        elif t == "TRN":
            _trn(rem, e)
        elif t == "N1":
            self.header_ctx = e[1]
            _header_party(rem, e)
        elif t == "MIA" and self.claim is not None:
            self.claim.inpatient = _mia(e)
        # TS3/TS2 (provider summary), N3/N4/PER/RDM and QTY are not needed for posting and
        # are skipped.
        return None

    def _envelope(self, e: list[str], n: int) -> Remittance | None:
        t, file = e[0], self.file
        if t == "SE" and self.rem is not None:
            if self.claim is not None:
                self._close_claim()
            self.claim = self.line = None
        self.env.on_segment(n, e)
        if t == "ST":
            if e[1] != "835":
                raise X12Error(
                    f"transaction set {e[1]!r} is not an 835 remittance",
                    segment=n, segment_id=t, element=1, file=file,
                )
            self._start_set(n, e[2])
        elif t == "SE":
            rem = self.rem
            if rem is None:
                raise X12Error(
                    f"transaction set {self.st_control} has no BPR segment",
                    segment=n, segment_id=t, file=file,
                )
            rem.claims = self.claims
            rem.last_segment = n
            _balance(rem, self.paid_sum, self.plb_sum, self.problems, file)
            rem.balanced = not self.problems
            rem.problems = self.problems + self.notes
            self.rem = None
            return rem
        return None


_HOT: dict[str, Callable[[PureParser, list[str], int], None]] = {
    "CAS": PureParser._cas,
    "DTM": PureParser._dtm,
    "SVC": PureParser._svc,
    "REF": PureParser._ref,
    "AMT": PureParser._amt,
    "CLP": PureParser._clp,
    "NM1": PureParser._nm1,
    "MOA": PureParser._moa,
    "LQ": PureParser._lq,
}


def _finish_file(env: Envelope, n: int, file: str | None) -> None:
    """End of the file (segment `n` was the last): everything opened must be closed."""
    env.finish(n)
    if env.transactions == 0:
        raise X12Error("no 835 transaction set in the file", file=file)
