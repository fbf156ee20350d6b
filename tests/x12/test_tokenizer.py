"""Tokenizer and envelope checks: delimiters from the ISA, whitespace, bad input."""

from __future__ import annotations

import io

import pytest

from gateway.core.x12.errors import X12Error
from gateway.core.x12.tokenizer import Envelope, Tokenizer, iter_segments, parse_isa, read_segments
from tests.x12.conftest import X12_FIXTURES

ISA = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501"
    "*000000001*0*P*:~"
)


def interchange(body: list[str], *, isa: str = ISA, iea_count: str = "1",
                isa13: str = "000000001", gs06: str = "7", ge_count: str | None = None,
                se_count: int | None = None) -> str:
    seg = ["GS*HP*S*R*20240101*1200*" + gs06 + "*X*005010X221A1", "ST*835*0001"]
    seg += body
    seg.append(f"SE*{se_count if se_count is not None else len(body) + 2}*0001")
    seg.append(f"GE*{ge_count or '1'}*{gs06}")
    seg.append(f"IEA*{iea_count}*{isa13}")
    return isa + "".join(s + "~" for s in seg)


def test_delimiters_come_from_the_isa() -> None:
    d, el, end = parse_isa(ISA)
    assert (d.element, d.component, d.segment, d.repetition) == ("*", ":", "~", "^")
    assert el[13] == "000000001" and len(el) == 17 and end == len(ISA)


def test_odd_delimiters_and_line_breaks() -> None:
    text = interchange(["BPR*I*1*C*CHK", "CLP*A:B*1*2*1"])
    odd = text.replace("*", "|").replace(":", ">").replace("~", "!\r\n    ").replace("^", "}")
    segs = read_segments(odd.encode())
    assert [el[0] for _, el in segs] == ["ISA", "GS", "ST", "BPR", "CLP", "SE", "GE", "IEA"]
    assert segs[4][1] == ["CLP", "A>B", "1", "2", "1"]
    assert [n for n, _ in segs] == list(range(1, 9))


def test_newline_as_segment_terminator_and_bom() -> None:
    text = interchange(["BPR*I*1*C*CHK"]).replace("~", "\n")
    segs = read_segments(b"\xef\xbb\xbf" + text.encode())
    assert [el[0] for _, el in segs][-1] == "IEA"


def test_small_chunks_give_the_same_segments() -> None:
    text = interchange([f"CLP*PT{i}*1*10*5" for i in range(200)]).replace("~", "~\r\n  ")
    whole = read_segments(text.encode())
    tok = Tokenizer(io.BytesIO(text.encode()), chunk_size=7)
    chunked = [seg for base, segs in tok.chunks() for seg in segs]
    assert [el for _, el in whole] == [s.split("*") for s in chunked]


def test_several_interchanges_with_different_delimiters() -> None:
    one = interchange(["BPR*I*1*C*CHK"])
    two = interchange(["BPR*I*2*C*CHK"], isa13="000000002").replace(
        "000000001", "000000002"
    ).replace("*", "|").replace("~", "\n")
    segs = read_segments((one + "\n" + two).encode())
    bprs = [el for _, el in segs if el[0] == "BPR"]
    assert bprs == [["BPR", "I", "1", "C", "CHK"], ["BPR", "I", "2", "C", "CHK"]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (interchange(["BPR"], se_count=9), "segment 5 (SE), element SE01: SE01 says 9 segments"),
        (interchange(["BPR"]).replace("SE*3*0001", "SE*3*0002"), "SE02 '0002' does not match"),
        (interchange(["BPR"], ge_count="2"), "segment 6 (GE), element GE01"),
        (interchange(["BPR"]).replace("GE*1*7", "GE*1*8"), "GE02 '8' does not match GS06 '7'"),
        (interchange(["BPR"], iea_count="3"), "segment 7 (IEA), element IEA01"),
        (interchange(["BPR"], isa13="000000009"), "IEA02 '000000009' does not match ISA13"),
        (interchange(["BPR"]).rsplit("IEA", 1)[0], "has no IEA at end of file"),
    ],
)
def test_envelope_problems_are_located(text: str, message: str) -> None:
    with pytest.raises(X12Error, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_segments(text.encode())
    env = Envelope(strict=False)
    list(iter_segments(text.encode(), envelope=env))
    assert len(env.problems) == 1 and message in env.problems[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"   \r\n", "empty file"),
        (b"ST*835*0001~BPR*I~", "must start with an ISA segment"),
        (b"\x00\x01\x02\xff" * 100, "X12"),
        (bytes(range(256)) * 10, "X12"),
        (ISA[:50].encode(), "truncated ISA"),
        (ISA.replace("*:~", "*~~").encode(), "conflicting delimiters"),
        (ISA.replace("*^*", "*:*").encode(), "conflicting delimiters"),
        (ISA.replace("00501", "00401").encode(), "4010"),
        (ISA.replace("000000001", "00000000X").encode(), "ISA13"),
        (ISA.replace("*:~", "*A~").encode(), "component separator"),
        ((ISA + "GS*HP*S*R*20240101*1200*7*X*005010X221A1~ST*835*1~BPR*I*1").encode(),
         "segment 4 (BPR): no segment terminator"),
        ((ISA + "GS*HP*S*R*20240101*1200*7*X*004010X091A1~").encode(), "4010"),
        ((ISA + "\x00\x13junk~").encode(), "segment 2: not a segment id"),
    ],
)
def test_bad_input_is_rejected_clearly(data: bytes, message: str) -> None:
    with pytest.raises(X12Error) as info:
        read_segments(data)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


