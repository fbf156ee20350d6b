"""The compiled 835 reader gives exactly what the pure-Python reader gives: the same Structs
field for field, the same balancing problems, and the same located errors for bad input."""

from __future__ import annotations

import decimal
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.core.x12 import reader835
from gateway.core.x12.errors import X12Error
from gateway.core.x12.generate835 import generate_835
from gateway.core.x12.model835 import Remittance
from tests.x12.conftest import X12_FIXTURES
from tests.x12.test_reader835 import generated_835s

Outcome = tuple[list[bytes], tuple[str, ...] | None]
SAMPLES = sorted(p for p in X12_FIXTURES.rglob("*")
                 if p.is_file() and p.suffix not in (".json", ".md"))
VALID_835 = [p for p in SAMPLES
             if p.parent.name in ("835", "generated") and "4010" not in p.name
             and p.name not in ("edi835parser_blue_cross_nc_sample.txt",
                                "oopfactory_5010_Example1.txt")]


def outcome(read: Callable[[Any, str | None], Iterator[Remittance]], source: Any) -> Outcome:
    """What a reader yields, one Remittance at a time, and the error it stops with."""
    out: list[bytes] = []
    try:
        for rem in read(source, None):
            out.append(msgspec.json.encode(rem))
    except X12Error as exc:
        return out, (str(exc), str(exc.segment), str(exc.segment_id), str(exc.element))
    except Exception as exc:  # a crash must be the same crash
        return out, (type(exc).__name__, str(exc))
    return out, None


