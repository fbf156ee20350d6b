"""X12 tokenizer: delimiters from the ISA, segments streamed in chunks, envelope checks.

The ISA fixes the four delimiters of an interchange: the element separator is the byte after
``ISA``, the repetition separator is ISA11, the component separator is ISA16 and the segment
terminator is the character right after ISA16. Any characters may be used as long as they
differ from each other and are not letters or digits.

Input is read in chunks (1 MiB by default): memory stays bounded by the chunk size plus the
longest segment (capped at `MAX_SEGMENT`), whatever the size of the file. CR/LF and indentation
between segments and a UTF-8 byte-order mark are tolerated. A file whose last segment has no
terminator is treated as truncated.

Segments are numbered from 1 (the first ISA) across the whole file; every error names that
number. `Tokenizer.chunks()` is the fast path used by the 835 reader: it yields lists of raw
segment strings (no terminator, no surrounding whitespace). `iter_segments()` is the simple
path: ``(number, elements)`` pairs with the envelope checked by an `Envelope`.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterator
from typing import IO, Any

import msgspec

from gateway.core.x12.errors import X12Error

CHUNK_SIZE = 1 << 20
MAX_SEGMENT = 1 << 20  # a segment longer than this is garbage, not X12
ISA_LENGTH = 106
_WS = "\r\n\t "
ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")


class Delimiters(msgspec.Struct, frozen=True):
    """The separators of one interchange, read from its ISA."""

    element: str
    component: str
    segment: str
    repetition: str | None = None

    def __str__(self) -> str:
        return (
            f"element {self.element!r}, component {self.component!r}, "
            f"repetition {self.repetition!r}, segment {self.segment!r}"
        )


DEFAULT_DELIMITERS = Delimiters(element="*", component=":", segment="~", repetition="^")


def _is_delimiter_char(ch: str) -> bool:
    return len(ch) == 1 and not ch.isalnum() and ch not in _WS and ch.isascii()


def parse_isa(
    text: str, segment: int = 1, file: str | None = None
) -> tuple[Delimiters, list[str], int]:
    """Read the delimiters from an ISA at the start of `text`.

    Returns the delimiters, the ISA elements (``["ISA", ISA01, ..., ISA16]``) and the index
    just after the ISA's segment terminator. The ISA is nominally 106 characters; padding
    mistakes are tolerated because the delimiters are found by counting separators.
    """
    try:
        return _parse_isa(text, segment)
    except X12Error as exc:
        if file:
            raise X12Error(exc.why, segment=exc.segment, segment_id=exc.segment_id,
                           element=exc.element, file=file) from None
        raise


def _parse_isa(text: str, segment: int) -> tuple[Delimiters, list[str], int]:
    if not text.startswith("ISA"):
        raise X12Error(f"expected an ISA segment, found {text[:20]!r}", segment=segment)
    if len(text) < 4:
        raise X12Error("truncated ISA segment", segment=segment, segment_id="ISA")
    sep = text[3]
    if not _is_delimiter_char(sep):
        raise X12Error(
            f"element separator must be a special character, found {sep!r}",
            segment=segment,
            segment_id="ISA",
        )
    pos = 3
    for _ in range(15):
        pos = text.find(sep, pos + 1, pos + 200)
        if pos < 0:
            raise X12Error(
                "truncated ISA segment (fewer than 16 elements)", segment=segment, segment_id="ISA"
            )
    # `pos` is the separator before ISA16; ISA16 is one character, then the terminator.
    if len(text) < pos + 3:
        raise X12Error("truncated ISA segment", segment=segment, segment_id="ISA", element=16)
    component = text[pos + 1]
    terminator = text[pos + 2]
    elements = ["ISA", *text[4:pos].split(sep), component]
    if len(elements) != 17:
        raise X12Error(
            f"ISA must have 16 elements, found {len(elements) - 1}",
            segment=segment,
            segment_id="ISA",
        )
    if not _is_delimiter_char(component):
        raise X12Error(
            f"component separator must be a special character, found {component!r}",
            segment=segment,
            segment_id="ISA",
            element=16,
        )
    if not (len(terminator) == 1 and not terminator.isalnum() and terminator != " "):
        raise X12Error(
            "ISA16 must be one character followed by the segment terminator, "
            f"found {text[pos + 1 : pos + 4]!r}",
            segment=segment,
            segment_id="ISA",
            element=16,
        )
    rep = elements[11]
    repetition = rep if len(rep) == 1 and _is_delimiter_char(rep) else None
    seps = [sep, component, terminator] + ([repetition] if repetition else [])
    if len(set(seps)) != len(seps):
        raise X12Error(
            "conflicting delimiters: element "
            f"{sep!r}, component {component!r}, repetition {repetition!r} and segment "
            f"terminator {terminator!r} must all differ",
            segment=segment,
            segment_id="ISA",
        )
    version = elements[12]
    if version == "00401" or version.startswith("004"):
        raise X12Error(
            f"X12 version 4010 (ISA12 {version!r}) is not supported: send 005010 files",
            segment=segment,
            segment_id="ISA",
            element=12,
        )
    if version != "00501":
        raise X12Error(
            f"unsupported interchange version ISA12 {version!r} (expected '00501')",
            segment=segment,
            segment_id="ISA",
            element=12,
        )
    control = elements[13]
    if not (len(control) == 9 and control.isdigit()):
        raise X12Error(
            f"interchange control number must be 9 digits, found {control!r}",
            segment=segment,
            segment_id="ISA",
            element=13,
        )
    end = pos + 3
    return (
        Delimiters(element=sep, component=component, segment=terminator, repetition=repetition),
        elements,
        end,
    )


def _open(source: Any) -> tuple[IO[Any], str | None, bool]:
    """A readable stream for a path, bytes or an open stream; returns (stream, name, close)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), None, True
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            return open(path, "rb"), path, True  # noqa: SIM115 - closed by the tokenizer
        except OSError as exc:
            raise X12Error(f"cannot read file: {exc.strerror or exc}", file=path) from exc
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        return source, name if isinstance(name, str) else None, False
    raise TypeError(f"cannot read X12 from {type(source).__name__}")


