"""Exact money: amounts and rates read strictly, rounding half up to the fen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medinsure import InvalidInput
from medinsure.money import amount, fen_text, from_fen, pct, rate, round_fen


@pytest.mark.parametrize(
    ("value", "expected"), [(12345, "12345.00"), ("12345.6", "12345.60"), (Decimal("0.01"), "0.01"), (" 7 ", "7.00")]
)
def test_amount_accepts_int_str_decimal(value, expected):
    assert amount(value) == Decimal(expected)
    assert str(amount(value)) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1.5, "float is not accepted"),
        (True, "bool is not accepted"),
        ("NaN", "not a finite number"),
        (Decimal("Infinity"), "not a finite number"),
        ("12.345", "more than two decimals"),
        ("7.5E+26", r"above the largest amount accepted \(1,000,000,000\)"),
        (10**30, r"above the largest amount accepted \(1,000,000,000\)"),
        ("abc", "not a number"),
        (-1, "must not be negative"),
        ([], "expected a number, got list"),
    ],
)
def test_amount_refuses_with_a_clear_reason(value, reason):
    with pytest.raises(InvalidInput, match=reason) as info:
        amount(value, "claim.total")
    assert info.value.field == "claim.total"


def test_round_half_up_to_the_fen():
    assert round_fen(Decimal("0.005")) == Decimal("0.01")
    assert round_fen(Decimal("0.0049")) == Decimal("0.00")
    assert round_fen(Decimal("2.675")) == Decimal("2.68")
    assert round_fen(Decimal("-0.005")) == Decimal("-0.01")


def test_rate_bounds_and_display():
    assert rate("0.65") == Decimal("0.65")
    with pytest.raises(InvalidInput, match="within"):
        rate("1.01")
    assert pct(Decimal("0.65")) == "65%"
    assert pct(Decimal("0.075")) == "7.5%"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1e400", "above the largest amount accepted (1,000,000,000)"),
        ("1E+27", "above the largest amount accepted (1,000,000,000)"),
        ("12345678901234567890123456789", "above the largest amount accepted (1,000,000,000)"),
        pytest.param(10**5000, "above the largest amount accepted (1,000,000,000)", id="a 5001-digit integer"),
        ("1" * 5001, "longer than 40 characters: not an amount"),
        ("1000000000.01", "above the largest amount accepted (1,000,000,000)"),
    ],
)
def test_numbers_too_large_or_too_long_are_one_clear_refusal(value, reason):
    with pytest.raises(InvalidInput) as info:
        amount(value, "claim.total")
    assert info.value.reason == reason
    assert len(str(info.value)) < 200  # the value is cut, not printed whole


def test_the_largest_amount_is_accepted_and_minus_zero_is_zero():
    assert amount("1000000000.00") == Decimal("1000000000.00")
    for zero in ("-0", "-0.00", "0E+5", Decimal("-0")):
        assert str(amount(zero)) == "0.00"
    assert str(rate("-0")) == "0.00"


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "0.00"), (5, "0.05"), (50, "0.50"), (123456, "1234.56"), (-123456, "-1234.56"), (-7, "-0.07")],
)
def test_fen_text_is_yuan_with_two_decimals(fen, text):
    assert fen_text(fen) == text


@given(st.integers(min_value=-(10**11), max_value=10**11))
def test_fen_text_reads_back_as_the_same_fen(fen):
    assert Decimal(fen_text(fen)) == from_fen(fen)
    assert amount(fen_text(fen), allow_negative=True) == from_fen(fen)
