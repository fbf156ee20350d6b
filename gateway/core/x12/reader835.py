"""Streaming 835 reader: one `Remittance` per transaction set, memory bounded by the largest.

    for remittance in iter_remittances("era.835"):
        ...                      # Remittance -> ClaimPayment -> ServiceLine Structs

Input is a path, bytes or a binary stream. The file is read in chunks and each transaction
set is yielded as soon as its SE is read, so memory holds one transaction (at most ~1000
claims by convention), never the whole file.

Bad X12 (envelope mismatch, a segment out of place, a non-numeric amount, a bad date) raises
`X12Error` located at the segment and element. A caller that must reject a bad file whole
(the posting engine) should consume the iterator completely inside its database transaction,
or call `read_remittances()` to get a list. Money that does not balance is *not* an error here:
it is reported in `Remittance.problems` / `Remittance.balanced` for the posting engine to queue.

The reader is one loop with an if-chain over segment ids, ordered by frequency; that shape is
deliberate (it is the hot path measured in benchmarks/x12_835.py). Element values are only
validated where they are converted; when a conversion fails, `_diagnose` re-reads the segment
to name the element and the reason.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import gc
import itertools
import os
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.core.money import MoneyError, checked, format_money
from gateway.core.x12.balancing import claim_difference, line_difference
from gateway.core.x12.errors import X12Error
from gateway.core.x12.model835 import (
    ZERO,
    Adjustment,
    Amount,
    ClaimPayment,
    InpatientAdjudication,
    OutpatientAdjudication,
    Party,
    ProviderAdjustment,
    Reference,
    Remark,
    Remittance,
    RemittanceSummary,
    ServiceLine,
)
from gateway.core.x12.tokenizer import (
    ENVELOPE_IDS,
    Delimiters,
    Envelope,
    Tokenizer,
    check_segment_id,
)

# ASCII digits only (`\d` would take Arabic-Indic and other Unicode digits, as `Decimal` does).
_NUMBER = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)\Z")
# An amount's text as X12's R type may write it (a sign, an exponent); its value is then held
# to the money rules of `gateway.core.money` (finite, whole cents, below 2^63 cents).
_AMOUNT_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?\Z")
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})
_PLAIN_CENTS = re.compile(r"-?[0-9]{1,15}(\.[0-9]{0,2})?\Z")  # the common form: no more checks
# Amounts are parsed with a private context: exact up to 34 digits (more raises Inexact rather
# than rounding silently), and `create_decimal` is cheaper than `Decimal(str)`.
_CTX = decimal.Context(prec=34, traps=[decimal.InvalidOperation, decimal.Inexact])
_D = _CTX.create_decimal
_PAD = [""] * 32

# Which elements of which segment are numbers / dates, for error diagnosis.
_NUMERIC: dict[str, tuple[int, ...]] = {
    "BPR": (2,),
    "CLP": (3, 4, 5, 12, 13),
    "SVC": (2, 3, 5, 7),
    "CAS": (3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19),
    "AMT": (2,),
    "PLB": (4, 6, 8, 10, 12, 14),
    "MOA": (1, 2, 8, 9),
    "MIA": (1, 2, 3, 4),
    "QTY": (2,),
}
# ...and which of them are money (the rest are units, quantities, weights, percentages).
_MONEY: dict[str, tuple[int, ...]] = {
    "BPR": (2,), "CLP": (3, 4, 5), "SVC": (2, 3), "CAS": (3, 6, 9, 12, 15, 18), "AMT": (2,),
    "PLB": (4, 6, 8, 10, 12, 14),
}
_DATES: dict[str, tuple[int, ...]] = {"DTM": (2,), "PLB": (2,)}
_REQUIRED: dict[str, tuple[int, ...]] = {
    "BPR": (1, 2, 3, 4), "CLP": (1, 2, 3, 4), "SVC": (1, 2, 3), "CAS": (1, 2, 3), "AMT": (1, 2),
    "DTM": (1, 2), "REF": (1, 2), "TRN": (1, 2), "LQ": (1, 2), "PLB": (1, 2), "N1": (1,),
    "NM1": (1,),
}


def _date(text: str) -> dt.date:
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"not a date (CCYYMMDD): {text!r}")
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _date_or_none(text: str) -> dt.date | None:
    try:
        return _date(text) if text else None
    except ValueError:
        return None


def _money_problem(text: str) -> str | None:
    """Why `text` is not an amount of money in an 835 (None when it is one)."""
    if not _AMOUNT_TEXT.match(text):
        if text.strip("+-").lower() in _NOT_FINITE:
            return f"not a number (NaN or Infinity): {text!r}"
        return f"not a number: {text!r}"
    try:
        _CTX.create_decimal(text)
    except decimal.Inexact:
        return f"an amount has more than 34 digits: {text!r}"
    try:
        checked(Decimal(text), text)
    except MoneyError as exc:
        return str(exc)
    return None


def _M(text: str) -> Decimal:
    """An amount of money (CLP03, SVC02, CAS amounts, PLB, BPR02, AMT02...)."""
    if _PLAIN_CENTS.match(text):
        return _D(text)
    why = _money_problem(text)
    if why is not None:
        raise MoneyError(why)
    return _D(text)


def _Q(text: str) -> Decimal:
    """A number that is not money (units, quantities, DRG weights): ASCII digits, finite."""
    if not _AMOUNT_TEXT.match(text):
        raise ValueError(f"not a number: {text!r}")
    return _D(text)


def _opt_num(text: str) -> Decimal | None:
    if not text:
        return None
    if not _NUMBER.match(text):
        raise ValueError(f"not a number: {text!r}")
    return Decimal(text)


def _diagnose(e: list[str], number: int, file: str | None, exc: BaseException) -> X12Error:
    """Turn a conversion failure inside the hot loop into a located `X12Error`."""
    tag = e[0] if e else ""
    for pos in _REQUIRED.get(tag, ()):
        if pos >= len(e) or not e[pos]:
            return X12Error("required element is missing", segment=number, segment_id=tag,
                            element=pos, file=file)
    for pos in _MONEY.get(tag, ()):
        why = _money_problem(e[pos]) if pos < len(e) and e[pos] else None
        if why is not None:
            return X12Error(why, segment=number, segment_id=tag, element=pos, file=file)
    for pos in _NUMERIC.get(tag, ()):
        if pos < len(e) and e[pos] and not _AMOUNT_TEXT.match(e[pos]):
            return X12Error(f"not a number: {e[pos]!r}", segment=number, segment_id=tag,
                            element=pos, file=file)
    for pos in _DATES.get(tag, ()):
        if pos < len(e) and e[pos]:
            try:
                _date(e[pos])
            except ValueError:
                return X12Error(f"not a date (CCYYMMDD): {e[pos]!r}", segment=number,
                                segment_id=tag, element=pos, file=file)
    if isinstance(exc, IndexError):
        return X12Error(f"too few elements ({len(e) - 1}): a required element is missing",
                        segment=number, segment_id=tag, file=file)
    if isinstance(exc, decimal.Inexact):
        return X12Error("an amount has more than 34 digits", segment=number, segment_id=tag,
                        file=file)
    if isinstance(exc, InvalidOperation):
        return X12Error("an amount of this claim is not a number (NaN or Infinity)",
                        segment=number, segment_id=tag, file=file)
    return X12Error(f"{type(exc).__name__}: {exc}", segment=number, segment_id=tag, file=file)


def _not_a_number(what: str, segment: int, tag: str, file: str | None) -> X12Error:
    return X12Error(f"{what} is not a number (NaN or Infinity)", segment=segment,
                    segment_id=tag, file=file)


def _close_claim(
    problems: list[str], claim: ClaimPayment, line: ServiceLine | None, line_adj: Decimal,
    claim_adj: Decimal, file: str | None,
) -> None:
    """Balance a finished claim (and its open last line): CLP03 - CLP04 = its CAS and its
    lines' CAS; SVC02 - SVC03 = the line's CAS. Problems are reported, not raised."""
    if line is not None:
        claim_adj += line_adj
        if line_difference(line.charge, line.paid, line_adj):
            _line_problem(problems, claim, line, line_adj, file)
    if claim_difference(claim.charge, claim.paid, claim_adj):
        _claim_problem(problems, claim, claim_adj, file)


def _line_problem(
    problems: list[str], claim: ClaimPayment, line: ServiceLine, adj: Decimal, file: str | None
) -> None:
    if not (line.charge.is_finite() and line.paid.is_finite()):
        raise _not_a_number("a service line amount", line.segment, "SVC", file)
    if not adj.is_finite():
        raise _not_a_number("an adjustment (CAS) amount of this line", line.segment, "SVC", file)
    problems.append(
        f"segment {line.segment} (SVC): service line "
        f"{':'.join(filter(None, (line.procedure_qualifier, line.procedure_code)))} of claim "
        f"{claim.patient_control_number}: charge {format_money(line.charge)} - paid "
        f"{format_money(line.paid)} = {format_money(line.charge - line.paid)} but its "
        f"adjustments total {format_money(adj)}"
    )


def _claim_problem(
    problems: list[str], claim: ClaimPayment, adj: Decimal, file: str | None
) -> None:
    if not (claim.charge.is_finite() and claim.paid.is_finite()):
        raise _not_a_number("a claim amount", claim.segment, "CLP", file)
    if not adj.is_finite():
        raise _not_a_number("an adjustment (CAS) amount of this claim", claim.segment, "CLP",
                            file)
    problems.append(
        f"segment {claim.segment} (CLP): claim {claim.patient_control_number}: charge "
        f"{format_money(claim.charge)} - paid {format_money(claim.paid)} = "
        f"{format_money(claim.charge - claim.paid)} but adjustments total "
        f"{format_money(adj)}"
    )


def iter_remittances(source: Any, *, name: str | None = None) -> Iterator[Remittance]:
    """Yield one `Remittance` per 835 transaction set in `source` (path, bytes or stream).

    While a transaction set is being read the cyclic garbage collector is paused (the Structs
    built are trees and cannot leak through cycles; pausing it saves a third of the time on
    big files); it is restored before each `Remittance` is handed out and on any error.
    """
    pure = _fast835 is None or os.environ.get("GATEWAY_PURE_PYTHON") == "1"
    read = _read if pure else _read_fast
    gc_was_enabled = gc.isenabled()
    try:
        gc.disable()
        for rem in read(source, name):
            if gc_was_enabled:
                gc.enable()
            yield rem
            gc.disable()
    finally:
        if gc_was_enabled:
            gc.enable()


def _read(source: Any, name: str | None) -> Iterator[Remittance]:
    tok = Tokenizer(source, name=name)
    yield from _parse(_delimited(tok), Envelope(file=tok.name), tok.name)


def _read_fast(source: Any, name: str | None) -> Iterator[Remittance]:
    """The compiled reader (`_fast835.Parser`), handing over to `_parse` when it must.

    The hand-over point is just after the last SE whose Remittance was yielded (or the start
    of the file), with a copy of the envelope state there: `_parse` reads on from it, so what
    it yields or raises is what the pure reader alone would have from that point on. The
    chunks since that point are kept for it (at most the span of one transaction set).
    """
    tok = _CompiledTokenizer(source, name=name)
    file = tok.name
    env = Envelope(file=file)
    parser = _fast835.Parser(env, file)
    chunks = _delimited(tok)
    since: list[tuple[int, Any, Delimiters, int]] = []  # (base, segments, delims, start)
    env_then = copy.copy(env)
    n = 0
    for base, segments, delims in chunks:
        since.append((base, segments, delims, 0))
        i = 0
        while True:
            try:
                if not _exact_context():
                    raise _fast835.Unhandled("Decimal context rounds sums")
                rem = parser.feed(segments, i, base, delims)
            except Exception:  # the pure reader reads (or rejects) it from the last SE on
                replay = [(b + start, segs[start:], d) for b, segs, d, start in since]
                yield from _parse(itertools.chain(replay, chunks), env_then, file)
                return
            if rem is None:
                break
            i = parser.next
            yield rem
            since = [(base, segments, delims, i)]
            env_then = copy.copy(env)
        n = base + len(segments)
    _finish_file(env, n, file)


class _CompiledTokenizer(Tokenizer):
    """The tokenizer with compiled splitting: a chunk's segments are located in its text
    (`_fast835.Segments`), not copied out, whenever the plain split applies; otherwise (line
    breaks or blanks to normalize, text beyond Latin-1) `Tokenizer._split` does it."""

    def _find(self, body: str, key: str, term: str) -> int:
        at = _fast835.find_segment(body, key, term)
        return super()._find(body, key, term) if at is None else at

    def _split(self, body: str, term: str) -> Any:
        segments = _fast835.split_segments(body, term, self._joiner)
        return super()._split(body, term) if segments is None else segments


def _exact_context() -> bool:
    """Whether the thread's Decimal context adds our amounts exactly, as the compiled reader's
    integer balancing does (the pure reader sums with it; the default context does)."""
    ctx = decimal.getcontext()
    return ctx.prec >= 28 and ctx.rounding != decimal.ROUND_FLOOR and ctx.Emax >= 28


def _delimited(tok: Tokenizer) -> Iterator[tuple[int, list[str], Delimiters]]:
    """The tokenizer's chunks with the delimiters they were split with."""
    for base, segments in tok.chunks():
        yield base, segments, tok.delimiters