class EndlessGarbage(io.RawIOBase):
    """A stream of garbage that would never end: the tokenizer must stop early."""

    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix
        self.served = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = 1 << 16 if size is None or size < 0 else size
        if self.prefix:
            out, self.prefix = self.prefix[:size], self.prefix[size:]
        else:
            out = b"Q" * size
        self.served += len(out)
        return out


def test_huge_garbage_without_terminators_stops_at_a_bound() -> None:
    stream = EndlessGarbage(ISA.encode())
    with pytest.raises(X12Error, match="no segment terminator"):
        read_segments(stream)
    assert stream.served < 4 << 20  # gave up after a few MiB, not at the end of "the file"


def test_garbage_without_isa_is_rejected_after_the_first_chunk() -> None:
    stream = EndlessGarbage(b"")
    with pytest.raises(X12Error, match="must start with an ISA"):
        read_segments(stream)
    assert stream.served <= 2 << 20


SAMPLES_REJECTED = {
    "835/edi835parser_blue_cross_nc_sample.txt": "must start with an ISA segment",
    "835/oopfactory_4010_Example1_GripElements.txt": "version 4010",
    "835/oopfactory_5010_Example1.txt": "version 4010",
    "837p/imsweb_x12_no_isa_line.txt": "must start with an ISA segment",
    "837p/oopfactory_5010_ST1309-XX.txt": "truncated",
    "837p/oopfactory_5010_UnicodeExample.txt": "UTF-16",
    "837p/imsweb_x12_bad_segment_identifier.txt": "segment 6: not a segment id",
}


@pytest.mark.parametrize("name", sorted(SAMPLES_REJECTED))
def test_malformed_samples_are_rejected(name: str) -> None:
    with pytest.raises(X12Error) as info:
        read_segments(X12_FIXTURES / name)
    assert SAMPLES_REJECTED[name] in str(info.value)


def _envelope_problems(path: object) -> list[str]:
    env = Envelope(strict=False)
    list(iter_segments(path, envelope=env))
    return env.problems


@pytest.mark.parametrize(
    "name",
    sorted(
        p.relative_to(X12_FIXTURES).as_posix()
        for p in X12_FIXTURES.glob("*/*")
        if p.suffix != ".json"
        and p.name != "README.md"
        and p.relative_to(X12_FIXTURES).as_posix() not in SAMPLES_REJECTED
        and not p.name.startswith("imsweb_x12_")
        and p.name != "imsweb_x12_999_accepted.txt"
    ),
)
def test_well_formed_samples_have_clean_envelopes(name: str) -> None:
    assert _envelope_problems(X12_FIXTURES / name) == []


def test_imsweb_samples_have_the_bad_counts_the_readme_reports() -> None:
    problems = _envelope_problems(X12_FIXTURES / "837p/imsweb_x12_valid.txt")
    assert problems == [
        f"{X12_FIXTURES / '837p/imsweb_x12_valid.txt'}: segment 36 (SE), element SE01: "
        "SE01 says 25 segments but transaction set 987654 has 34"
    ]
    problems = _envelope_problems(X12_FIXTURES / "999/imsweb_x12_999_accepted.txt")
    assert len(problems) == 1
    assert "IEA02 '000000001' does not match ISA13 '000000286'" in problems[0]
    ok = _envelope_problems(X12_FIXTURES / "999/imsweb_x12_999_rejected.txt")
    assert ok == []
