"""Reading JSON text: exact decimals, and one-line errors for what is not JSON a person meant."""

from __future__ import annotations

from decimal import Decimal

import pytest

from medinsure.errors import ReadError
from medinsure.io.data import parse_json


def test_numbers_with_a_point_are_exact_decimals():
    assert parse_json('{"total": 12345.6, "n": 3, "e": 1e5}') == {
        "total": Decimal("12345.6"),
        "n": 3,
        "e": Decimal("1E+5"),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "key 'a' given twice in one object"),
        ('{"a": NaN}', "NaN is not a number JSON allows"),
        ("[Infinity]", "Infinity is not a number JSON allows"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("1" * 5000, "an integer too long to read"),
        ('{"a": 1', "invalid JSON: Expecting ',' delimiter"),
    ],
)
def test_what_is_not_json_is_one_read_error(text, message):
    with pytest.raises(ReadError, match=message):
        parse_json(text)
