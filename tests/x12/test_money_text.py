"""`money_text` is `format_money`, only faster: the same text for every Decimal."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from gateway.core.money import format_money
from gateway.core.x12.reader835 import money_text


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**9, max_value=10**9))
def test_same_text_as_format_money(value: Decimal) -> None:
    assert money_text(value) == format_money(value)


@given(st.integers(-10**11, 10**11), st.integers(-4, 2))
def test_same_text_at_every_exponent(digits: int, exponent: int) -> None:
    value = Decimal(digits).scaleb(exponent)
    assert money_text(value) == format_money(value)


def test_negative_zero_prints_as_zero() -> None:
    assert money_text(Decimal("-0.00")) == "0.00"
    assert money_text(Decimal("-0")) == "0.00"


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=0, max_value=10**6))
def test_units_text_is_the_documented_formula(value: Decimal) -> None:
    from gateway.core.x12.json835 import _units

    expected = format(value.normalize(), "f") if value == value.to_integral() else str(value)
    assert _units(value) == expected