def _parse(  # noqa: C901 - hot loop
    chunks: Iterable[tuple[int, list[str], Delimiters]], env: Envelope, file: str | None
) -> Iterator[Remittance]:
    """The reader proper, from a point between transaction sets (the start of the file, or
    just after an SE) with the envelope state at that point: the compiled reader hands a file
    over to it there when it meets something it leaves to this reference implementation."""
    M = _M
    Q = _Q
    Adj = Adjustment
    Line = ServiceLine
    Claim = ClaimPayment
    dcache: dict[str, dt.date] = {}
    dget = dcache.get
    known: set[str] = set(ENVELOPE_IDS)

    rem: Remittance | None = None
    claims: list[ClaimPayment] = []
    problems: list[str] = []
    notes: list[str] = []
    claim: ClaimPayment | None = None
    line: ServiceLine | None = None
    cadjs: list[Adjustment] = []  # adjustments of the current claim
    ladjs: list[Adjustment] = []  # adjustments of the current line
    clines: list[ServiceLine] = []  # lines of the current claim
    claim_adj = line_adj = ZERO
    paid_sum = plb_sum = ZERO
    header_ctx = ""  # "", "PR", "PE": which N1 loop of the header we are in
    header_number = ""
    st_number = 0
    st_control = ""
    n = 0
    e: list[str] = []

    try:
        for base, segments, delims in chunks:
            sep = delims.element
            comp = delims.component
            n = base
            for raw in segments:
                n += 1
                e = raw.split(sep)
                t = e[0]
                if rem is None and t not in ENVELOPE_IDS and not env.in_transaction():
                    if t not in known:
                        check_segment_id(t, n, file, raw)
                        known.add(t)
                    env.outside(n, t)  # even a claim segment: nothing may sit between sets
                if t == "CAS":
                    if line is not None:
                        ne = len(e)
                        if ne == 4:  # CAS*CO*45*12.34
                            a = M(e[3])
                            ladjs.append(Adj(e[1], e[2], a))
                        elif ne == 7 and not e[4]:  # CAS*CO*45*12.34**253*0.56
                            a = M(e[3])
                            b = M(e[6])
                            ladjs.append(Adj(e[1], e[2], a))
                            ladjs.append(Adj(e[1], e[5], b))
                            a += b
                        else:
                            a = _cas(e, ladjs)
                        line_adj += a
                    elif claim is not None:
                        claim_adj += _cas(e, cadjs)
                    else:
                        raise X12Error("CAS outside a claim (no CLP before it)",
                                       segment=n, segment_id=t, file=file)
                elif t == "DTM":
                    d = dget(e[2])
                    if d is None:
                        d = _date(e[2])
                        if len(dcache) > 4096:
                            dcache.clear()
                        dcache[e[2]] = d
                    q = e[1]
                    if line is not None:
                        if q == "472":
                            line.service_date = d
                        elif q == "150":
                            line.service_start = d
                        elif q == "151":
                            line.service_end = d
                    elif claim is not None:
                        if q == "050":
                            claim.received_date = d
                        elif q == "232":
                            claim.statement_start = d
                        elif q == "233":
                            claim.statement_end = d
                        elif q == "036":
                            claim.coverage_expiration = d
                    elif rem is not None and q == "405":
                        rem.production_date = d
                elif t == "SVC":
                    if line is not None and claim is not None:  # a line is always in a claim
                        claim_adj += line_adj
                        if line_difference(line.charge, line.paid, line_adj):
                            _line_problem(problems, claim, line, line_adj, file)
                    elif claim is None:
                        raise X12Error("SVC outside a claim (no CLP before it)",
                                       segment=n, segment_id=t, file=file)
                    c = e[1].split(comp)
                    ne = len(e)
                    if ne == 4:
                        line = Line(c[0], c[1] if len(c) > 1 else "",
                                    tuple(c[2:]) if len(c) > 2 else (), M(e[2]), M(e[3]),
                                    "", None, n)
                    else:
                        if ne < 8:
                            e += _PAD[: 8 - ne]
                        line = Line(c[0], c[1] if len(c) > 1 else "",
                                    tuple(c[2:]) if len(c) > 2 else (), M(e[2]), M(e[3]),
                                    e[4], Q(e[5]) if e[5] else None, n)
                        if e[6]:
                            o = e[6].split(comp)
                            line.original_procedure_qualifier = o[0]
                            line.original_procedure_code = o[1] if len(o) > 1 else ""
                            line.original_modifiers = tuple(o[2:])
                        if e[7]:
                            line.original_units = Q(e[7])
                    ladjs = line.adjustments
                    line_adj = ZERO
                    clines.append(line)
                elif t == "REF":
                    q = e[1]
                    if line is not None:
                        if q == "6R":
                            line.control_number = e[2]
                        elif q == "LU":
                            line.location_number = e[2]
                        else:
                            line.references += (Reference(q, e[2]),)
                    elif claim is not None:
                        claim.references += (Reference(q, e[2]),)
                    elif rem is not None:
                        _header_ref(rem, header_ctx, q, e[2])
                elif t == "AMT":
                    if line is not None:
                        if e[1] == "B6":
                            line.allowed = M(e[2])
                        else:
                            line.amounts += (Amount(e[1], M(e[2])),)
                    elif claim is not None:
                        claim.amounts += (Amount(e[1], M(e[2])),)
                elif t == "CLP":
                    if claim is not None:
                        _close_claim(problems, claim, line, line_adj, claim_adj, file)
                        line = None
                    elif rem is None:
                        raise X12Error("CLP before BPR", segment=n, segment_id=t, file=file)
                    if len(e) < 14:
                        e += _PAD[: 14 - len(e)]
                    claim = Claim(
                        e[1], e[2], M(e[3]), M(e[4]), M(e[5]) if e[5] else ZERO,
                        e[6], e[7], e[8], e[9], e[11],
                        Q(e[12]) if e[12] else None, Q(e[13]) if e[13] else None,
                    )
                    claim.segment = n
                    claim.header_number = header_number
                    cadjs = claim.adjustments
                    clines = claim.lines
                    claim_adj = ZERO
                    paid_sum += claim.paid
                    claims.append(claim)
                elif t == "NM1":
                    if claim is not None:
                        if e[1] == "QC" and len(e) == 10:
                            claim.patient = Party("QC", e[3], e[4], e[5], e[7], e[8], e[9], e[2])
                        else:
                            _claim_party(claim, e)
                elif t == "MOA":
                    if claim is not None:
                        if len(e) == 4 and not e[1] and not e[2]:  # MOA***MA01
                            claim.outpatient = OutpatientAdjudication(None, None, [e[3]])
                        else:
                            claim.outpatient = _moa(e)
                elif t == "LQ":
                    if line is not None:
                        line.remarks += (Remark(e[1], e[2]),)
                else:
                    # -- cold path: envelope, header, PLB, rare claim segments --------------
                    if t not in known:
                        check_segment_id(t, n, file, raw)
                        known.add(t)
                    if t in ENVELOPE_IDS:
                        if t == "SE" and rem is not None:
                            if claim is not None:
                                _close_claim(problems, claim, line, line_adj, claim_adj, file)
                            claim = line = None
                        env.on_segment(n, e)
                        if t == "ST":
                            if e[1] != "835":
                                raise X12Error(
                                    f"transaction set {e[1]!r} is not an 835 remittance",
                                    segment=n, segment_id=t, element=1, file=file,
                                )
                            rem, claims, problems = None, [], []
                            notes = []
                            claim = line = None
                            paid_sum = plb_sum = ZERO
                            header_ctx = header_number = ""
                            st_number = n
                            st_control = e[2]
                        elif t == "SE":
                            if rem is None:
                                raise X12Error(
                                    f"transaction set {st_control} has no BPR segment",
                                    segment=n, segment_id=t, file=file,
                                )
                            rem.claims = claims
                            rem.last_segment = n
                            _balance(rem, paid_sum, plb_sum, problems, file)
                            rem.balanced = not problems
                            rem.problems = problems + notes
                            yield rem
                            rem = None
                        continue
                    if not env.in_transaction():
                        env.outside(n, t)
                    if t == "BPR":
                        if rem is not None:
                            raise X12Error("a second BPR in the transaction set", segment=n,
                                           segment_id=t, file=file)
                        rem = _remittance(e, env, st_control, st_number, n, notes)
                        continue
                    if rem is None:
                        raise X12Error(
                            f"{t} before BPR: an 835 transaction set must start with BPR",
                            segment=n, segment_id=t, file=file,
                        )
                    if t == "LX" or t == "PLB":
                        if claim is not None:
                            _close_claim(problems, claim, line, line_adj, claim_adj, file)
                        claim = line = None
                        header_ctx = ""
                        if t == "LX":
                            header_number = e[1] if len(e) > 1 else ""
                        else:
                            plb_sum += _plb(rem, e, comp, n)
                    elif t == "TRN":
                        _trn(rem, e)
                    elif t == "N1":
                        header_ctx = e[1]
                        _header_party(rem, e)
                    elif t == "MIA" and claim is not None:
                        claim.inpatient = _mia(e)
                    # TS3/TS2 (provider summary), N3/N4/PER/RDM and QTY are not needed
                    # for posting and are skipped.
    except X12Error:
        raise
    except (ValueError, IndexError, ArithmeticError, AttributeError) as exc:
        raise _diagnose(e, n, file, exc) from None
    _finish_file(env, n, file)


