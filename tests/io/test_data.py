"""Reading YAML and JSON: libyaml where PyYAML has it, the same values and line numbers as the
pure-Python parser, exact decimals, and one-line errors that point at the line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from medinsure.errors import ReadError
from medinsure.io import data
from medinsure.io.data import line_of, parse_json, read_data_file

ROOT = Path(__file__).parent.parent.parent
PACKS = sorted(ROOT.glob("plugins/*/src/*/rules.yaml"))


def lines(value):
    if isinstance(value, dict):
        return [line_of(value), dict(value.key_lines), *(lines(v) for v in value.values())]
    if isinstance(value, list):
        return [lines(v) for v in value]
    return None


def test_libyaml_is_used_where_pyyaml_has_it():
    assert yaml.__with_libyaml__  # the CI installs PyYAML's wheels, which have it
    assert issubclass(data._Loader, yaml.CSafeLoader)


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.parent.name)
def test_the_fast_reader_equals_the_pure_python_one(path):
    fast, pure = read_data_file(path), read_data_file(path, pure=True)
    assert fast == pure
    assert lines(fast) == lines(pure)
    assert fast == yaml.load(path.read_text(encoding="utf-8"), Loader=data._PureLoader)


def test_values_and_lines(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb:\n  c: 0.65\n  d: [2021-01-01, yes, text]\ne: &x {f: 1}\ng: *x\n", encoding="utf-8")
    for pure in (False, True):
        got = read_data_file(path, pure=pure)
        assert got["b"]["c"] == Decimal("0.65")  # never a float
        assert str(got["b"]["d"][0]) == "2021-01-01"
        assert got["b"]["d"][1:] == [True, "text"]
        assert got["g"] == {"f": 1}
        assert (line_of(got, "b"), line_of(got["b"], "d"), line_of(got["g"])) == (2, 4, 5)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: 1\nb: 2\na: 3\n", "key 'a' given twice in one mapping", 3),
        ("a: 1\nb:\n  c: 2\n d: 3\n", "invalid YAML", 4),
        ("a: &x [1, *x]\n", "recursive alias", 1),
    ],
)
def test_errors_point_at_the_line_with_either_parser(tmp_path, text, message, line):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    for pure in (False, True):
        with pytest.raises(ReadError, match=message) as caught:
            read_data_file(path, pure=pure)
        assert caught.value.line == line


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
