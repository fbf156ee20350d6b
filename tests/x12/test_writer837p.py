"""837P writer: pyx12 validates the output with zero errors, and it round-trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.core.errors import UserError
from gateway.core.x12.tokenizer import Envelope, iter_segments, read_segments
from gateway.core.x12.writer837p import InMemoryControlNumbers, Person, write_837p
from tests.x12.conftest import X12_FIXTURES
from tests.x12.pyx12_check import pyx12_errors
from tests.x12.sample837 import CHILD, batch, claim


def test_primary_dependent_and_secondary_claims_validate_clean() -> None:
    out = write_837p(
        batch(claim(), claim("PT2", patient=CHILD), claim("PT3", secondary=True, lines=3)),
        InMemoryControlNumbers(),
    )
    assert pyx12_errors(out.text) == []
    assert out.claim_count == 3
    assert out.total_charge == Decimal("301.00") * 2 + Decimal("453.00")


def test_round_trip_through_our_tokenizer() -> None:
    out = write_837p(batch(claim(), claim("PT2", patient=CHILD, lines=4)),
                     InMemoryControlNumbers(start=41))
    env = Envelope()
    segs = [el for _, el in iter_segments(out.text.encode(), envelope=env)]
    assert env.problems == [] and env.transactions == 1
    assert segs[0][13] == out.interchange_control_number == "000000041"
    assert segs[1][6] == out.group_control_number == "41"
    st02 = next(el for el in segs if el[0] == "ST")[2]
    assert st02 == out.transaction_control_number == "0041"
    clms = [el for el in segs if el[0] == "CLM"]
    assert [(c[1], c[2]) for c in clms] == [("PT0000001", "301.00"), ("PT2", "606.00")]
    hls = [el for el in segs if el[0] == "HL"]
    assert [h[1:] for h in hls] == [["1", "", "20", "1"], ["2", "1", "22", "0"],
                                    ["3", "1", "22", "1"], ["4", "3", "23", "0"]]
    sv1 = [el for el in segs if el[0] == "SV1"]
    assert sv1[1][1] == "HC:92134:RT" and sv1[5][1] == "HC:V2020:LT:GY"
    assert sv1[1][7] == "1:2"


def test_control_numbers_come_from_the_allocator() -> None:
    calls: list[str] = []

    def allocate(kind: str) -> int:
        calls.append(kind)
        return {"interchange": 123456789, "group": 77, "transaction": 5}[kind]

    out = write_837p(batch(), allocate)
    assert sorted(calls) == ["group", "interchange", "transaction"]
    assert out.text.startswith("ISA*") and "*123456789*" in out.text.splitlines()[0]
    assert "GS*HC*TGJ23*66783JJT*20240325*1023*77*X*005010X222A1~" in out.text
    assert "ST*837*0005*005010X222A1~" in out.text
    with pytest.raises(UserError, match="out of range"):
        write_837p(batch(), lambda kind: 10**9)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lines": ()}, "at least one service line"),
        ({"diagnosis_codes": ()}, "1 to 12 diagnosis codes"),
        ({"frequency_code": "7"}, "needs the payer claim number"),
        ({"patient_control_number": "X" * 21}, "1-20 characters"),
    ],
)
def test_bad_claims_are_refused(change: dict[str, object], message: str) -> None:
    bad = msgspec.structs.replace(claim(), **change)
    with pytest.raises(UserError, match=message):
        write_837p(batch(bad), InMemoryControlNumbers())


def test_bad_pointer_is_refused() -> None:
    c = claim()
    line = msgspec.structs.replace(c.lines[0], diagnosis_pointers=(3,))
    with pytest.raises(UserError, match="diagnosis pointers"):
        write_837p(batch(msgspec.structs.replace(c, lines=(line,))), InMemoryControlNumbers())


def test_delimiters_in_free_text_do_not_break_the_file() -> None:
    person = Person(last_name="O*Brien~", first_name="Ann:Marie^", member_id="M1",
                    birth_date=dt.date(1980, 1, 1), gender="F", address=CHILD.address)
    out = write_837p(batch(msgspec.structs.replace(claim(), subscriber=person)),
                     InMemoryControlNumbers())
    assert "NM1*IL*1*O BRIEN*ANN MARIE****MI*M1~" in out.text
    assert pyx12_errors(out.text) == []


def test_replacement_claim_carries_the_payer_claim_number() -> None:
    c = msgspec.structs.replace(claim(), frequency_code="7", payer_claim_number="5824093000001")
    out = write_837p(batch(c), InMemoryControlNumbers())
    assert "CLM*PT0000001*301.00***11:B:7*Y*A*Y*Y~" in out.text
    assert "REF*F8*5824093000001~" in out.text
    assert pyx12_errors(out.text) == []


_names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghij'-.*~:^", min_size=1,
                 max_size=20).filter(lambda s: s.strip(" *~:^") != "")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(
        st.tuples(st.integers(1, 4), st.booleans(), st.booleans(), _names),
        min_size=1, max_size=4,
    ),
    cents=st.integers(1, 10**7),
)
def test_generated_batches_pass_pyx12_and_round_trip(
    specs: list[tuple[int, bool, bool, str]], cents: int
) -> None:
    claims = []
    for i, (lines, dependent, secondary, name) in enumerate(specs):
        c = claim(f"PCN{i}", lines=lines, patient=CHILD if dependent else None,
                  secondary=secondary)
        first = msgspec.structs.replace(c.lines[0], charge=Decimal(cents).scaleb(-2))
        patient = msgspec.structs.replace(c.subscriber, last_name=name)
        claims.append(msgspec.structs.replace(c, lines=(first, *c.lines[1:]),
                                              subscriber=patient))
    out = write_837p(batch(*claims), InMemoryControlNumbers())
    assert pyx12_errors(out.text) == []
    segs = read_segments(out.text.encode())
    clm_total = sum(Decimal(el[2]) for _, el in segs if el[0] == "CLM")
    sv1_total = sum(Decimal(el[2]) for _, el in segs if el[0] == "SV1")
    assert clm_total == sv1_total == out.total_charge
    assert sum(1 for _, el in segs if el[0] == "CLM") == len(specs)


CLEAN_WHEN_RELABELLED = [
    "lfh_demo.autoaccident.837", "lfh_demo.cob.example3.B.837", "lfh_demo.cob.example3.C.837",
    "lfh_demo.drug.example10.1.837", "lfh_demo.drug.example10.2.837",
    "lfh_demo.drug.example10.3.837", "lfh_demo.example1.837", "lfh_demo.example2.837",
    "lfh_demo.example7.837", "lfh_demo.example8.837",
]


@pytest.mark.parametrize("name", CLEAN_WHEN_RELABELLED)
def test_reference_samples_are_clean_under_our_checks_and_pyx12(name: str) -> None:
    text = (X12_FIXTURES / "837p" / name).read_text().replace("005010X222A2", "005010X222A1")
    env = Envelope()
    segs = list(iter_segments(text.encode(), envelope=env))
    assert env.problems == [] and segs[-1][1][0] == "IEA"
    assert pyx12_errors(text) == []