def _finish_file(env: Envelope, n: int, file: str | None) -> None:
    """End of the file (segment `n` was the last): everything opened must be closed."""
    env.finish(n)
    if env.transactions == 0:
        raise X12Error("no 835 transaction set in the file", file=file)


def _remittance(
    e: list[str], env: Envelope, st_control: str, st_number: int, n: int, notes: list[str]
) -> Remittance:
    """The Remittance of a BPR (segment `n`); a bad payment date is noted in `notes`."""
    if len(e) < 17:
        e += _PAD[: 17 - len(e)]
    isa, gs = env.isa or _PAD, env.gs or _PAD
    rem = Remittance(
        st_control, e[1], _M(e[2]), e[3], e[4], e[5],
        _date_or_none(e[16]),
        interchange_control_number=isa[13],
        interchange_sender=isa[6].strip(),
        interchange_receiver=isa[8].strip(),
        group_control_number=gs[6],
        implementation=gs[8],
        first_segment=st_number,
    )
    if rem.payment_date is None and e[16]:
        # a payer's bad date must not lose the remittance: it is noted, and the deposit is
        # dated by the production date (DTM*405)
        notes.append(f"segment {n} (BPR), element BPR16: not a date "
                     f"(CCYYMMDD): {e[16]!r}; payment date left empty")
    return rem


