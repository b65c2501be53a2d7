"""Fuzzing the readers: random bytes, nesting, numbers, dates and ids, fed to settle, check and a
ledger, never give a traceback, a hang, output on failure, or a changed ledger."""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medinsure.ledger import open_ledger
from support import ARGS, run, testland_engine

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

numbers = st.one_of(
    st.integers(min_value=-(10**60), max_value=10**60),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e400", "1E+27", "-0", "0x3A98", "250:0", "12.345", "１２３", "9" * 5001, "", " "]),
)
dates = st.one_of(
    st.dates().map(str),
    st.sampled_from(["2021-02-30", "0000-00-00", "2021-13-45", "20210301", "2021-W10-1", "2021-03-01T00:00"]),
    st.text(max_size=12),
)
ids = st.one_of(
    st.text(max_size=80), st.sampled_from(["K1", "Ｋ１", "K1\u200b", "K1\nX", "\x1b[31m", "K\u202e1", "K\x00"])
)
nested = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=5)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=20,
)


def case(claim_id: Any, discharged: Any, pool: Any, extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": "fuzzed",
            "jurisdiction": "testland",
            "patient": {"id": "P1", "scheme": "resident"},
            "claims": [
                {
                    "id": claim_id,
                    "kind": "inpatient",
                    "discharged": discharged,
                    "basic": {"pool": pool, "in_scope_self_pay": extra},
                }
            ],
        }
    ]


def settle(path, *more: str) -> tuple[int, str, str]:
    started = time.monotonic()
    result = run("settle", *ARGS, "--format", "json", *more, str(path))
    assert time.monotonic() - started < 20, "a small file took too long"
    return result


def assert_clean(code: int, out: str, err: str) -> None:
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        assert out == ""  # nothing printed on a failure
        assert err.endswith("\n")
        assert err.count("\n") == 1, err
    else:
        json.loads(out)


@FUZZ
@given(st.binary(max_size=400), st.sampled_from([".yaml", ".json", ".csv"]))
def test_random_bytes(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"claims{suffix}"
    path.write_bytes(data)
    assert_clean(*settle(path))


@settings(FUZZ, max_examples=25)
@given(ids, dates, numbers, st.one_of(numbers, nested))
def test_fuzzed_fields_as_json_and_yaml(tmp_path_factory, claim_id, discharged, pool, extra):
    folder = tmp_path_factory.mktemp("fuzz")
    data = case(claim_id, discharged, pool, extra)
    text = json.dumps(data, ensure_ascii=False, default=str)
    (folder / "claims.json").write_text(text, encoding="utf-8")
    (folder / "claims.yaml").write_text(text, encoding="utf-8")  # JSON text is YAML too
    for path in (folder / "claims.json", folder / "claims.yaml"):
        assert_clean(*settle(path))
        code, _, err = run("check", *ARGS, str(path))
        assert code in (0, 1, 2)
        assert "Traceback" not in err


@FUZZ
@given(
    st.lists(st.text(max_size=8), min_size=1, max_size=6),
    st.lists(st.lists(st.text(max_size=10), max_size=8), max_size=4),
)
def test_fuzzed_csv(tmp_path_factory, header, rows):
    path = tmp_path_factory.mktemp("fuzz") / "claims.csv"
    lines = [",".join(header), *(",".join(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_clean(*settle(path))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids, dates, numbers)
def test_a_refused_file_leaves_the_ledger_as_it_was(tmp_path_factory, claim_id, discharged, pool):
    folder = tmp_path_factory.mktemp("fuzz")
    ledger = folder / "ledger.sqlite"
    good = folder / "good.json"
    good.write_text(json.dumps(case("G1", "2020-03-01", "0", "100")), encoding="utf-8")
    assert run("settle", *ARGS, "--ledger", str(ledger), str(good))[0] == 0
    with open_ledger(ledger, testland_engine(), create=False) as opened:
        before = opened.dump()
    fuzzed = folder / "fuzzed.json"
    data = case("G2", "2020-04-01", "0", "100") + case(claim_id, discharged, pool, "100")
    data[1]["name"] = "second"
    fuzzed.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    code, _, err = run("settle", *ARGS, "--ledger", str(ledger), str(fuzzed))
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        with open_ledger(ledger, testland_engine(), create=False) as opened:
            assert opened.dump() == before


@settings(FUZZ, max_examples=30)
@given(ids, ids, dates, numbers)
def test_fuzzed_flat_file_reads_alike_in_compare_and_both_settle_paths(tmp_path_factory, person, claim_id, day, total):
    """One reader for CSV: compare, settle's batch path (the table) and its scalar path (JSON)
    accept the same rows and refuse the same, each with one line and exit 2."""
    import csv

    path = tmp_path_factory.mktemp("fuzz") / "claims.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["jurisdiction", "patient_id", "scheme", "claim_id", "kind", "discharged", "total"])
        writer.writerow(["testland", "P0", "resident", "C0", "inpatient", "2021-01-02", "100"])
        writer.writerow(["testland", person, "resident", claim_id, "inpatient", day, total])
    started = time.monotonic()
    codes = []
    for argv in (["compare", str(path), "--jurisdictions", "testland"], ["settle", str(path)]):
        code, out, err = run(*argv, *ARGS)
        assert code in (0, 2), (argv, err)
        assert "Traceback" not in err
        if code == 2:
            assert (out, err.count("\n")) == ("", 1), err
        codes.append(code)
    code, out, err = settle(path)
    assert_clean(code, out, err)
    codes.append(code)
    assert time.monotonic() - started < 30, "a small file took too long"
    assert codes == [codes[0]] * 3, (codes, person, claim_id, day, total)