@pytest.fixture
def handovers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records each time the compiled reader hands a file over to the pure reader."""
    calls: list[int] = []
    parse = reader835._parse

    def counting(*args: Any) -> Iterator[Remittance]:
        calls.append(1)
        return parse(*args)

    monkeypatch.setattr(reader835, "_parse", counting)
    return calls


def same(source: Any, handovers: list[int] | None = None, *, expect_handover: bool = False,
         reread: Callable[[], Any] | None = None) -> Outcome:
    pure = outcome(reader835._read, reread() if reread else source)
    if handovers is not None:
        handovers.clear()
    fast = outcome(reader835._read_fast, source)
    assert fast == pure
    if handovers is not None and not expect_handover:
        assert handovers == [], "the compiled reader handed a valid file over"
    return fast


def test_the_compiled_reader_is_built_and_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.core.x12 import _fast835

    assert reader835._fast835 is _fast835
    assert _fast835.__file__.endswith(".so")
    assert _fast835.DIRECT_DECIMALS  # Decimals built directly, not by create_decimal
    used: list[str] = []
    monkeypatch.setattr(reader835, "_read", lambda *a: used.append("pure") or iter(()))
    monkeypatch.setattr(reader835, "_read_fast", lambda *a: used.append("compiled") or iter(()))
    monkeypatch.delenv("GATEWAY_PURE_PYTHON", raising=False)
    list(reader835.iter_remittances(b""))
    monkeypatch.setenv("GATEWAY_PURE_PYTHON", "1")
    list(reader835.iter_remittances(b""))
    assert used == ["compiled", "pure"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_conformance_sample_reads_the_same(path: Path, handovers: list[int]) -> None:
    """Every sample (835s, and the 837P/999/277CA ones that must be rejected): same result."""
    rems, error = same(path, handovers, expect_handover=path not in VALID_835)
    if path in VALID_835:
        assert rems and error is None


def test_valid_samples_are_read_without_handover(handovers: list[int]) -> None:
    assert len(VALID_835) >= 12
    for path in VALID_835:
        same(path.read_bytes(), handovers)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(generated=generated_835s())
def test_generated_835s_read_the_same(
    generated: tuple[bytes, int, dict[str, Any]], handovers: list[int],
) -> None:
    data, _, expected = generated
    rems, error = same(data, handovers)
    assert error is None and len(rems) == expected["totals"]["transaction_count"]


@settings(max_examples=500, deadline=None)
@given(
    body=st.text(alphabet="AIE*~\r\n\t :\u00e9\u4e2d\x01", max_size=60),
    term=st.sampled_from(["~", "\n"]),
    suffix=st.sampled_from(["", "\n", "\r\n", "\r"]),
)
def test_compiled_splitting_matches_the_tokenizer(body: str, term: str, suffix: str) -> None:
    """Segments are located in place exactly when the tokenizer's plain split applies, and
    then are the same segments; the IEA search finds the same place."""
    from gateway.core.x12 import _fast835
    from gateway.core.x12.tokenizer import Tokenizer, _find_segment

    tok = Tokenizer(b"ISA")
    tok._joiner = term + (suffix if term not in suffix else "")
    expected = tok._split(body, term)
    located = _fast835.split_segments(body, term, tok._joiner)
    if located is not None:
        assert list(located) == expected and located[:] == expected
        assert (located[-1], len(located)) == (expected[-1], len(expected))
    found = _fast835.find_segment(body, "IEA*", term)
    assert found is None or found == _find_segment(body, "IEA*", term)


# -- bad and unusual input --------------------------------------------------------------------

_VALUES = ["", "abc", "1x", "12..3", "-", ".", "+5", "1E2", "NaN", "Infinity", "-0", "007.10",
           "0.0000001", "1234567890123.45", "9" * 40, "\u0661\u0662", " 12", "20241301",
           "2024022", "20240230", "00000000", "QC", "6R", "B6", "D", "835", "999", "HC:1:2:3:4",
           "\u00e9t\u00e9", "\ufffd"]
_SEGMENTS = ["CAS*CO*45*1", "CAS*CO**1", "CAS*PR*1*2*3*2*4*5", "CAS*CO*45*1*2", "SVC*HC:1*1*1",
             "SVC*HC:92014*10*5*0450*2*AD:1:2*3", "CLP*X*1*1*1", "CLP*X*1*10*5*1***",
             "BPR*I*1*C*ACH", "ZZZ*1", "zz*1", "LQ*HE", "REF*6R", "REF*9A*X", "AMT*AU*3",
             "AMT*B6", "DTM*472", "DTM*150*20240101", "NM1*QC", "NM1*IL*1*A*B****MI*1",
             "MOA***MA01", "MOA*0.8*1*N1", "MIA*1*2*3*4*M", "PLB*1*20241231*WO:X*5",
             "PLB*1*20241231*L6*-1.5*FB:Y*2", "LX*2", "TRN*1*2", "N1*PR*X*XV*1", "PER*BL",
             "SE*3*0001", "ST*835*0009", "GE*1*1", "IEA*1*000000001"]


@st.composite
def damaged_835s(draw: st.DrawFn) -> bytes:
    """A generated 835 with one to three things done to it: an element replaced, a segment
    dropped, repeated, swapped or added, the file cut short."""
    text, _ = generate_835(draw(st.integers(1, 10)), draw(st.integers(0, 10**6)),
                           claims_per_st=draw(st.integers(1, 4)))
    segments = text.split("~")[:-1]
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(segments) - 1))
        action = draw(st.sampled_from(["element", "element", "drop", "repeat", "swap", "add",
                                       "cut"]))
        if action == "element":
            elements = segments[at].split("*")
            if at == 0:
                continue  # the ISA's fixed layout has its own tests
            k = draw(st.integers(1, len(elements)))
            elements[k:k + 1] = [draw(st.sampled_from(_VALUES))]
            segments[at] = "*".join(elements)
        elif action == "drop" and at:
            del segments[at]
        elif action == "repeat":
            segments.insert(at, segments[at])
        elif action == "swap" and at + 1 < len(segments):
            segments[at], segments[at + 1] = segments[at + 1], segments[at]
        elif action == "add":
            segments.insert(max(at, 1), draw(st.sampled_from(_SEGMENTS)))
        elif action == "cut":
            return ("~".join(segments) + "~").encode()[: draw(st.integers(0, len(text)))]
    if draw(st.integers(0, 3)):  # mostly: SE01 recounted, so the damage reaches the claims
        start = 0
        for i, segment in enumerate(segments):
            if segment.startswith("ST*"):
                start = i
            elif segment.startswith("SE*"):
                segments[i] = "*".join(["SE", str(i - start + 1), *segment.split("*")[2:]])
    return ("~".join(segments) + "~").encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=damaged_835s())
def test_damaged_835s_give_the_same_result_and_error(data: bytes) -> None:
    same(data)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("CLP*PT0000001*1*", "CLP*PT0000001*1*abc"),
        ("CAS*CO*45*", "CAS*CO*45*1x"),
        ("BPR*I*", "BPR*I*12..3"),
        ("DTM*472*2024", "DTM*472*2X24"),
        ("CLP*PT0000001*1*", "CLP*PT0000001*1*NaN*"),
        ("ST*835*0001~", "ST*999*0001~"),
        ("CLP*PT0000001*1*", "CLP*PT0000001*1~XX*"),
        ("SE*", "SE*9"),
        ("GE*1*", "GE*7*"),
    ],
)
def test_bad_values_give_the_same_located_error(old: str, new: str) -> None:
    text, _ = generate_835(3, 5, claims_per_st=3)
    assert old in text
    rems, error = same(text.replace(old, new, 1).encode())
    assert error is not None and error[0].startswith("segment ")


def test_valid_but_unusual_amounts_are_handed_over_and_read_the_same(
    handovers: list[int],
) -> None:
    """Forms the compiled reader leaves to the pure one (a plus sign, an exponent, more than
    six decimals): read the same, from the transaction set that has them on."""
    text, _ = generate_835(9, 3, claims_per_st=3)
    first_clp = text.index("CLP*", text.index("ST*835*0002"))
    head, tail = text[:first_clp], text[first_clp:]
    for form in ("+{}", "{}E0", "{}0000000"):
        fields = tail.split("*")
        fields[3] = form.format(fields[3])  # CLP03, the charge
        rems, error = same(head.encode() + "*".join(fields).encode(), handovers,
                           expect_handover=True)
        assert error is None and len(rems) == 3 and handovers == [1]


def test_a_non_default_decimal_context_is_left_to_the_pure_reader(
    handovers: list[int],
) -> None:
    text, _ = generate_835(6, 8, claims_per_st=2)
    with decimal.localcontext(decimal.Context(prec=6)):
        same(text.encode(), handovers, expect_handover=True)
    assert handovers == [1]


def test_non_ascii_text_reads_the_same_without_handover(handovers: list[int]) -> None:
    text, _ = generate_835(8, 2, claims_per_st=4)
    text = text.replace("NM1*QC*1*", "NM1*QC*1*M\u00dcLLER-\u00c9\u0141\u4e2d\ufffd", 1)
    text = text.replace("N1*PR*", "N1*PR*\u00c9\u00e9 ", 1)
    rems, error = same(text.encode(), handovers)
    assert error is None and "M\u00dcLLER" in rems[0].decode()


def test_streams_read_the_same_and_hand_over_from_the_kept_chunks(
    handovers: list[int],
) -> None:
    """The hand-over replays the chunks kept since the last SE: a stream that cannot be
    re-read (here a pipe-like one) gives the same result and error as the pure reader."""

    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buf: Any) -> int:
            chunk = self.data.read(min(len(buf), 777))
            buf[: len(chunk)] = chunk
            return len(chunk)

    text, _ = generate_835(30, 4, claims_per_st=10)
    bad = text.replace("CAS*", "CAS*CO*45*1x*", 25).encode()
    for data in (text.encode(), bad):
        rems, error = same(OneWay(data), handovers, expect_handover=data is bad,
                           reread=lambda d=data: OneWay(d))
        assert (error is None) is (data is not bad)


def test_the_fast_path_stays_streaming(tmp_path: Path) -> None:
    """Chunks are kept only since the last SE: memory is one transaction set, not the file."""
    import tracemalloc

    from gateway.core.x12.generate835 import write_835

    path = tmp_path / "g.835"
    write_835(str(path), 6000, 4, claims_per_st=20)
    tracemalloc.start()
    try:
        count = sum(len(r.claims) for r in reader835._read_fast(str(path), None))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 6000 and peak < 14 * 2**20


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        # Arabic-Indic digits: Decimal would read "١٢.٠٠" as 12.00
        ("CLP*PT0000001*1*", "CLP*PT0000001*1*\u0661\u0662.\u0660\u0660*", "element CLP03: not a"),
        ("CAS*CO*45*", "CAS*CO*45*\u0661\u0662", "element CAS03: not a number"),
        ("BPR*I*", "BPR*I*92233720368547758.08", "element BPR02: too large an amount"),
        ("CLP*PT0000001*1*", "CLP*PT0000001*1*12.345*", "element CLP03: more than two decimals"),
        ("CLP*PT0000001*1*", "CLP*PT0000001*1*Infinity*", "element CLP03: not a number (NaN"),
        ("CAS*CO*45*", "CAS*CO*45*1E+30*", "element CAS03: too large an amount"),
    ],
)
def test_money_the_rules_refuse_is_refused_by_both_readers(old: str, new: str, why: str) -> None:
    """ASCII digits, whole cents, below 2^63 cents: the compiled reader hands such text to the
    pure reader, which refuses it with a located error (never OverflowError/InvalidOperation)."""
    text, _ = generate_835(3, 5, claims_per_st=3)
    assert old in text
    _, error = same(text.replace(old, new, 1).encode("utf-8"))
    assert error is not None and error[0].startswith("segment ") and why in error[0], error