def _trn(rem: Remittance, e: list[str]) -> None:
    rem.trace_number = e[2]
    rem.originator_id = e[3] if len(e) > 3 else ""
    rem.originator_supplemental_id = e[4] if len(e) > 4 else ""


def _mia(e: list[str]) -> InpatientAdjudication:
    if len(e) < 25:
        e += _PAD[: 25 - len(e)]
    return InpatientAdjudication(
        _opt_num(e[1]), _opt_num(e[2]), _opt_num(e[3]), _opt_num(e[4]),
        [c for c in (e[5], *e[20:24]) if c], e[1:25],
    )


def _header_ref(rem: Remittance, ctx: str, q: str, value: str) -> None:
    if ctx == "PR":
        rem.payer.additional_ids.append(Reference(q, value))
        if q == "2U":
            rem.payer.payer_identifier = value
            if not rem.payer.id:
                rem.payer.id = value
    elif ctx == "PE":
        rem.payee.additional_ids.append(Reference(q, value))
        if q == "TJ" and not rem.payee.tin:
            rem.payee.tin = value
    elif q == "EV":
        rem.receiver_id = value
    elif q == "F2":
        rem.version_id = value


def _header_party(rem: Remittance, e: list[str]) -> None:
    if len(e) < 5:
        e += _PAD[: 5 - len(e)]
    if e[1] == "PR":
        rem.payer.name, rem.payer.id_qualifier = e[2], e[3]
        if e[4]:
            rem.payer.id = e[4]
    elif e[1] == "PE":
        pe = rem.payee
        pe.name, pe.id_qualifier, pe.id = e[2], e[3], e[4]
        if e[3] == "XX":
            pe.npi = e[4]
        elif e[3] == "FI":
            pe.tin = e[4]


