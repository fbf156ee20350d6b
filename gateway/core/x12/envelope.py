"""Envelope checks: ISA/IEA, GS/GE and ST/SE pairs, control numbers and counts.

The pure-Python reference for every reader: `tokenizer.iter_segments` feeds it each envelope
segment, and so do both 835 readers (strict: the first problem raises); `x12 check` collects
every problem with ``strict=False``.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.core.x12.errors import X12Error

ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})


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
        self.last_segment = number
        check = _CHECKS.get(el[0])
        if check is not None:
            check(self, number, el)

    def _on_isa(self, number: int, el: list[str]) -> None:
        if self.isa is not None:
            self.problem(f"interchange {self.isa[13]} not closed (no IEA) before this ISA",
                         number, "ISA")
        self.isa, self.group_count, self.gs, self.st = el, 0, None, None
        self.interchanges += 1

    def _on_gs(self, number: int, el: list[str]) -> None:
        tag = "GS"
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

    def _on_st(self, number: int, el: list[str]) -> None:
        tag = "ST"
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

    def _on_se(self, number: int, el: list[str]) -> None:
        tag = "SE"
        st = self._opened(number, tag, self.st, "ST")
        if st is None:
            return
        count = number - self.st_segment + 1
        se01 = el[1] if len(el) > 1 else ""
        if not se01.isdigit():
            self.problem(f"SE01 segment count must be a number, found {se01!r}", number, tag, 1)
        elif int(se01) != count:
            self.problem(f"SE01 says {se01} segments but transaction set {st[2]} "
                         f"has {count}", number, tag, 1)
        se02 = el[2] if len(el) > 2 else ""
        if se02 != st[2]:
            self.problem(f"SE02 {se02!r} does not match ST02 {st[2]!r}", number, tag, 2)
        self.st = None

    def _on_ge(self, number: int, el: list[str]) -> None:
        tag = "GE"
        gs = self._opened(number, tag, self.gs, "GS")
        if gs is None:
            return
        if self.st is not None:
            self.problem(f"transaction set {self.st[2]} not closed (no SE) before GE",
                         number, tag)
            self.st = None
        self._check_count(number, tag, el, self.set_count, "transaction sets", "the group")
        ge02 = el[2] if len(el) > 2 else ""
        if ge02 != gs[6] and not (ge02.isdigit() and gs[6].isdigit() and int(ge02) == int(gs[6])):
            self.problem(f"GE02 {ge02!r} does not match GS06 {gs[6]!r}", number, tag, 2)
        self.gs = None

    def _on_iea(self, number: int, el: list[str]) -> None:
        tag = "IEA"
        isa = self._opened(number, tag, self.isa, "ISA")
        if isa is None:
            return
        if self.gs is not None:
            self.problem(f"group {self.gs[6]} not closed (no GE) before IEA", number, tag)
            self.gs = None
        self._check_count(number, tag, el, self.group_count, "functional groups",
                          "the interchange")
        iea02 = el[2] if len(el) > 2 else ""
        if iea02 != isa[13]:
            self.problem(f"IEA02 {iea02!r} does not match ISA13 {isa[13]!r}",
                         number, tag, 2)
        self.isa = None

    def _opened(self, number: int, tag: str, header: list[str] | None,
                header_id: str) -> list[str] | None:
        """The header this trailer closes, or None (and a problem) when none is open."""
        if header is None:
            self.problem(f"{tag} without a matching {header_id}", number, tag)
        return header

    def _check_count(self, number: int, tag: str, el: list[str], counted: int, things: str,
                     container: str) -> None:
        """A trailer's element 01 (GE01, IEA01) must say how many `things` its `container`
        held."""
        said = el[1] if len(el) > 1 else ""
        if not (said.isdigit() and int(said) == counted):
            self.problem(f"{tag}01 says {said!r} {things} but {container} has {counted}",
                         number, tag, 1)

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


_CHECKS: dict[str, Callable[[Envelope, int, list[str]], None]] = {
    "ISA": Envelope._on_isa,
    "GS": Envelope._on_gs,
    "ST": Envelope._on_st,
    "SE": Envelope._on_se,
    "GE": Envelope._on_ge,
    "IEA": Envelope._on_iea,
}
