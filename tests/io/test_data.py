"""The one YAML and JSON reader: plain data read exactly, with limits, every refusal one line;
libyaml where PyYAML has it, with the same values and line numbers as the pure-Python parser."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from medinsure.errors import ReadError
from medinsure.io import data
from medinsure.io.data import MAX_DEPTH, MAX_FILE_BYTES, line_of, parse_json, read_data_file, read_data_text
from support import ARGS, run, write

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
    path.write_text("a: 1\nb:\n  c: 0.65\n  d: [2021-01-01, yes, true, text]\ne: {f: 1}\n", encoding="utf-8")
    for pure in (False, True):
        got = read_data_file(path, pure=pure)
        assert got["b"]["c"] == Decimal("0.65")  # never a float
        assert got["b"]["d"] == ["2021-01-01", "yes", True, "text"]  # a date and "yes" stay text
        assert (line_of(got, "b"), line_of(got["b"], "d"), line_of(got["e"])) == (2, 4, 5)
    assert read_data_file(str(path)) == read_data_file(path)  # a path given as text


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: 1\nb: 2\na: 3\n", "key 'a' given twice in one mapping", 3),
        ("a: 1\nb:\n  c: 2\n d: 3\n", "invalid YAML", 4),
        ("a: &x [1, *x]\n", "YAML anchors and aliases", 1),
        ("e: &x {f: 1}\ng: *x\n", "YAML anchors and aliases", 1),
    ],
)
def test_errors_point_at_the_line_with_either_parser(tmp_path, text, message, line):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    for pure in (False, True):
        with pytest.raises(ReadError, match=message) as caught:
            read_data_file(path, pure=pure)
        assert caught.value.line == line


CASE = """\
- name: one
  jurisdiction: testland
  patient: {{id: P1, scheme: resident}}
  claims: [{{id: C1, kind: inpatient, discharged: {discharged}, basic: {{pool: {pool}, in_scope_self_pay: 100}}}}]