def _claim_party(claim: ClaimPayment, e: list[str]) -> None:
    if len(e) < 10:
        e += _PAD[: 10 - len(e)]
    p = Party(e[1], e[3], e[4], e[5], e[7], e[8], e[9], e[2])
    q = e[1]
    if q == "QC":
        claim.patient = p
    elif q == "IL":
        claim.insured = p
    elif q == "82":
        claim.rendering_provider = p
    elif q == "74":
        claim.corrected_patient = p
    elif q == "TT":
        claim.crossover_carrier = p
    elif q == "PR":
        claim.corrected_priority_payer = p
    else:
        claim.other_parties += (p,)


def _cas(e: list[str], adjs: list[Adjustment]) -> Decimal:
    """Any CAS: up to six reason/amount/quantity triples after the group code."""
    total = ZERO
    g = e[1]
    ne = len(e)
    for i in range(2, ne, 3):
        r = e[i]
        if not r:
            continue
        a = _M(e[i + 1])
        q = e[i + 2] if i + 2 < ne else ""
        adjs.append(Adjustment(g, r, a, _Q(q) if q else None))
        total += a
    return total


def _moa(e: list[str]) -> OutpatientAdjudication:
    if len(e) < 10:
        e += _PAD[: 10 - len(e)]
    return OutpatientAdjudication(
        _opt_num(e[1]), _opt_num(e[2]), [c for c in e[3:8] if c], _opt_num(e[8]), _opt_num(e[9])
    )


