"""999 and 277CA readers on the conformance samples and on edge cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.core.x12.ack import read_277ca, read_999
from gateway.core.x12.errors import X12Error
from tests.x12.conftest import X12_FIXTURES


def test_999_rejected_set_with_segment_error() -> None:
    (group,) = read_999(X12_FIXTURES / "999/imsweb_x12_999_rejected.txt")
    assert (group.functional_id, group.group_control_number, group.status) == ("HC", "28", "R")
    assert not group.accepted
    assert (group.included, group.received, group.accepted_count) == (1, 1, 0)
    (s,) = group.sets
    assert (s.transaction_set_id, s.control_number, s.status, s.accepted) == (
        "837", "0028", "R", False)
    assert s.error_codes == ["5"]
    (err,) = s.segment_errors
    assert (err.segment_id, err.position, err.code) == ("NM", 17, "1")


def test_999_partial_acceptance_with_element_errors() -> None:
    (group,) = read_999(X12_FIXTURES / "999/oopfactory_999_DHS_Wisconsin_Sample.txt")
    assert group.status == "P" and not group.accepted and group.accepted_count == 1
    assert [(s.control_number, s.status, s.accepted) for s in group.sets] == [
        ("0001", "A", True), ("002", "R", False), ("0003", "R", False)]
    clm = group.sets[1].segment_errors[0]
    assert (clm.segment_id, clm.position, clm.code) == ("CLM", 22, "8")
    assert [(e.position, e.element_reference, e.code) for e in clm.elements] == [
        ("2", "782", "1")]
    assert clm.context == ["CLM01:123456789"]
    ref = group.sets[2].segment_errors[0]
    assert ref.segment_id == "REF" and len(ref.context) == 2


def test_999_with_mismatched_interchange_numbers_is_rejected() -> None:
    with pytest.raises(X12Error, match="IEA02 '000000001' does not match ISA13 '000000286'"):
        read_999(X12_FIXTURES / "999/imsweb_x12_999_accepted.txt")


def test_999_accepted_once_the_envelope_is_fixed() -> None:
    text = (X12_FIXTURES / "999/imsweb_x12_999_accepted.txt").read_text()
    (group,) = read_999(text.replace("IEA*1*000000001", "IEA*1*000000286").encode())
    assert group.accepted and group.status == "A"
    assert [(s.control_number, s.accepted) for s in group.sets] == [("0001", True)]


def test_277ca_accepted_claim() -> None:
    (ack,) = read_277ca(X12_FIXTURES / "277ca/imsweb_x12_277CA_accepted.txt")
    assert (ack.information_source, ack.receiver, ack.batch_trace) == (
        "NYSDOH", "A NY MD GROUP", "000000674")
    assert ack.accepted_count == 1 and ack.accepted_amount == Decimal("125.0")
    (claim,) = ack.claims
    assert (claim.patient_control_number, claim.status) == ("5781", "accepted")
    assert claim.payer_claim_number == "1107000000014420"
    assert claim.statuses[0].category == "A2" and claim.charge == Decimal("125")
    assert claim.billing_provider_id == "1234567890" and claim.rejection_codes == []


def test_277ca_rejected_claim_with_pipe_component_separator() -> None:
    (ack,) = read_277ca(X12_FIXTURES / "277ca/imsweb_x12_277CA_rejected.txt")
    (claim,) = ack.claims
    assert (claim.patient_control_number, claim.status) == ("3920394930203", "rejected")
    status = claim.statuses[0]
    assert (status.category, status.code, status.entity) == ("A7", "562", "85")
    assert status.date == dt.date(2011, 3, 11)
    assert claim.rejection_codes == ["A7:562"]
    assert claim.bill_type == "731" and claim.service_start == dt.date(2009, 3, 11)


def test_wrong_transaction_type_and_bad_values() -> None:
    with pytest.raises(X12Error, match="is not a 277"):
        read_277ca(X12_FIXTURES / "999/imsweb_x12_999_rejected.txt")
    with pytest.raises(X12Error, match="is not a 999"):
        read_999(X12_FIXTURES / "277ca/imsweb_x12_277CA_accepted.txt")
    text = (X12_FIXTURES / "277ca/imsweb_x12_277CA_rejected.txt").read_text()
    with pytest.raises(X12Error, match=r"\(STC\), element STC04: not a number: '19x'"):
        read_277ca(text.replace("WQ*199.14~REF", "WQ*19x~REF").encode())
    bad = (X12_FIXTURES / "999/imsweb_x12_999_rejected.txt").read_text()
    with pytest.raises(X12Error, match=r"\(AK9\), element AK902: not a whole number"):
        read_999(bad.replace("AK9*R*1*", "AK9*R*one*").encode())
