"""X12 errors: bad input, located to the segment and element.

An `X12Error` is a `UserError` (CLI exit 2, API 4xx). Its message names the segment number
(1-based, counted from the start of the file, ISA = 1), the segment id, the element position
and the reason, e.g. ``segment 17 (CLP), element CLP04: not a number: 'abc'``.
"""

from __future__ import annotations

from gateway.core.errors import UserError


class X12Error(UserError):
    """A file that is not valid X12 (or not the X12 we read), with where and why."""

    def __init__(
        self,
        why: str,
        *,
        segment: int | None = None,
        segment_id: str | None = None,
        element: int | None = None,
        file: str | None = None,
    ) -> None:
        self.why = why
        self.segment = segment
        self.segment_id = segment_id
        self.element = element
        self.file = file
        super().__init__(why, where=locate(segment, segment_id, element, file))


def locate(
    segment: int | None,
    segment_id: str | None,
    element: int | None = None,
    file: str | None = None,
) -> str | None:
    """``file: segment 17 (CLP), element CLP04`` with whatever parts are known."""
    parts: list[str] = []
    if segment is not None:
        sid = f" ({_printable(segment_id)})" if segment_id else ""
        parts.append(f"segment {segment}{sid}")
    if element is not None:
        parts.append(f"element {_printable(segment_id or '')}{element:02d}")
    where = ", ".join(parts) or None
    if file:
        return f"{file}: {where}" if where else file
    return where


def _printable(text: str, limit: int = 20) -> str:
    """Segment ids from junk input can be anything: keep the message one short line."""
    shown = text[:limit]
    if shown.isprintable() and shown.isascii():
        return shown + ("..." if len(text) > limit else "")
    return repr(shown)[1:-1] + ("..." if len(text) > limit else "")
