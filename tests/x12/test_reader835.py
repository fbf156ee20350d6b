"""The 835 reader: conformance samples, generated files, fields, balancing, bad amounts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.core.x12.errors import X12Error
from gateway.core.x12.generate835 import generate_835
from gateway.core.x12.reader835 import (
    iter_remittances,
    read_remittances,
    remittance_json,
    summarize,
)
from gateway.core.x12.tokenizer import Delimiters
from tests.x12.conftest import X12_FIXTURES

GENERATED = sorted((X12_FIXTURES / "generated").glob("*.835"))


@pytest.fixture(autouse=True, params=["compiled", "pure"])
def reader_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs against both readers: the compiled fast path (the default) and the
    pure-Python reference (GATEWAY_PURE_PYTHON=1)."""
    monkeypatch.setenv("GATEWAY_PURE_PYTHON", "1" if request.param == "pure" else "0")
    return request.param

# Samples that read and balance (payment, every claim, every line).
BALANCED = [
    "835/edi835parser_emedny_sample.txt",
    "835/edi835parser_united_healthcare_legacy_sample.txt",
    "835/lfh_cob-contractural-adjustment.835",
    "835/lfh_medicare-part-a.835",
    "835/lfh_secondary-payment.835",
    "835/pyx12_835_mult_loops.txt",
]


@pytest.mark.parametrize("name", BALANCED)
def test_sample_reads_and_balances(name: str) -> None:
    rems = read_remittances(X12_FIXTURES / name)
    assert rems and all(r.balanced and r.problems == [] for r in rems)
    for r in rems:
        assert r.amount == sum((c.paid for c in r.claims), Decimal(0)) - sum(
            (p.amount for p in r.provider_adjustments), Decimal(0)
        )
        for c in r.claims:
            assert c.charge - c.paid == c.adjustment_total()


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: p.name)
def test_generated_samples_match_their_sidecars(path: object) -> None:
    expected = json.loads((X12_FIXTURES / "generated" / f"{path.name}.expected.json").read_text())
    s = summarize(path)
    totals = expected["totals"]
    assert s.problems == []
    assert s.transaction_count == totals["transaction_count"]
    assert s.claim_count == totals["claim_count"]
    assert s.service_line_count == totals["service_line_count"]
    assert s.payment_total == Decimal(totals["payment_total"])
    assert s.claim_paid_total == Decimal(totals["claim_paid_total"])
    assert s.charge_total == Decimal(totals["charge_total"])
    assert s.patient_responsibility_total == Decimal(totals["patient_resp_total"])
    assert s.provider_adjustment_total == Decimal(totals["plb_total"])
    assert s.claims_by_status == totals["claims_by_status"]
    rems = read_remittances(path)
    for rem, tx in zip(rems, expected["transactions"], strict=True):
        assert (rem.control_number, rem.handling_code, rem.amount, rem.method) == (
            tx["st02"], tx["bpr01"], Decimal(tx["bpr02"]), tx["bpr04"])
        assert (rem.trace_number, rem.payer.name, rem.payer.id) == (
            tx["trn02"], tx["payer_name"], tx["payer_id"])
        assert (rem.payee.name, rem.payee.npi) == (tx["payee_name"], tx["payee_npi"])
        assert [(p.reason, p.reference, p.amount) for p in rem.provider_adjustments] == [
            (p["code"], p["ref"], Decimal(p["amount"])) for p in tx["plb"]]
        assert rem.last_segment - rem.first_segment + 1 == tx["segment_count"]
    claims = [c for r in rems for c in r.claims]
    for c, ec in zip(claims, expected["claims"], strict=True):
        assert (c.patient_control_number, c.status_code, c.payer_claim_number) == (
            ec["clp01"], ec["clp02"], ec["clp07"])
        assert (c.charge, c.paid, c.patient_responsibility) == (
            Decimal(ec["charge"]), Decimal(ec["paid"]), Decimal(ec["patient_resp"]))
        groups: dict[str, Decimal] = {}
        for a in [*c.adjustments, *(a for ln in c.lines for a in ln.adjustments)]:
            groups[a.group] = groups.get(a.group, Decimal(0)) + a.amount
        assert groups == {k: Decimal(v) for k, v in ec["adjustments"].items()}
        assert [ln.paid for ln in c.lines] == [Decimal(p) for p in ec["service_paid"]]


