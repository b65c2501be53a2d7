"""Exact money: amounts and rates read strictly, rounding half up to the fen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from medinsure import InvalidInput
from medinsure.money import amount, pct, rate, round_fen


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
        ("7.5E+26", "too large to be an amount"),
        (10**30, "too large to be an amount"),
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