def _plb(rem: Remittance, e: list[str], comp: str, n: int) -> Decimal:
    total = ZERO
    pdate = _date(e[2]) if len(e) > 2 and e[2] else None
    for i in range(3, len(e) - 1, 2):
        if not e[i]:
            continue
        rc = e[i].split(comp, 1)
        amt = _M(e[i + 1])
        rem.provider_adjustments.append(
            ProviderAdjustment(e[1], pdate, rc[0], rc[1] if len(rc) > 1 else "", amt, n)
        )
        total += amt
    return total


def _balance(
    rem: Remittance, paid_sum: Decimal, plb_sum: Decimal, problems: list[str], file: str | None
) -> None:
    """Payment-level balancing (claim and line balancing happen as they close)."""
    if not (rem.amount.is_finite() and paid_sum.is_finite() and plb_sum.is_finite()):
        raise _not_a_number("an amount of this transaction set", rem.first_segment, "ST", file)
    signed = rem.amount if rem.credit_debit != "D" else -rem.amount
    expected = paid_sum - plb_sum
    if signed != expected:
        problems.append(
            f"segment {rem.first_segment + 1} (BPR): payment {format_money(signed)} "
            f"(BPR02, {rem.credit_debit or 'C'}) but claims paid {format_money(paid_sum)} - "
            f"provider adjustments {format_money(plb_sum)} = {format_money(expected)}"
        )