def test_reversal_and_negative_plb_sample() -> None:
    rems = read_remittances(X12_FIXTURES / "generated/gen835_c60_s11_st3_nl.835")
    rem = next(r for r in rems if r.control_number == "0016")
    assert (rem.handling_code, rem.amount, rem.method) == ("H", Decimal("0"), "NON")
    reversal = next(c for c in rem.claims if c.status_code == "22")
    assert reversal.paid < 0 and reversal.charge < 0
    assert any(c.frequency_code == "7" for c in rem.claims)
    assert [(p.reason, p.amount) for p in rem.provider_adjustments] == [("FB", Decimal("-23.44"))]
    assert rem.balanced


def test_fields_of_a_medicare_part_a_remittance() -> None:
    (rem,) = read_remittances(X12_FIXTURES / "835/lfh_medicare-part-a.835")
    assert (rem.handling_code, rem.amount, rem.credit_debit, rem.method, rem.payment_format) == (
        "C", Decimal("150000.00"), "C", "ACH", "CTX")
    assert rem.payment_date == dt.date(2002, 9, 13)
    assert rem.production_date == dt.date(2002, 9, 16)
    assert (rem.trace_number, rem.originator_id) == ("12345", "1512345678")
    assert rem.payer.name == "INSURANCE COMPANY OF TIMBUCKTU" and rem.payer.id == "999"
    assert rem.payee.npi == "6543210903"
    (plb,) = rem.provider_adjustments
    assert (plb.reason, plb.reference, plb.amount) == ("CV", "CP", Decimal("-1.27"))
    assert plb.provider_id == "6543210903" and plb.fiscal_period_end == dt.date(2002, 12, 31)
    claim = rem.claims[0]
    assert claim.patient is not None and claim.patient.last_name == "JONES"
    assert claim.patient.id_qualifier == "HN"
    assert claim.inpatient is not None and claim.inpatient.elements[3] == "138018.40"
    assert [(a.group, a.reason, a.amount) for a in claim.adjustments] == [
        ("CO", "45", Decimal("73348.57"))]
    assert claim.facility_type == "11" and claim.frequency_code == "1"


def test_fields_of_service_lines() -> None:
    (rem,) = read_remittances(
        X12_FIXTURES / "835/edi835parser_united_healthcare_legacy_sample.txt")
    assert rem.payer.payer_identifier == "87726"
    lines = [ln for c in rem.claims for ln in c.lines]
    assert lines and all(ln.procedure_qualifier for ln in lines)
    (rem,) = read_remittances(X12_FIXTURES / "835/pyx12_835_mult_loops.txt")
    claim = rem.claims[0]
    assert claim.status_code == "4" and claim.rendering_provider is not None
    line = claim.lines[0]
    assert (line.procedure_qualifier, line.procedure_code, line.units) == (
        "HC", "T1005", Decimal("68"))
    assert line.service_start == dt.date(2003, 11, 29) and line.service_end is not None
    assert [r.code for r in line.remarks if r.qualifier == "HE"]


def test_generated_line_details() -> None:
    (rem,) = read_remittances(X12_FIXTURES / "generated/gen835_c25_s7.835")
    first = rem.claims[0]
    assert first.outpatient is not None and first.outpatient.remark_codes == ["N20"]
    line = first.lines[0]
    assert (line.procedure_code, line.charge, line.paid) == (
        "92014", Decimal("180.65"), Decimal("31.19"))
    assert line.service_date == dt.date(2024, 8, 1)
    assert line.control_number == "6579754301" and line.allowed == Decimal("89.77")
    assert [(a.group, a.reason, a.amount) for a in line.adjustments] == [
        ("CO", "45", Decimal("90.88")), ("CO", "253", Decimal("0.63")),
        ("PR", "1", Decimal("50")), ("PR", "2", Decimal("7.95"))]
    second = rem.claims[1]
    assert second.lines[1].modifiers == ("25",)
    assert second.amounts[0].qualifier == "AU"


