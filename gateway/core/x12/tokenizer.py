"""X12 tokenizer: segments streamed in chunks, with the delimiters of each ISA (`isa.py`).

Input is read in chunks (1 MiB by default): memory stays bounded by the chunk size plus the
longest segment (capped at `MAX_SEGMENT`), whatever the size of the file. CR/LF and indentation
between segments and a UTF-8 byte-order mark are tolerated. A file whose last segment has no
terminator is treated as truncated.

Segments are numbered from 1 (the first ISA) across the whole file; every error names that
number. `Tokenizer.chunks()` is the fast path used by the 835 reader: it yields lists of raw
segment strings (no terminator, no surrounding whitespace). `iter_segments()` is the simple
path: ``(number, elements)`` pairs with the envelope checked by an `Envelope` (`envelope.py`;
`Delimiters`, `parse_isa`, `Envelope` and `ENVELOPE_IDS` are re-exported here for callers).
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterator
from typing import IO, Any

from gateway.core.x12.envelope import ENVELOPE_IDS, Envelope
from gateway.core.x12.errors import X12Error
from gateway.core.x12.isa import DEFAULT_DELIMITERS, ISA_LENGTH, Delimiters, parse_isa
from gateway.core.x12.isa import WHITESPACE as _WS

CHUNK_SIZE = 1 << 20
MAX_SEGMENT = 1 << 20  # a segment longer than this is garbage, not X12
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")


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

    def error(self, why: str, segment: int | None = None, segment_id: str | None = None,
              element: int | None = None) -> X12Error:
        """An `X12Error` located in this file."""
        return X12Error(why, segment=segment, segment_id=segment_id, element=element,
                        file=self.name)

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
    "ENVELOPE_IDS",
    "ISA_LENGTH",
    "Delimiters",
    "Envelope",
    "Tokenizer",
    "check_segment_id",
    "iter_segments",
    "parse_isa",
    "read_segments",
]