"""


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0x3A98", "0x3A98"),  # not hexadecimal
        ("250:0", "250:0"),  # not sexagesimal
        ("0b11", "0b11"),  # not binary
        ("0o17", "0o17"),  # not octal
        ("1_000", "1_000"),  # not an underscored number
        ("yes", "yes"),  # not a boolean
        ("2021-03-01", "2021-03-01"),  # a date is text, checked by the field that reads it
        ("12.50", Decimal("12.50")),
        ("-0", 0),
        ("1e400", Decimal("1E+400")),  # exact; the amount that reads it refuses it by name
        ("true", True),
        ("~", None),
        ("9" * 41, "9" * 41),  # too long for a number: text, refused by the field
    ],
)
def test_yaml_is_read_with_the_core_scalars_only(text, value):
    got = read_data_text(f"a: {text}")["a"]
    assert got == value
    assert type(got) is type(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1]\nb: *x\n", "YAML anchors and aliases (&name, *name) are not accepted"),
        ("a: &a [*a]\n", "YAML anchors and aliases (&name, *name) are not accepted"),
        ("[" * 40 + "]" * 40, f"nested more than {MAX_DEPTH} levels deep"),
        ("[" * 100_000 + "]" * 100_000, f"nested more than {MAX_DEPTH} levels deep"),
        ("a: !!python/object:os.system [ls]", "the tag tag:yaml.org,2002:python/object:os.system is not accepted"),
        ("a: !!python/name:os.system", "invalid YAML: could not determine a constructor"),
        ("a: 1\na: 2\n", "key 'a' given twice in one mapping"),
        ("\x1b", "invalid YAML: unacceptable character #x001b"),
    ],
)
def test_yaml_that_could_crash_hang_or_run_code_is_one_refusal(text, message):
    started = time.monotonic()
    with pytest.raises(ReadError) as info:
        read_data_text(text)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
    assert time.monotonic() - started < 10


def test_a_billion_laughs_is_refused_at_its_first_alias():
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [{', '.join(['*' + previous] * 9)}]\n"
    with pytest.raises(ReadError, match="aliases"):
        read_data_text(bomb)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, f"nested more than {MAX_DEPTH} levels deep"),
        ('{"a": 1, "a": 2}', "key 'a' given twice in one object"),
        ("[1,", "invalid JSON: Expecting value"),
    ],
)
def test_json_is_read_with_the_same_limits(text, message):
    with pytest.raises(ReadError) as info:
        read_data_text(text, json_=True)
    assert str(info.value).startswith(message)


def test_json_numbers_are_exact_and_long_ones_stay_text():
    assert read_data_text('{"a": 12.50, "b": 3, "c": 1e400}', json_=True) == {
        "a": Decimal("12.50"),
        "b": 3,
        "c": Decimal("1E+400"),
    }
    assert read_data_text('{"a": ' + "9" * 5001 + "}", json_=True) == {"a": "9" * 5001}


def test_a_file_too_large_to_be_a_scenario_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ReadError, match=r"the file has 67,108,865 bytes, more than the 67,108,864"):
        read_data_file(path)


@pytest.mark.parametrize(
    ("discharged", "pool", "message"),
    [
        ("2021-02-30", "0", "claim.discharged='2021-02-30': not a date of the calendar"),
        ("0000-00-00", "0", "claim.discharged='0000-00-00': not a date of the calendar"),
        ("20210301", "0", "claim.discharged=20210301: expected a date written YYYY-MM-DD"),  # a number in YAML
        ("2021-W10-1", "0", "claim.discharged='2021-W10-1': expected a date written YYYY-MM-DD"),
        ("2021-03-01", "0x3A98", "claim.basic.pool='0x3A98': not a number"),
        ("2021-03-01", "250:0", "claim.basic.pool='250:0': not a number"),
        ("2021-03-01", "1e400", "claim.basic.pool=Decimal('1E+400'): above the largest amount accepted"),
        ("2021-03-01", "9" * 5001, "claim.basic.pool='99999999999999999999…(5001 characters)': longer than 40"),
    ],
)
def test_settle_refuses_each_in_one_line_with_exit_2(tmp_path, discharged, pool, message):
    path = write(tmp_path, CASE.format(discharged=discharged, pool=pool))
    started = time.monotonic()
    code, out, err = run("settle", *ARGS, "--format", "json", str(path))
    assert time.monotonic() - started < 10
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert message in err


def test_settle_refuses_an_alias_bomb_in_a_scenario_file_quickly(tmp_path):
    bomb = 'x: &a ["1","1","1","1","1","1","1","1","1","1"]\n'
    for level in range(1, 9):
        bomb += f"x{level}: &a{level} [{', '.join(['*a' if level == 1 else f'*a{level - 1}'] * 10)}]\n"
    path = write(tmp_path, bomb)
    started = time.monotonic()
    code, _, err = run("check", *ARGS, str(path))
    assert code == 2
    assert "YAML anchors and aliases (&name, *name) are not accepted" in err
    assert time.monotonic() - started < 10


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
        ("[" * 100_000 + "]" * 100_000, "nested more than 32 levels deep"),
        ('{"a": 1', "invalid JSON: Expecting ',' delimiter"),
    ],
)
def test_what_is_not_json_is_one_read_error(text, message):
    with pytest.raises(ReadError, match=message):
        parse_json(text)


@pytest.mark.parametrize("collecting", [True, False])
@pytest.mark.parametrize("text", ["a: 1\nb: [x, y]\n", "a: &x 1\nb: *x\n"])
def test_reading_yaml_leaves_the_cycle_collector_as_it_found_it(collecting, text):
    import contextlib
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if collecting else gc.disable)()
        with contextlib.suppress(ReadError):  # the second text is refused (an alias)
            read_data_text(text)
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()