def read_remittances(source: Any, *, name: str | None = None) -> list[Remittance]:
    """The whole file as a list: raises before returning anything if any part is bad."""
    return list(iter_remittances(source, name=name))


def summarize(source: Any, *, name: str | None = None) -> RemittanceSummary:
    """Totals over a whole 835 file, streaming (for `x12 check`, imports and tests)."""
    s = RemittanceSummary()
    for rem in iter_remittances(source, name=name):
        s.transaction_count += 1
        s.payment_total += rem.amount if rem.credit_debit != "D" else -rem.amount
        s.provider_adjustment_total += rem.provider_adjustment_total()
        for c in rem.claims:
            s.claim_count += 1
            s.service_line_count += len(c.lines)
            s.claim_paid_total += c.paid
            s.charge_total += c.charge
            s.patient_responsibility_total += c.patient_responsibility
            s.claims_by_status[c.status_code] = s.claims_by_status.get(c.status_code, 0) + 1
        if not rem.balanced:
            s.unbalanced_transactions += 1
            s.problems.extend(f"transaction {rem.control_number}: {p}" for p in rem.problems)
    return s


# -- JSON shape of `gateway era parse --json` -----------------------------------------------


def money_text(value: Decimal) -> str:
    """`format_money(value)`, fast for the usual case of an amount already in cents.

    `str` of a Decimal with exactly two decimals is already the wire format (bar "-0.00");
    anything else goes through `format_money`. The JSON of a big 835 formats over a million
    amounts, and this is an eighth of `format_money`'s cost.
    """
    text = str(value)
    if text[-3:-2] == "." and text != "-0.00":
        return text
    return format_money(value)