class Tokenizer:
    """Split an X12 stream into segments, chunk by chunk, with delimiters from each ISA.

    ``for base, segments in tok.chunks()``: `segments` is a list of raw segment strings and
    the number of ``segments[i]`` is ``base + i + 1``. When a new ISA arrives, `delimiters`
    is updated before the chunk holding it is yielded; a chunk never spans two interchanges.
    """

    def __init__(
        self, source: Any, *, name: str | None = None, chunk_size: int = CHUNK_SIZE
    ) -> None:
        self._stream, opened_name, self._close = _open(source)
        self.name = name or opened_name
        self.chunk_size = chunk_size
        self.delimiters: Delimiters = DEFAULT_DELIMITERS
        self.isa: list[str] = []
        self.segment_count = 0  # segments yielded so far
        self._text_mode = isinstance(self._stream, io.TextIOBase)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._joiner = "~"

    # -- reading ---------------------------------------------------------------------------

    def _read(self) -> str:
        data = self._stream.read(self.chunk_size)
        if self._text_mode:
            return data
        return self._decoder.decode(data, final=not data)

    def close(self) -> None:
        if self._close:
            self._stream.close()

    def __enter__(self) -> Tokenizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def error(
        self,
        why: str,
        segment: int | None = None,
        segment_id: str | None = None,
        element: int | None = None,
    ) -> X12Error:
        return X12Error(
            why, segment=segment, segment_id=segment_id, element=element, file=self.name
        )

    def _first_text(self) -> str:
        """The first chunk, with BOM and leading whitespace removed, checked to be X12."""
        head = self._stream.read(self.chunk_size)
        if not head:
            raise self.error("empty file: no X12 interchange (no ISA segment)")
        if isinstance(head, bytes):
            if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:8].count(b"\x00") >= 3:
                raise self.error("file is UTF-16 encoded (NUL bytes): X12 must be ASCII/UTF-8")
            if head.startswith(codecs.BOM_UTF8):
                head = head[3:]
            text = self._decoder.decode(head, final=False)
        else:
            text = head.lstrip("\ufeff")
        text = text.lstrip(_WS)
        while len(text) < ISA_LENGTH + 2:  # tiny reads: make sure the whole ISA is here
            more = self._read()
            if not more:
                break
            text = (text + more).lstrip(_WS)
        if not text:
            raise self.error("empty file: no X12 interchange (no ISA segment)")
        if not text.startswith("ISA"):
            shown = text[:24]
            hint = " (a bare transaction set without an ISA/GS envelope)" if text.startswith(
                ("ST", "GS")
            ) else ""
            if not shown.isprintable():
                raise self.error("not an X12 file: binary data where the ISA segment should be",
                                 segment=1)
            raise self.error(
                f"not an X12 interchange: the file must start with an ISA segment, found "
                f"{shown!r}{hint}",
                segment=1,
            )
        return text

    def chunks(self) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(base, segments)``; see the class docstring."""
        try:
            yield from self._chunks()
        finally:
            self.close()

    def _chunks(self) -> Iterator[tuple[int, list[str]]]:
        text = self._first_text()
        pending = ""
        eof = False
        while True:
            if pending:
                text = pending + text if text else pending
                pending = ""
            if text and text[0] in _WS:
                text = text.lstrip(_WS)
            # A new interchange (first one, or the next one after an IEA) resets delimiters.
            if text.startswith("ISA"):
                while len(text) < ISA_LENGTH + 2 and not eof:
                    more = self._read()
                    if not more:
                        eof = True
                    text += more
                self.delimiters, self.isa, end = parse_isa(text, self.segment_count + 1, self.name)
                term = self.delimiters.segment
                text = text[end:]
                suffix = text[: len(text) - len(text.lstrip("\r\n"))][:2]
                self._joiner = term + (suffix if suffix in ("\n", "\r\n", "\r") and
                                       term not in suffix else "")
                self.segment_count += 1
                yield self.segment_count - 1, [self.isa_raw()]
                continue
            term = self.delimiters.segment
            cut = text.rfind(term)
            if cut < 0:
                if eof:
                    if text.strip(_WS):
                        self._truncated(text)
                    return
                if len(text) > MAX_SEGMENT:
                    raise self.error(
                        f"no segment terminator {term!r} in {len(text)} characters: not X12 "
                        "(or wrong delimiters in the ISA)",
                        segment=self.segment_count + 1,
                        segment_id=_sid(text, self.delimiters.element),
                    )
                more = self._read()
                if not more:
                    eof = True
                pending, text = text, more
                continue
            body, rest = text[:cut], text[cut + 1 :]
            # Stop the chunk at an IEA so that the next ISA's delimiters apply after it.
            at = self._find(body, "IEA" + self.delimiters.element, term)
            if at >= 0:
                stop = body.find(term, at)
                if stop >= 0:
                    rest = body[stop + 1 :] + term + rest
                    body = body[:stop]
            segments = self._split(body, term)
            base = self.segment_count
            self.segment_count += len(segments)
            yield base, segments
            text = rest
            if not eof and len(text) < self.chunk_size:
                more = self._read()
                if not more:
                    eof = True
                pending, text = text, more
            if eof and not text.strip(_WS) and not pending.strip(_WS):
                return

    def _find(self, body: str, key: str, term: str) -> int:
        """Index of the first segment of `body` starting with `key`, or -1 (overridable)."""
        return _find_segment(body, key, term)

    def _split(self, body: str, term: str) -> list[str]:
        """Split on the terminator (plus the file's usual line break after it, if any).

        Fast path: split on `_joiner` (terminator + the CR/LF seen after the ISA). When that
        does not account for every terminator, or a segment would start with whitespace or be
        empty (indentation, blank lines, mixed line ends), fall back to normalizing.
        """
        joiner = self._joiner
        segments = body.split(joiner)
        if (joiner != term and len(segments) - 1 != body.count(term)) or (
            segments and min(segments)[:1] in _WS  # "" (empty segment) is in _WS too
        ):
            segments = self._normalize(body, term).split(term)
            if "" in segments:
                segments = [s for s in segments if s]
        return segments

    @staticmethod
    def _normalize(body: str, term: str) -> str:
        """Drop CR/LF/indentation around segment terminators (cheap when there is none)."""
        if "\n" in body or "\r" in body or "\t" in body or (term + " ") in body or (
            body[:1] in _WS
        ):
            body = body.replace(term + "\r\n", term).replace(term + "\n", term)
            if "\n" in body or "\r" in body or "\t" in body or (term + " ") in body or (
                body[:1] in _WS
            ):
                body = _ws_pattern(term).sub(term, body).strip(_WS.replace(term, ""))
        return body

    def _truncated(self, text: str) -> None:
        text = text.strip(_WS)
        sid = _sid(text, self.delimiters.element)
        raise self.error(
            f"no segment terminator {self.delimiters.segment!r} after the last segment: "
            f"the file is truncated (ends with {text[:30]!r})",
            segment=self.segment_count + 1,
            segment_id=sid,
        )

    def isa_raw(self) -> str:
        return self.delimiters.element.join(self.isa[:16]) + self.delimiters.element + self.isa[16]


_ws_cache: dict[str, re.Pattern[str]] = {}


def _ws_pattern(term: str) -> re.Pattern[str]:
    pat = _ws_cache.get(term)
    if pat is None:
        ws = re.escape(_WS.replace(term, ""))
        pat = re.compile(f"[{ws}]*{re.escape(term)}[{ws}]*")
        _ws_cache[term] = pat
    return pat


def _sid(segment: str, sep: str) -> str:
    return segment.split(sep, 1)[0][:3]


def _find_segment(body: str, key: str, term: str) -> int:
    """Index of the first segment of `body` starting with `key` (e.g. "IEA*"), or -1."""
    at = body.find(key)
    while at > 0 and body[at - 1] != term and body[at - 1] not in _WS:
        at = body.find(key, at + 1)
    return at


def check_segment_id(tag: str, number: int, file: str | None = None, raw: str = "") -> None:
    """Raise unless `tag` looks like an X12 segment id (2-3 upper-case letters/digits)."""
    if not _SEGMENT_ID.match(tag):
        seen = f"segment starts {raw[:24]!r}" if raw else f"found {tag[:20]!r}"
        raise X12Error(
            f"not a segment id ({seen}): binary data, garbage or wrong delimiters",
            segment=number,
            file=file,
        )


# -- envelope -------------------------------------------------------------------------------


class Envelope:
    """Check ISA/IEA, GS/GE and ST/SE pairs and counts as segments go by.

    `strict=True` raises an `X12Error` at the first problem; otherwise problems are collected
    in `problems` (as located one-line messages) and reading goes on.
    """

    def __init__(self, *, strict: bool = True, file: str | None = None) -> None:
        self.strict = strict
        self.file = file
        self.problems: list[str] = []
        self.isa: list[str] | None = None
        self.gs: list[str] | None = None
        self.st: list[str] | None = None
        self.st_segment = 0
        self.group_count = 0
        self.set_count = 0
        self.interchanges = 0
        self.transactions = 0
        self.last_segment = 0

    def problem(self, why: str, segment: int, segment_id: str, element: int | None = None) -> None:
        err = X12Error(why, segment=segment, segment_id=segment_id, element=element,
                       file=self.file)
        if self.strict:
            raise err
        self.problems.append(str(err))

    def on_segment(self, number: int, el: list[str]) -> None:
        """Feed one envelope segment (ISA, IEA, GS, GE, ST, SE)."""
        tag = el[0]
        self.last_segment = number
        if tag == "ISA":
            if self.isa is not None:
                self.problem(f"interchange {self.isa[13]} not closed (no IEA) before this ISA",
                             number, tag)
            self.isa, self.group_count, self.gs, self.st = el, 0, None, None
            self.interchanges += 1
        elif tag == "GS":
            if self.isa is None:
                self.problem("GS outside an interchange (no ISA before it)", number, tag)
            if self.gs is not None:
                self.problem(f"group {self.gs[6] if len(self.gs) > 6 else '?'} not closed (no GE)"
                             " before this GS", number, tag)
            if len(el) < 9:
                self.problem("GS must have 8 elements", number, tag)
                el = el + [""] * (9 - len(el))
            if el[8].startswith("004"):
                self.problem(f"X12 version 4010 (GS08 {el[8]!r}) is not supported: "
                             "send 005010 files", number, tag, 8)
            elif not el[8].startswith("005010"):
                self.problem(f"unsupported version GS08 {el[8]!r} (expected 005010...)",
                             number, tag, 8)
            if not el[6].isdigit():
                self.problem(f"group control number must be numeric, found {el[6]!r}",
                             number, tag, 6)
            self.gs, self.set_count, self.st = el, 0, None
            self.group_count += 1
        elif tag == "ST":
            if self.gs is None:
                self.problem("ST outside a functional group (no GS before it)", number, tag)
            if self.st is not None:
                self.problem(f"transaction set {self.st[2]} not closed (no SE) before this ST",
                             number, tag)
            if len(el) < 3 or not el[2]:
                self.problem("ST02 (transaction set control number) is missing", number, tag, 2)
                el = el + [""] * (3 - len(el))
            self.st, self.st_segment = el, number
            self.set_count += 1
            self.transactions += 1
        elif tag == "SE":
            if self.st is None:
                self.problem("SE without a matching ST", number, tag)
                return
            count = number - self.st_segment + 1
            se01 = el[1] if len(el) > 1 else ""
            if not se01.isdigit():
                self.problem(f"SE01 segment count must be a number, found {se01!r}", number, tag, 1)
            elif int(se01) != count:
                self.problem(f"SE01 says {se01} segments but transaction set {self.st[2]} "
                             f"has {count}", number, tag, 1)
            se02 = el[2] if len(el) > 2 else ""
            if se02 != self.st[2]:
                self.problem(f"SE02 {se02!r} does not match ST02 {self.st[2]!r}", number, tag, 2)
            self.st = None
        elif tag == "GE":
            if self.gs is None:
                self.problem("GE without a matching GS", number, tag)
                return
            if self.st is not None:
                self.problem(f"transaction set {self.st[2]} not closed (no SE) before GE",
                             number, tag)
                self.st = None
            ge01 = el[1] if len(el) > 1 else ""
            if ge01 != str(self.set_count) and not (ge01.isdigit() and int(ge01) == self.set_count):
                self.problem(f"GE01 says {ge01!r} transaction sets but the group has "
                             f"{self.set_count}", number, tag, 1)
            ge02 = el[2] if len(el) > 2 else ""
            if ge02 != self.gs[6] and not (ge02.isdigit() and self.gs[6].isdigit()
                                           and int(ge02) == int(self.gs[6])):
                self.problem(f"GE02 {ge02!r} does not match GS06 {self.gs[6]!r}", number, tag, 2)
            self.gs = None
        elif tag == "IEA":
            if self.isa is None:
                self.problem("IEA without a matching ISA", number, tag)
                return
            if self.gs is not None:
                self.problem(f"group {self.gs[6]} not closed (no GE) before IEA", number, tag)
                self.gs = None
            iea01 = el[1] if len(el) > 1 else ""
            if not (iea01.isdigit() and int(iea01) == self.group_count):
                self.problem(f"IEA01 says {iea01!r} functional groups but the interchange has "
                             f"{self.group_count}", number, tag, 1)
            iea02 = el[2] if len(el) > 2 else ""
            if iea02 != self.isa[13]:
                self.problem(f"IEA02 {iea02!r} does not match ISA13 {self.isa[13]!r}",
                             number, tag, 2)
            self.isa = None

    def in_transaction(self) -> bool:
        return self.st is not None

    def outside(self, number: int, tag: str) -> None:
        """A non-envelope segment seen outside ST/SE."""
        self.problem("segment outside a transaction set (between envelopes)", number, tag)

    def finish(self, number: int) -> None:
        """End of file: everything opened must be closed."""
        if self.interchanges == 0:
            self.problem("no ISA interchange in the file", number or 1, "")
        if self.st is not None:
            self.problem(f"truncated: transaction set {self.st[2]} has no SE at end of file",
                         number, "SE")
        if self.gs is not None:
            self.problem(f"truncated: group {self.gs[6]} has no GE at end of file", number, "GE")
        if self.isa is not None:
            self.problem(f"truncated: interchange {self.isa[13]} has no IEA at end of file",
                         number, "IEA")


def iter_segments(
    source: Any, *, envelope: Envelope | None = None, name: str | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(segment number, elements)`` for every segment, envelope checked.

    Elements are plain strings; composites stay joined (split them on
    `Tokenizer.delimiters.component`). Pass your own `Envelope(strict=False)` to collect
    envelope problems instead of raising at the first one.
    """
    tok = Tokenizer(source, name=name)
    env = envelope or Envelope(file=tok.name)
    env.file = env.file or tok.name
    number = 0
    seen_ok: set[str] = set()
    for base, segments in tok.chunks():
        sep = tok.delimiters.element
        for i, raw in enumerate(segments):
            number = base + i + 1
            el = raw.split(sep)
            tag = el[0]
            if tag not in seen_ok:
                check_segment_id(tag, number, tok.name, raw)
                seen_ok.add(tag)
            if tag in ENVELOPE_IDS:
                env.on_segment(number, el)
            elif env.st is None:
                env.outside(number, tag)
            yield number, el
    env.finish(number)


def read_segments(source: Any, **kwargs: Any) -> list[tuple[int, list[str]]]:
    """All segments of a (small) file: for tests and acknowledgments, not for big 835s."""
    return list(iter_segments(source, **kwargs))


__all__ = [
    "DEFAULT_DELIMITERS",
    "Delimiters",
    "Envelope",
    "Tokenizer",
    "check_segment_id",
    "iter_segments",
    "parse_isa",
    "read_segments",
]
