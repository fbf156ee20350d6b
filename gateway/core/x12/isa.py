"""The ISA segment: an interchange's four delimiters and its version and control number.

The ISA fixes the four delimiters of an interchange: the element separator is the byte after
``ISA``, the repetition separator is ISA11, the component separator is ISA16 and the segment
terminator is the character right after ISA16. Any characters may be used as long as they
differ from each other and are not letters or digits.
"""

from __future__ import annotations

import msgspec

from gateway.core.x12.errors import X12Error

ISA_LENGTH = 106
WHITESPACE = "\r\n\t "


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
    return len(ch) == 1 and not ch.isalnum() and ch not in WHITESPACE and ch.isascii()


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
    sep, pos = _element_separator(text, segment)
    component = text[pos + 1]
    elements = ["ISA", *text[4:pos].split(sep), component]
    if len(elements) != 17:
        raise _isa_error(f"ISA must have 16 elements, found {len(elements) - 1}", segment)
    delimiters = _delimiters(text, pos, sep, elements, segment)
    _check_version(elements[12], segment)
    control = elements[13]
    if not (len(control) == 9 and control.isdigit()):
        raise _isa_error(f"interchange control number must be 9 digits, found {control!r}",
                         segment, 13)
    return delimiters, elements, pos + 3


def _isa_error(why: str, segment: int, element: int | None = None) -> X12Error:
    return X12Error(why, segment=segment, segment_id="ISA", element=element)


def _element_separator(text: str, segment: int) -> tuple[str, int]:
    """The element separator and the index of the separator before ISA16."""
    if not text.startswith("ISA"):
        raise X12Error(f"expected an ISA segment, found {text[:20]!r}", segment=segment)
    if len(text) < 4:
        raise _isa_error("truncated ISA segment", segment)
    sep = text[3]
    if not _is_delimiter_char(sep):
        raise _isa_error(f"element separator must be a special character, found {sep!r}",
                         segment)
    pos = 3
    for _ in range(15):
        pos = text.find(sep, pos + 1, pos + 200)
        if pos < 0:
            raise _isa_error("truncated ISA segment (fewer than 16 elements)", segment)
    # `pos` is the separator before ISA16; ISA16 is one character, then the terminator.
    if len(text) < pos + 3:
        raise _isa_error("truncated ISA segment", segment, 16)
    return sep, pos


def _delimiters(
    text: str, pos: int, sep: str, elements: list[str], segment: int
) -> Delimiters:
    """The component separator (ISA16), the terminator after it and the repetition (ISA11),
    checked to be special characters that differ from each other and from `sep`."""
    component = elements[16]
    terminator = text[pos + 2]
    if not _is_delimiter_char(component):
        raise _isa_error(
            f"component separator must be a special character, found {component!r}",
            segment, 16,
        )
    if not (len(terminator) == 1 and not terminator.isalnum() and terminator != " "):
        raise _isa_error(
            "ISA16 must be one character followed by the segment terminator, "
            f"found {text[pos + 1 : pos + 4]!r}",
            segment, 16,
        )
    rep = elements[11]
    repetition = rep if len(rep) == 1 and _is_delimiter_char(rep) else None
    seps = [sep, component, terminator] + ([repetition] if repetition else [])
    if len(set(seps)) != len(seps):
        raise _isa_error(
            "conflicting delimiters: element "
            f"{sep!r}, component {component!r}, repetition {repetition!r} and segment "
            f"terminator {terminator!r} must all differ",
            segment,
        )
    return Delimiters(element=sep, component=component, segment=terminator,
                      repetition=repetition)


def _check_version(version: str, segment: int) -> None:
    if version == "00401" or version.startswith("004"):
        raise _isa_error(
            f"X12 version 4010 (ISA12 {version!r}) is not supported: send 005010 files",
            segment, 12,
        )
    if version != "00501":
        raise _isa_error(
            f"unsupported interchange version ISA12 {version!r} (expected '00501')",
            segment, 12,
        )
