"""One money parser: ASCII digits, whole cents, bounded, every refusal a located UserError."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.core.errors import UserError
from gateway.core.money import MAX_CENTS, MoneyError, parse_amount, parse_money


@pytest.mark.parametrize(("text", "value"), [
    ("12.34", D("12.34")), ("$1,234.56", D("1234.56")), ("(12.00)", D("-12.00")),
    ("12-", D("-12.00")), ("", D("0.00")), ("$-", D("0.00")), ("1.500", D("1.50")),
    (7, D("7.00")), (D("3.1"), D("3.10")), (0.1 + 0.2, D("0.30")),
    ("92233720368547758.07", D("92233720368547758.07")),
])
def test_amounts_read(text, value):
    assert parse_money(text) == value


@pytest.mark.parametrize(("text", "why"), [
    ("\u0661\u0662", "not an amount"),  # Arabic-Indic "12"
    ("\u0661\u0662.\u0660\u0660", "not an amount"),
    ("\uff11\uff12", "not an amount"),  # full-width digits
    ("12.345", "more than two decimals"), ("10.005", "more than two decimals"),
    (12.345, "more than two decimals"), (D("0.001"), "more than two decimals"),
    ("Infinity", "not an amount"), ("-inf", "not an amount"), ("NaN", "not an amount"),
    (D("Infinity"), "not an amount"), (D("NaN"), "not an amount"),
    ("92233720368547758.08", "too large"), (2**63, "too large"), ("1e5", "not an amount"),
    (True, "not an amount"), ("--5", "not an amount"),
])
def test_odd_text_is_refused_with_a_located_user_error(text, why):
    with pytest.raises(MoneyError) as info:
        parse_money(text, where="row 3, column Paid")
    assert isinstance(info.value, UserError)
    assert str(info.value).startswith("row 3, column Paid: ") and why in str(info.value)


def test_plain_form_only_for_wire_amounts():
    assert parse_amount("-1234.50") == D("-1234.50")
    for bad in ("$1", "(1)", "1,000", "+1", "\u0661"):
        with pytest.raises(MoneyError):
            parse_amount(bad)


@given(st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS))
def test_every_cent_amount_in_range_round_trips(c):
    text = str(D(c) / 100)
    assert parse_money(text) == D(c) / 100 == parse_amount(text)


@given(st.integers(min_value=MAX_CENTS + 1, max_value=MAX_CENTS * 1000))
def test_every_amount_out_of_range_is_refused(c):
    for text in (str(D(c) / 100), str(-D(c) / 100)):
        with pytest.raises(MoneyError):
            parse_money(text)
