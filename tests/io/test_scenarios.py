"""Scenario files and `medinsure check`: exit codes 0, 1, 2 and one-line reasons."""

from __future__ import annotations

import json

import pytest

from medinsure.errors import ScenarioError
from medinsure.io.scenarios import load_cases, run_case
from support import ARGS, TESTS, run, write

HERE = TESTS


GOOD = HERE / "cases" / "testland.yaml"


def test_check_passes_with_exit_0():
    code, out, err = run("check", *ARGS, str(GOOD))
    assert (code, err) == (0, "")
    assert out.strip() == "6 passed, 0 failed"


def test_check_reports_each_failure_with_exit_1(tmp_path):
    path = write(
        tmp_path,
        """\
        - name: wrong amount
          jurisdiction: testland
          patient: {id: P1, scheme: resident}
          claims:
            - {id: C1, kind: inpatient, discharged: 2020-03-15, hospital_level: tertiary, total: 50000, in_scope: 45000}
          expect:
            C1: {basic_pool: 26000, deductible: 1000}
        """,
    )
    code, out, _ = run("check", *ARGS, str(path))
    assert code == 1
    assert f"FAIL {path}:1: case 'wrong amount', claim C1, basic_pool: expected 26,000.00, actual 26,400.00" in out
    assert out.strip().endswith("0 passed, 1 failed")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            """\
            - name: typo
              jurisdiction: testland
              patient: {id: P1, scheme: resident, catgories: [low_income]}
              claims: [{id: C1, kind: inpatient, discharged: 2020-01-05, total: 1, in_scope: 1}]
            """,
            "cases.yaml:3: case 'typo': patient: unknown key 'catgories'",
        ),
        (
            """\
            - name: typo
              jurisdiction: testland
              patient: {id: P1, scheme: resident}
              claims:
                - {id: C1, kind: inpatient, discharged: 2020-01-05, total: 1, in_scope: 1, hosptal_level: primary}
            """,
            "cases.yaml:5: case 'typo': claims[0]: unknown key 'hosptal_level'",
        ),
        (
            """\
            - name: bad component
              jurisdiction: testland
              patient: {id: P1, scheme: resident}
              claims: [{id: C1, kind: inpatient, discharged: 2020-01-05, total: 1, in_scope: 1}]
              expect:
                C1: {critical: 0}
            """,
            "cases.yaml:6: case 'bad component': expect.C1: unknown key 'critical'",
        ),
        (
            """\
            - name: bad claim id
              jurisdiction: testland
              patient: {id: P1, scheme: resident}
              claims: [{id: C1, kind: inpatient, discharged: 2020-01-05, total: 1, in_scope: 1}]
              expect:
                C9: {basic_pool: 0}
            """,
            "case 'bad claim id': expect: unknown claim id 'C9' (claims: C1)",
        ),
        (
            """\
            - name: nowhere
              jurisdiction: atlantis
              patient: {id: P1, scheme: resident}
              claims: [{id: C1, kind: inpatient, discharged: 2020-01-05, total: 1, in_scope: 1}]
            """,
            "case 'nowhere': jurisdiction: jurisdiction='atlantis': unknown jurisdiction (installed: testcity, testland)",
        ),
        ("- name: x\n  colour: red\n", "cases.yaml:2: case 'x': case: unknown key 'colour'"),
        ("", "cases.yaml: the file is empty"),
        ("- [unclosed\n", "cases.yaml:2: invalid YAML"),
        ("\x1b", "cases.yaml: invalid YAML: unacceptable character #x001b"),
        ("cases: []\n", "expected a non-empty list of cases"),
        ("- name: a\n  name: b\n", "cases.yaml:2: key 'name' given twice in one mapping"),
    ],
)
def test_check_refuses_bad_files_with_exit_2(tmp_path, text, message):
    path = write(tmp_path, text)
    code, _out, err = run("check", *ARGS, str(path))
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_wrong_encoding_is_exit_2(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("- name: 大连\n".encode("gbk"))
    code, _, err = run("check", *ARGS, str(path))
    assert code == 2
    assert "not UTF-8 text" in err


def test_json_scenarios_read_decimals_exactly(tmp_path):
    case = {
        "name": "json",
        "jurisdiction": "testland",
        "patient": {"id": "P1", "scheme": "resident"},
        "claims": [
            {
                "id": "C1",
                "kind": "inpatient",
                "discharged": "2021-01-01",
                "basic": {"pool": 0.1, "in_scope_self_pay": 20000.1},
            }
        ],
        "expect": {"C1": {"critical_illness": 0.06}},
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps([case]), encoding="utf-8")
    assert run("check", *ARGS, str(path))[0] == 0


def test_missing_path_and_no_files(tmp_path):
    assert run("check", *ARGS, str(tmp_path / "nope.yaml"))[0] == 2
    assert run("check", *ARGS, str(tmp_path))[2].strip() == "medinsure check: no scenario files found"


def test_run_case_api(engine):
    cases = load_cases(GOOD)
    result = run_case(engine, cases[0])
    assert result.passed
    assert [s.claim.id for s in result.settlements] == ["C1", "C2"]
    with pytest.raises(ScenarioError):
        load_cases(HERE / "data" / "testland.yaml")