def test_masked_sample_reads_but_is_reported_unbalanced() -> None:
    # De-identified payer output: every amount was replaced by 999.99-style masks, so
    # nothing adds up. It must read (BOM, indentation, 3 interchanges) and say so.
    for name in ("oopfactory_5010_ExampleFromNth.txt",
                 "oopfactory_5010_835_WithMultipleInterchanges.txt"):
        rems = read_remittances(X12_FIXTURES / "835" / name)
        assert [r.interchange_control_number for r in rems] == [
            "000000031", "000000032", "000000033"]
        assert sum(len(r.claims) for r in rems) == 56
        assert sum(len(c.lines) for r in rems for c in r.claims) == 91
        assert sum(1 for r in rems for c in r.claims if c.status_code == "4") == 16
        assert not any(r.balanced for r in rems)


def test_shifted_service_line_is_reported_not_raised() -> None:
    # SVC*HC*24599.00*1766.50*187.50: the procedure code was written as an element.
    (rem,) = read_remittances(X12_FIXTURES / "835/lfh_tertiary-payment.835")
    assert not rem.balanced
    assert rem.problems == [
        "segment 20 (SVC): service line HC of claim 0001000054: charge 24599.00 - paid "
        "1766.50 = 22832.50 but its adjustments total 1579.00"
    ]


def test_impossible_payment_date_is_noted_not_fatal() -> None:
    (rem,) = read_remittances(X12_FIXTURES / "835/lfh_managed-care.835")
    assert rem.payment_date is None
    assert rem.balanced is True
    assert rem.problems == [
        "segment 4 (BPR), element BPR16: not a date (CCYYMMDD): '20002316'; "
        "payment date left empty"
    ]
    assert len(rem.claims) == 2


SMALL, _ = generate_835(3, 5, claims_per_st=3)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("CLP*PT0000001*1*", "CLP*PT0000001*1*abc", "element CLP03: not a number: 'abc"),
        ("CAS*CO*45*", "CAS*CO*45*1x", "(CAS), element CAS03: not a number: '1x"),
        ("BPR*I*", "BPR*I*12..3", "(BPR), element BPR02: not a number: '12..3"),
        ("DTM*472*2024", "DTM*472*2X24", "(DTM), element DTM02: not a date"),
        ("CLP*PT0000001*1*", "CLP*PT0000001*1*NaN*", "not a number (NaN or Infinity)"),
        ("ST*835*0001~", "ST*999*0001~", "element ST01: transaction set '999' is not an 835"),
        ("CLP*PT0000001*1*", "CLP*PT0000001*1~XX*",
         "(CLP), element CLP03: required element is missing"),
    ],
)
def test_bad_values_are_located(old: str, new: str, message: str) -> None:
    assert old in SMALL
    bad = SMALL.replace(old, new, 1)
    with pytest.raises(X12Error) as info:
        read_remittances(bad.encode())
    assert message in str(info.value)
    assert str(info.value).startswith("segment ")


def test_error_message_names_segment_number_and_id() -> None:
    bad = SMALL.replace("CLP*PT0000001*1*", "CLP*PT0000001*1*abc", 1)
    number = bad[: bad.index("CLP*PT0000001")].count("~") + 1
    with pytest.raises(X12Error) as info:
        read_remittances(bad.encode())
    assert str(info.value) == f"segment {number} (CLP), element CLP03: not a number: " + repr(
        bad.split("CLP*PT0000001*1*")[1].split("*")[0])
    assert info.value.segment == number and info.value.element == 3


def test_stream_yields_before_reading_the_whole_file() -> None:
    text, _ = generate_835(40, 3, claims_per_st=10)
    cut = text.index("ST*835*0003")  # the rest of the file is garbage
    data = (text[:cut] + "%%%% not x12 %%%%~").encode()
    it = iter_remittances(data)
    assert next(it).control_number == "0001"
    assert next(it).control_number == "0002"
    with pytest.raises(X12Error, match="not a segment id"):
        next(it)


