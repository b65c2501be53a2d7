"""`medinsure settle` and `medinsure explain`: formats, schemas, national fields, bad input."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import jsonschema
import pytest

from medinsure.io.masking import mask_id
from medinsure.io.national import SETLINFO_FIELDS
from medinsure.io.records import InputError, settle_file
from medinsure.io.writers import load_schema, write_settlements
from support import ARGS, CASES, DATA, D, run

CSV = DATA / "settle-example.csv"
YAML = DATA / "settle-example-2.yaml"
HEADER = "jurisdiction,patient_id,scheme,claim_id,kind,discharged,hospital_level,total,in_scope\n"


def settle_json(path: Path, *extra: str) -> list[dict]:
    code, out, err = run("settle", *ARGS, "--format", "json", *extra, str(path))
    assert (code, err) == (0, "")
    return json.loads(out)


def test_csv_and_yaml_forms_give_identical_settlements():
    from_csv, from_yaml = settle_json(CSV), settle_json(YAML)
    assert from_csv == from_yaml
    assert [s["claim_id"] for s in from_csv] == ["C1", "C2", "D1", "D2"]
    # D1: primary, retired employee 90%: (10,000 − 300) × 90% = 8,730; out-of-scope 2,000.50
    d1 = from_csv[2]
    assert (d1["basic_pool"], d1["in_scope_self_pay"], d1["patient_total"]) == ("8730.00", "1270.00", "3270.50")
    assert from_csv[3]["basic_pool"] == "6000.00"
    assert from_csv[3]["accumulator_after"]["bases"] == {"burden_subsidy": "5270.00"}


def test_json_output_validates_against_the_shipped_schema():
    schema = load_schema("settlement")
    jsonschema.Draft202012Validator.check_schema(schema)
    data = settle_json(CSV, "--national-fields")
    jsonschema.validate(data, schema)
    broken = json.loads(json.dumps(data))
    broken[0]["basic_pool"] = 26400.0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_scenario_files_validate_against_the_input_schema():
    schema = load_schema("claim-input")
    jsonschema.Draft202012Validator.check_schema(schema)
    from medinsure.io.data import read_data_file

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if type(value).__name__ == "Decimal":
            return str(value)
        return value

    for path in [YAML, DATA / "settle-example.yaml", CASES / "testland.yaml"]:
        jsonschema.validate(plain(read_data_file(path)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            [
                {
                    "name": "x",
                    "jurisdiction": "testland",
                    "patient": {"id": "P", "scheme": "resident", "colour": "red"},
                    "claims": [],
                }
            ],
            schema,
        )


def test_national_fields_map_the_components():
    (c1, *_rest) = settle_json(CSV, "--national-fields")
    n = c1["national"]["setlinfo"]
    assert list(n) == list(SETLINFO_FIELDS)
    assert n["medfee_sumamt"] == "50000.00"
    assert n["fulamt_ownpay_amt"] == "5000.00"
    assert n["inscp_scp_amt"] == "45000.00"
    assert n["act_pay_dedc"] == "1000.00"
    assert n["hifp_pay"] == c1["basic_pool"] == "26400.00"
    assert n["fund_pay_sumamt"] == c1["fund_total"]
    assert n["psn_part_amt"] == n["psn_cash_pay"] == c1["patient_total"] == "23600.00"


def test_csv_output_and_table_output():
    code, out, _ = run("settle", *ARGS, "--format", "csv", "--national-fields", str(YAML))
    lines = out.splitlines()
    assert lines[0].startswith("claim_id,patient_id,jurisdiction,year,total,deductible,basic_pool,")
    assert "hifp_pay" in lines[0]
    assert lines[2].startswith("C2,P1,testland,2020,30000.00,600.00,20580.00,9420.00,4812.00,")
    code, out, _ = run("settle", *ARGS, str(YAML))
    assert code == 0
    assert "4,812.00" in out.splitlines()[2]


def test_output_file_is_written_only_when_every_claim_settles(tmp_path):
    out = tmp_path / "out.json"
    assert run("settle", *ARGS, "--format", "json", "-o", str(out), str(CSV))[0] == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 4
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "testland,P1,resident,C1,inpatient,2020-01-05,tertiary,100,50\ntestland,P1,resident,C2,inpatient,2020-01-06,tertiary,100,500\n",
        encoding="utf-8",
    )
    target = tmp_path / "never.json"
    code, _, err = run("settle", *ARGS, "--format", "json", "-o", str(target), str(bad))
    assert code == 2
    assert f"{bad}: row 3: claim.in_scope='500.00': above claim.total 100.00" in err
    assert not target.exists()
    assert list(tmp_path.glob(".never.json*")) == []


def _row(**cells: str) -> str:
    base = {"jurisdiction": "testland", "patient_id": "P1", "scheme": "resident", "claim_id": "C1", "kind": "inpatient",
            "discharged": "2020-01-05", "hospital_level": "tertiary", "total": "100", "in_scope": "50"}  # fmt: skip
    base.update(cells)
    return HEADER + ",".join(base[k] for k in HEADER.strip().split(",")) + "\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_row(discharged="2020-02-30"), "row 2: claim.discharged='2020-02-30': not a date of the calendar"),
        (_row(discharged="05/01/2020"), "row 2: claim.discharged='05/01/2020': expected a date"),
        (_row(total="-100"), "row 2: claim.total='-100': must not be negative"),
        (_row(total="abc"), "row 2: claim.total='abc': not a number"),
        (_row(total="1.234"), "row 2: claim.total='1.234': more than two decimals"),
        (_row(total="NaN"), "row 2: claim.total='NaN': not a finite number"),
        (_row(kind="dental"), "row 2: claim.kind='dental': expected one of"),
        (_row(scheme="private"), "row 2: patient.scheme='private'"),
        (_row(hospital_level="4"), "row 2: claim.hospital_level='4'"),
        (_row(jurisdiction="atlantis"), "row 2: jurisdiction='atlantis': unknown jurisdiction"),
        (_row(jurisdiction=""), "row 2: no jurisdiction: give a jurisdiction column or --jurisdiction"),
        (HEADER.replace("total", "totl"), "row 1: unknown column 'totl'"),
        (HEADER.replace("claim_id,", ""), "row 1: missing column 'claim_id'"),
        (HEADER + "testland,P1\n", "row 2: 2 cells, but the header has 9 columns"),
        (HEADER, "no claim rows after the header"),
        ("", "the file is empty"),
        ("jurisdiction,jurisdiction\n", "column 'jurisdiction' given twice"),
    ],
)
def test_malformed_csv_gives_exit_2_and_one_line(tmp_path, content, message):
    path = tmp_path / "claims.csv"
    path.write_text(content, encoding="utf-8")
    code, _out, err = run("settle", *ARGS, str(path))
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "x.yaml",
            "- name: a\n  jurisdiction: testland\n  patient: {id: P, scheme: resident}\n  claims: [{id: C, kind: inpatient, discharged: 2020-01-01, total: 1, in_scope: 1, colour: red}]\n",
            "claims[0]: unknown key 'colour'",
        ),
        ("x.yaml", "", "the file is empty"),
        ("x.json", "{", "invalid JSON"),
        (
            "x.yaml",
            "- name: a\n  jurisdiction: testland\n  patient: {id: P, scheme: resident}\n  claims: [{id: C, kind: inpatient, discharged: 2020-01-01, total: -1, in_scope: 0}]\n",
            "claim.total=-1: must not be negative",
        ),
    ],
)
def test_malformed_scenario_input_gives_exit_2(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, _, err = run("settle", *ARGS, str(path))
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_wrong_encoding_and_missing_file(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "testland,张三,resident,C1,inpatient,2020-01-05,tertiary,100,50\n").encode("gbk"))
    code, _, err = run("settle", *ARGS, str(path))
    assert code == 2
    assert "not UTF-8 text" in err
    code, _, err = run("settle", *ARGS, str(tmp_path / "missing.csv"))
    assert code == 2
    assert "cannot read file" in err


def test_unknown_option_value_is_exit_2():
    code, _, err = run("settle", *ARGS, "--format", "xml", str(CSV))
    assert code == 2
    assert "invalid choice: 'xml'" in err


def test_settling_streams_in_bounded_memory(engine, tmp_path):
    def peak_for(rows: int) -> int:
        path = tmp_path / f"{rows}.csv"
        with path.open("w", encoding="utf-8") as handle:
            handle.write(HEADER)
            for i in range(rows):
                handle.write(
                    f"testland,P{i % 50},resident,C{i},inpatient,2020-{1 + i % 12:02d}-15,tertiary,3000,2000\n"
                )
        sink = io.StringIO()
        tracemalloc.start()
        count = write_settlements(settle_file(path, engine=engine), _Discard(), format="json")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == rows
        del sink
        return peak

    small, large = peak_for(300), peak_for(3_000)
    # settlements are not kept: each further claim costs only its id, kept to refuse a repeat
    # (a settlement held in memory would cost kilobytes)
    assert (large - small) / 2_700 < 300, (small, large)


class _Discard(io.StringIO):
    def write(self, text: str) -> int:
        return len(text)


def test_progress_only_on_a_terminal(engine):
    from medinsure.cli.progress import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe, unknown = Tty(), io.StringIO(), Tty()
    for stream, total in ((tty, 4), (pipe, 4), (unknown, None)):
        progress = Progress(stream, total, interval=0)
        for i in range(1, 5):
            progress(i)
        progress.close()
    shown = tty.getvalue()
    assert " 50%|" in shown
    assert "2/4 claims [" in shown
    assert "100%|" in shown
    assert "claims/s]" in shown  # the rate
    assert "<00:00" in shown  # the time left
    assert "4 claims [" in unknown.getvalue()
    assert "claims/s]" in unknown.getvalue()
    assert pipe.getvalue() == ""


def test_count_records_for_the_bar():
    from medinsure.io.records import count_records

    assert count_records(CSV) == 4
    assert count_records(YAML) == 4
    assert count_records(DATA / "missing.csv") is None


def test_explain_sheet_in_both_languages():
    code, zh, _ = run("explain", *ARGS, str(YAML), "--claim", "C2")
    assert code == 0
    assert "出院结算单" in zh
    assert "基本医疗保险统筹基金支付" in zh
    assert "20,580.00" in zh
    assert "4,812.00" in zh
    assert "大病保险支付" in zh
    assert "（30,000.00 − 600.00）× 70% = 20,580.00" in zh
    assert "年度累计 2020" in zh
    assert "18,600.00 → 28,020.00" in zh
    code, en, _ = run("explain", *ARGS, str(YAML), "--claim", "C2", "--lang", "en")
    assert "Discharge settlement sheet" in en
    assert "Critical-illness insurance" in en
    assert "4,812.00" in en
    assert "source: medinsure test suite, invented figures" in en.lower()


def test_explain_masks_ids_unless_asked(tmp_path):
    path = tmp_path / "id.yaml"
    path.write_text(
        "- name: a\n  jurisdiction: testland\n  patient: {id: '210202198005011234', scheme: resident}\n"
        "  claims: [{id: C, kind: inpatient, discharged: 2020-01-01, hospital_level: primary, total: 100, in_scope: 100}]\n",
        encoding="utf-8",
    )
    assert mask_id("210202198005011234") == "2102**********1234"
    _, out, _ = run("explain", *ARGS, str(path))
    assert "2102**********1234" in out
    assert "210202198005011234" not in out
    _, out, _ = run("explain", *ARGS, "--show-ids", str(path))
    assert "210202198005011234" in out
    _, out, _ = run("settle", *ARGS, str(path))
    assert "2102**********1234" in out


def test_explain_unknown_claim_is_exit_2():
    code, _, err = run("explain", *ARGS, str(YAML), "--claim", "ZZ")
    assert code == 2
    assert "--claim 'ZZ': no claim with this id" in err


def test_html_sheet_has_the_amounts(tmp_path):
    out = tmp_path / "sheet.html"
    assert run("explain", *ARGS, str(YAML), "--claim", "C2", "--html", str(out))[0] == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<tr data-component="critical_illness"><th>大病保险支付</th><td class="amount">4,812.00</td>' in page
    assert '<html lang="zh-CN">' in page


def test_plugins_lists_rule_years_and_rules_filters_by_year():
    code, out, _ = run("plugins", *ARGS)
    assert code == 0
    assert "2020–2021" in out
    code, out, _ = run("rules", *ARGS, "testland", "--year", "2020", "--format", "json")
    data = json.loads(out)
    ratio = next(t for t in data["tables"] if t["name"] == "basic.ratio")
    tertiary = next(r for r in ratio["rows"] if r["row"] == "scheme=resident, hospital_level=tertiary")
    assert [v["value"] for v in tertiary["versions"]] == ["60%"]
    code, out, _ = run("rules", *ARGS, "testland", "--year", "2023")
    assert "65%" in out
    assert " 60% " not in out


def test_python_calls_match_the_command_line(engine):
    settlements = list(settle_file(CSV, engine=engine))
    assert [s.critical_illness for s in settlements] == [D(0), D(4812), D(0), D(0)]
    with pytest.raises(InputError, match="row 2"):
        list(settle_file(CSV, engine=engine, jurisdiction="atlantis"))


# -- outputs whole or not at all; standard input ------------------------------------------------


def _two_cases(second_discharged: str) -> str:
    return (
        "- name: first\n  jurisdiction: testland\n  patient: {id: P1, scheme: resident}\n"
        "  claims: [{id: C1, kind: inpatient, discharged: 2020-03-01, basic: {pool: 0, in_scope_self_pay: 100}}]\n"
        "- name: second\n  jurisdiction: testland\n  patient: {id: P2, scheme: resident}\n"
        f"  claims: [{{id: C2, kind: inpatient, discharged: {second_discharged},"
        " basic: {pool: 0, in_scope_self_pay: 100}}]\n"
    )


@pytest.mark.parametrize("format", ["json", "csv", "table"])
def test_a_failure_after_some_claims_leaves_standard_output_empty(tmp_path, format):
    path = tmp_path / "two.yaml"
    path.write_text(_two_cases("2020-02-30"), encoding="utf-8")
    code, out, err = run("settle", *ARGS, "--format", format, str(path))
    assert (code, out) == (2, "")
    assert "case 'second', claims[0]: claim.discharged='2020-02-30': not a date of the calendar" in err


def test_json_lines_stream_and_stop_at_the_error_with_whole_lines(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(_two_cases("2020-02-30"), encoding="utf-8")
    code, out, err = run("settle", *ARGS, "--format", "jsonl", str(path))
    assert code == 2
    lines = out.splitlines()
    assert [json.loads(line)["claim_id"] for line in lines] == ["C1"]
    assert "not a date of the calendar" in err


@pytest.mark.parametrize("ledger", [False, True])
def test_o_writes_a_file_through_a_rename_and_nothing_when_it_fails(tmp_path, ledger):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(_two_cases("2020-04-01"), encoding="utf-8")
    bad.write_text(_two_cases("2020-02-30"), encoding="utf-8")
    target = tmp_path / "out.json"
    extra = ["--ledger", str(tmp_path / "ledger.sqlite")] if ledger else []
    code, out, err = run("settle", *ARGS, *extra, "--format", "json", "-o", str(target), str(good))
    assert (code, out, err) == (0, "", "")
    assert [d["claim_id"] for d in json.loads(target.read_text(encoding="utf-8"))] == ["C1", "C2"]
    before = target.read_text(encoding="utf-8")
    assert run("settle", *ARGS, "--format", "json", "-o", str(target), str(bad))[0] == 2
    assert target.read_text(encoding="utf-8") == before  # untouched
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.json")) == []  # no leftovers


def test_minus_reads_standard_input(monkeypatch):
    text = (DATA / "settle-example.csv").read_text(encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))
    code, out, err = run("settle", *ARGS, "--format", "json", "--input-format", "csv", "-")
    assert (code, err) == (0, "")
    from_file = run("settle", *ARGS, "--format", "json", str(DATA / "settle-example.csv"))[1]
    assert json.loads(out) == json.loads(from_file)
    bad = text.replace(",2020-03-15,", ",2020-03-45,", 1)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(bad.encode("utf-8")), encoding="utf-8"))
    code, out, err = run("settle", *ARGS, "--input-format", "csv", "-")
    assert (code, out) == (2, "")
    assert err.startswith("medinsure settle: standard input: row ")
    code, _, err = run("settle", *ARGS, "--input-format", "csv", str(DATA / "settle-example.csv"))
    assert code == 2
    assert "--input-format csv: only for standard input (FILE -)" in err


def test_a_csv_header_of_a_million_columns_is_one_refusal_and_quick(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n1\n", encoding="utf-8")
    code, out, err = run("settle", *ARGS, str(path))
    assert (code, out) == (2, "")
    assert err == f"medinsure settle: {path}: row 1: the header is longer than 4,096 characters\n"
    path.write_text(HEADER + "testland,P1,resident,C1,inpatient,2020-03-01,tertiary," + "9" * 200_000 + ",1\n")
    code, _, err = run("settle", *ARGS, str(path))
    assert code == 2
    assert err.startswith(f"medinsure settle: {path}: row 2: ")
    assert err.count("\n") == 1
