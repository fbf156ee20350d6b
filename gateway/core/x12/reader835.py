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

This module drives the two readers: the compiled one (`_fast835.pyx`, the hot path measured
in benchmarks/x12_835.py) and the pure-Python reference (`pure835.PureParser`, one method per
hot segment like the compiled Parser). The parts both share have their own modules: element
values (`values835`), the less frequent segments (`segments835`), balancing (`balance835`);
the JSON shape is `json835`. Element values are only validated where they are converted; when
a conversion fails, `values835._diagnose` re-reads the segment to name the element and why.
"""

from __future__ import annotations

import copy
import decimal
import gc
import itertools
import os
from collections.abc import Iterator
from typing import Any

from gateway.core.x12.json835 import money_text, remittance_json
from gateway.core.x12.model835 import Remittance, RemittanceSummary
from gateway.core.x12.pure835 import Chunks, PureParser, _finish_file
from gateway.core.x12.tokenizer import Delimiters, Envelope, Tokenizer


def iter_remittances(
    source: Any, *, name: str | None = None, lean: bool = False
) -> Iterator[Remittance]:
    """Yield one `Remittance` per 835 transaction set in `source` (path, bytes or stream).

    `lean` (for `x12 check`): the compiled reader checks everything but builds no service
    lines nor claim amounts, so only a transaction's envelope, payment and `problems` are
    meant to be read; whatever does not balance it hands over to the pure reader, which
    words the problems exactly.

    While a transaction set is being read the cyclic garbage collector is paused (the Structs
    built are trees and cannot leak through cycles; pausing it saves a third of the time on
    big files); it is restored before each `Remittance` is handed out and on any error.
    """
    pure = _fast835 is None or os.environ.get("GATEWAY_PURE_PYTHON") == "1"
    gc_was_enabled = gc.isenabled()
    try:
        gc.disable()
        for rem in _read(source, name) if pure else _read_fast(source, name, lean):
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


def _read_fast(source: Any, name: str | None, lean: bool = False) -> Iterator[Remittance]:
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
    parser.lean = lean
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


def _parse(chunks: Chunks, env: Envelope, file: str | None) -> Iterator[Remittance]:
    """The reader proper, from a point between transaction sets (the start of the file, or
    just after an SE) with the envelope state at that point: the compiled reader hands a file
    over to it there when it meets something it leaves to this reference implementation."""
    return PureParser(env, file).parse(chunks)


def remittance_wire(rem: Remittance) -> dict[str, Any]:
    """`remittance_json(rem)` for msgspec to encode (`era parse --json`): the compiled builder
    when built, which keeps amounts already in cents as their Decimal (msgspec writes `str` of
    it: the same text, so the same bytes) instead of formatting a million strings in Python."""
    if _fast835 is None or os.environ.get("GATEWAY_PURE_PYTHON") == "1":
        return remittance_json(rem)
    return _fast835.remittance_wire(rem)


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


__all__ = [
    "iter_remittances",
    "money_text",
    "read_remittances",
    "remittance_json",
    "remittance_wire",
    "summarize",
]


try:  # the compiled fast path (built with the package; see setup.py)
    from gateway.core.x12 import _fast835
except ImportError:  # pragma: no cover - an unbuilt source tree reads with the pure reader
    _fast835 = None  # type: ignore[assignment]  # the pure reader alone