def test_json_shape() -> None:
    (rem,) = read_remittances(X12_FIXTURES / "835/lfh_medicare-part-a.835")
    out = remittance_json(rem)
    assert set(out) == {"payer", "payment", "trace_number", "claims", "provider_adjustments",
                        "balanced", "problems"}
    assert out["payment"] == {"handling": "C", "amount": "150000.00", "credit_debit": "C",
                              "method": "ACH", "date": "2002-09-13"}
    assert out["provider_adjustments"] == [{"reason": "CV", "reference": "CP", "amount": "-1.27"}]
    claim = out["claims"][0]
    assert claim["adjustments"] == [{"group": "CO", "reason": "45", "amount": "73348.57"}]
    assert set(claim) == {"patient_control_number", "status_code", "charge", "paid",
                          "patient_responsibility", "payer_claim_number", "adjustments",
                          "lines"}


_DELIMS = st.sampled_from(list("*|^!{}+>#&%@"))


@st.composite
def delimiter_sets(draw: st.DrawFn) -> Delimiters:
    chars = draw(st.lists(_DELIMS, min_size=3, max_size=3, unique=True))
    term = draw(st.sampled_from([chars[2], "~", "\n"]))
    if term in chars[:2]:
        term = chars[2]
    rep = next(c for c in "^}{+#&" if c not in (chars[0], chars[1], term))
    return Delimiters(element=chars[0], component=chars[1], segment=term, repetition=rep)


@st.composite
def generated_835s(draw: st.DrawFn) -> tuple[bytes, int, dict[str, Any]]:
    """(file, claims, expected) from the generator: random delimiters, line ends, BOM."""
    claims = draw(st.integers(min_value=1, max_value=40))
    delims = draw(delimiter_sets())
    newline = "" if delims.segment == "\n" else draw(st.sampled_from(["", "\n", "\r\n"]))
    text, expected = generate_835(
        claims, draw(st.integers(min_value=0, max_value=10**6)),
        claims_per_st=draw(st.integers(min_value=1, max_value=15)), delimiters=delims,
        newline=newline, fixed_decimals=draw(st.booleans()),
    )
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode(), claims, expected


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(generated=generated_835s())
def test_generated_835s_read_back_to_their_totals(
    generated: tuple[bytes, int, dict[str, Any]],
) -> None:
    data, claims, expected = generated
    s = summarize(data)
    totals = expected["totals"]
    assert s.problems == []
    assert (s.transaction_count, s.claim_count, s.service_line_count) == (
        totals["transaction_count"], claims, totals["service_line_count"])
    assert s.payment_total == Decimal(totals["payment_total"])
    assert s.claim_paid_total == Decimal(totals["claim_paid_total"])
    assert s.provider_adjustment_total == Decimal(totals["plb_total"])
    paid = [c.paid for r in iter_remittances(data) for c in r.claims]
    assert paid == [Decimal(c["paid"]) for c in expected["claims"]]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10**6), cents=st.integers(1, 10**6))
def test_a_changed_amount_is_reported_as_unbalanced(seed: int, cents: int) -> None:
    text, _ = generate_835(5, seed, claims_per_st=5)
    head, sep, tail = text.partition("CLP*")
    fields = tail.split("*")
    fields[3] = str(Decimal(fields[3]) + Decimal(cents).scaleb(-2))  # CLP04 paid changes
    rems = read_remittances((head + sep + "*".join(fields)).encode())
    assert not rems[0].balanced
    assert any("(CLP)" in p for p in rems[0].problems)
    assert any("(BPR)" in p for p in rems[0].problems)


def test_generator_is_deterministic() -> None:
    a, ea = generate_835(30, 9, claims_per_st=7, newline="\n")
    b, eb = generate_835(30, 9, claims_per_st=7, newline="\n")
    assert a == b and ea == eb
    assert generate_835(30, 10)[0] != generate_835(30, 9)[0]


def test_memory_does_not_grow_with_the_file(tmp_path: object) -> None:
    import tracemalloc

    from gateway.core.x12.generate835 import write_835

    path = f"{tmp_path}/g.835"
    write_835(path, 6000, 4, claims_per_st=20)  # 2.5 MB; as Structs all at once: ~45 MB
    tracemalloc.start()
    try:
        count = sum(len(r.claims) for r in iter_remittances(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 6000
    # Bounded by the read chunk (1 MiB of text and its segments) plus one transaction set.
    assert peak < 14 * 2**20