def _adj_json(a: Adjustment) -> dict[str, str]:
    return {"group": a.group, "reason": a.reason, "amount": money_text(a.amount)}


def _units(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = str(value)
    if text.isdigit():  # the usual "1": already what the formula below gives
        return text
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _line_json(ln: ServiceLine) -> dict[str, Any]:
    return {
        "procedure_code": ln.procedure_code,
        "modifiers": ln.modifiers,  # a tuple or list: the same JSON array either way
        "charge": money_text(ln.charge),
        "paid": money_text(ln.paid),
        "units": _units(ln.units),
        "adjustments": [_adj_json(a) for a in ln.adjustments],
    }


def _claim_json(c: ClaimPayment) -> dict[str, Any]:
    return {
        "patient_control_number": c.patient_control_number,
        "status_code": c.status_code,
        "charge": money_text(c.charge),
        "paid": money_text(c.paid),
        "patient_responsibility": money_text(c.patient_responsibility),
        "payer_claim_number": c.payer_claim_number,
        "adjustments": [_adj_json(a) for a in c.adjustments],
        "lines": [_line_json(ln) for ln in c.lines],
    }


def remittance_json(rem: Remittance) -> dict[str, Any]:
    """The documented JSON object for one transaction (amounts as two-decimal strings)."""
    return {
        "payer": {"name": rem.payer.name, "id": rem.payer.id},
        "payment": {
            "handling": rem.handling_code,
            "amount": money_text(rem.amount),
            "credit_debit": rem.credit_debit,
            "method": rem.method,
            "date": rem.payment_date.isoformat() if rem.payment_date else None,
        },
        "trace_number": rem.trace_number,
        "claims": [_claim_json(c) for c in rem.claims],
        "provider_adjustments": [
            {"reason": p.reason, "reference": p.reference, "amount": money_text(p.amount)}
            for p in rem.provider_adjustments
        ],
        "balanced": rem.balanced,
        "problems": list(rem.problems),
    }


try:  # the compiled fast path (built with the package; see setup.py)
    from gateway.core.x12 import _fast835
except ImportError:  # pragma: no cover - an unbuilt source tree reads with the pure reader
    _fast835 = None  # type: ignore[assignment]  # the pure reader alone
