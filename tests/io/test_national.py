"""Fee lines, national codes, the platform's setlinfo / setldetail and the personal account.

Amounts come from tests/data/testland.yaml: resident inpatient tertiary deductible 1,000 and
60%, employees tertiary 1,000 and 80%; the default class-B ratio 10%; the personal account
pays the in-scope part of the patient's share (``personal_account.outside_scope_share`` 0).
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import testplugin
from medinsure import Claim, Engine, InvalidInput
from medinsure.io.national import national_record, setl_id, setlinfo
from medinsure.io.records import settle_file
from medinsure.io.writers import load_schema, settlement_record
from support import TESTS, D, child_pack, pack_plugin, patient, run
from support import testland_engine as make_engine

ENGINE = make_engine()
SCHEMA = load_schema("settlement")

# The contract's worked example: total 11,000; 全自费 1,000; 超限价 1,000; 先行自付 200 + 800; in scope 8,000
LINES = [
    {"code": "XA01", "name": "甲类药品", "class": "A", "amount": 3000},
    {"code": "XB02", "name": "乙类药品", "class": "B", "amount": 2000, "self_pay_ratio": "0.10"},
    {
        "code": "MB03",
        "name": "乙类材料",
        "class": "B",
        "amount": 5000,
        "quantity": 1,
        "unit_price": 5000,
        "price_limit": 4000,
        "self_pay_ratio": "0.20",
    },
    {"code": "SC04", "name": "丙类项目", "class": "C", "amount": 1000},
]
BASE = {"kind": "inpatient", "discharged": "2020-06-15", "hospital_level": "tertiary"}


def settle_one(claim: dict, **person):
    p = patient(**person)
    (s,) = ENGINE.settle(p, [Claim.from_mapping({"id": "C1", **BASE, **claim})], jurisdiction="testland")
    return s


def test_fee_lines_split_as_the_worked_example():
    c = Claim.from_mapping({"id": "C1", **BASE, "items": LINES})
    assert (c.total, c.out_of_scope, c.over_limit, c.class_b_self_pay, c.in_scope) == (
        D(11000),
        D(1000),
        D(1000),
        D(1000),
        D(8000),
    )


def test_the_same_claim_as_lines_and_as_totals_settles_identically():
    lines = settle_one({"items": LINES})
    totals = settle_one({"total": 11000, "in_scope": 8000, "class_b_self_pay": 1000, "over_limit": 1000})
    # (8,000 − 1,000) × 60% = 4,200; in-scope self-pay 3,800; the patient pays 11,000 − 4,200
    assert (lines.basic_pool, lines.in_scope_self_pay, lines.patient_total) == (D(4200), D(3800), D(6800))
    assert lines.amounts() == totals.amounts()
    assert setlinfo(lines) | {"setl_id": None} == setlinfo(totals) | {"setl_id": None}
    info = setlinfo(lines)
    assert (info["fulamt_ownpay_amt"], info["overlmt_selfpay"], info["preselfpay_amt"], info["inscp_scp_amt"]) == (
        "1000.00",
        "1000.00",
        "1000.00",
        "8000.00",
    )


def test_a_class_b_line_without_a_ratio_takes_the_jurisdictions_default():
    s = settle_one(
        {"items": [{"code": "B1", "class": "乙", "amount": "3000"}, {"code": "A1", "class": "01", "amount": 2000}]}
    )
    # 3,000 × 10% = 300 first self-pay; in scope 4,700; (4,700 − 1,000) × 60% = 2,220
    assert (s.claim.class_b_self_pay, s.claim.in_scope, s.basic_pool) == (D(300), D(4700), D(2220))
    assert any(v.startswith("testland/fees.class_b_self_pay_ratio") for v in s.rule_versions)


def test_lines_and_totals_that_disagree_are_refused_naming_both_figures():
    with pytest.raises(InvalidInput, match=r"claim.in_scope='7000.00'.*the fee lines give 8000.00"):
        Claim.from_mapping({"id": "C1", **BASE, "items": LINES, "in_scope": 7000})
    pending = {"id": "C1", **BASE, "items": [{"code": "B1", "class": "B", "amount": 3000}], "class_b_self_pay": 200}
    claim = Claim.from_mapping({**pending, "in_scope": 2800})
    # 3,000 at the default 10%: 先行自付 300 and in scope 2,700, not 200 and 2,800
    with pytest.raises(InvalidInput, match=r"in_scope='2800.00': the fee lines give 2700.00"):
        ENGINE.settle(patient(), [claim], jurisdiction="testland")


@given(
    st.lists(
        st.tuples(
            st.sampled_from("ABC"),
            st.integers(1, 10**7),
            st.one_of(st.none(), st.integers(1, 10**7)),
            st.integers(0, 100),
        ),
        min_size=1,
        max_size=6,
    )
)
@settings(max_examples=60, deadline=None)
def test_each_line_splits_into_four_parts_that_add_up(lines):
    items = []
    for i, (klass, fen, limit, ratio) in enumerate(lines):
        item = {"code": f"X{i}", "class": klass, "amount": str(D(fen) / 100)}
        if limit is not None and klass != "C":
            item["price_limit"] = str(D(limit) / 100)
        if klass == "B":
            item["self_pay_ratio"] = str(ratio / 100)
        items.append(item)
    c = Claim.from_mapping({"id": "C1", **BASE, "items": items})
    assert c.out_of_scope + c.over_limit + c.class_b_self_pay + c.in_scope == c.total
    assert min(c.out_of_scope, c.over_limit, c.class_b_self_pay, c.in_scope) >= 0
    s = ENGINE.settle(patient(), [c], jurisdiction="testland")[0]
    assert s.fund_total + s.patient_total == c.total


# --- codes ----------------------------------------------------------------------------------

HEADERS = {
    "english": "jurisdiction,patient_id,scheme,claim_id,kind,discharged,hospital_level,total,in_scope\n",
    "chinese": "jurisdiction,patient_id,scheme,claim_id,kind,discharged,hospital_level,total,in_scope\n",
    "codes": "jurisdiction,psn_no,insutype,claim_id,med_type,discharged,hospital_level,total,in_scope\n",
}
ROWS = {
    "english": [("resident", "inpatient", "tertiary"), ("resident", "inpatient", "secondary")],
    "chinese": [("居民", "住院", "三级"), ("城乡居民", "住院", "二级")],
    "codes": [("390", "21", "02"), ("390", "21", "05")],
}


@pytest.mark.parametrize("form", ["chinese", "codes"])
def test_chinese_names_and_national_codes_settle_as_the_english_file(tmp_path, form):
    def write(name: str) -> str:
        rows = [
            f"testland,P1,{scheme},C{i},{kind},2020-0{i + 3}-01,{level},50000,45000"
            for i, (scheme, kind, level) in enumerate(ROWS[name])
        ]
        path = tmp_path / f"{name}.csv"
        path.write_text(HEADERS[name] + "\n".join(rows) + "\n", encoding="utf-8")
        return str(path)

    english = [s.to_dict() for s in settle_file(write("english"), engine=ENGINE)]
    other = [s.to_dict() for s in settle_file(write(form), engine=ENGINE)]
    assert other == english
    assert english[0]["basic_pool"] == "26400.00"  # (45,000 − 1,000) × 60%


def test_an_unknown_value_names_the_chinese_and_code_forms():
    with pytest.raises(
        InvalidInput, match=r"claim.kind='住店': expected one of inpatient.*Chinese name or national code"
    ):
        Claim.from_mapping({"id": "C1", **BASE, "kind": "住店", "total": 1, "in_scope": 1})


# --- setlinfo and setldetail ----------------------------------------------------------------


def test_the_example_file_gives_every_field_and_validates_against_the_schema():
    code, out, err = run(
        "settle", "--no-entry-points", "-p", "testplugin", "--format", "json", "--national-fields",
        "--jurisdiction", "testland", str(TESTS / "data" / "national.yaml"),
    )  # fmt: skip
    assert (code, err) == (0, "")
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    info = data[0]["national"]["setlinfo"]
    assert info["setl_id"].startswith("MS")
    assert len(info["setl_id"]) == 22
    assert (info["insutype"], info["med_type"], info["mdtrt_id"]) == ("390", "21", "MDT-1")
    broken = json.loads(out)
    broken[0]["national"]["setlinfo"]["hifp_pay"] = 4200.0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


# a child of testland whose critical-illness insurance covers employees too (as Liaoning's does)
EMPLOYEES_TOO = child_pack(
    benefits={
        "critical_illness": {
            "component": "critical_illness",
            "schemes": ["resident", "employee"],
            "counts": ["inpatient"],
            "schedules": [
                {
                    "versions": [
                        {
                            "from": "2020-01-01",
                            "threshold": 20000,
                            "tiers": [{"from": 0, "rate": "0.60"}],
                            "source": "s",
                            "verified": True,
                        }
                    ]
                }
            ],
        },
        "burden_subsidy": None,
    }
)


def test_an_employees_critical_illness_is_not_in_the_residents_field():
    engine = Engine.from_plugins(testplugin, pack_plugin(EMPLOYEES_TOO, "child"))
    claim = Claim.from_mapping({"id": "C1", **BASE, "basic": {"pool": 0, "in_scope_self_pay": 30000, "deductible": 0}})
    # self-pay 30,000 above the threshold 20,000: 10,000 × 60% = 6,000
    (s,) = engine.settle(patient(scheme="employee"), [claim], jurisdiction="child")
    info = setlinfo(s)
    assert s.critical_illness == D(6000)
    assert (info["hifmi_pay"], info["hifob_pay"]) == ("0.00", "6000.00")
    detail = {row["medinsure_fund"]: row for row in national_record(s)["setldetail"]}
    assert detail["critical_illness"]["fund_pay_type"] == "330100"
    (r,) = engine.settle(patient(), [claim], jurisdiction="child")
    assert (setlinfo(r)["hifmi_pay"], setlinfo(r)["hifob_pay"]) == ("6000.00", "0.00")


def test_an_unknown_deductible_is_null_and_a_known_zero_is_zero():
    unknown = setlinfo(settle_one({"basic": {"pool": 1000, "in_scope_self_pay": 500}}))
    known = setlinfo(settle_one({"basic": {"pool": 1000, "in_scope_self_pay": 500, "deductible": 0}}))
    assert (unknown["act_pay_dedc"], known["act_pay_dedc"]) == (None, "0.00")
    assert (
        settlement_record(settle_one({"basic": {"pool": 1000, "in_scope_self_pay": 500}}), national=True)["national"][
            "setlinfo"
        ]["act_pay_dedc"]
        is None
    )


def test_setl_id_is_deterministic_and_a_given_one_is_kept():
    a, b = settle_one({"items": LINES}), settle_one({"items": LINES})
    assert setl_id(a) == setl_id(b)
    assert setl_id(settle_one({"items": LINES, "setl_id": "S-42"})) == "S-42"


# --- the personal account -------------------------------------------------------------------


def test_the_account_pays_part_and_cash_the_rest():
    s = settle_one(
        {
            "items": [
                {"code": "A", "class": "A", "amount": 6000},
                {"code": "B", "class": "B", "amount": 3000},
                {"code": "C", "class": "C", "amount": 1000},
            ],
            "account_balance": 2000,
            "mutual_aid_balance": 300,
        },
        scheme="employee",
    )
    # 先行自付 3,000 × 10% = 300; in scope 8,700; (8,700 − 1,000) × 80% = 6,160; share 10,000 − 6,160 = 3,840
    # the account may pay the in-scope part 3,840 − 1,000 = 2,840: balance 2,000, mutual aid 300, cash 1,540
    info = setlinfo(s)
    assert (info["hifp_pay"], info["psn_part_amt"]) == ("6160.00", "3840.00")
    assert (info["acct_pay"], info["acct_mulaid_pay"], info["psn_cash_pay"], info["balc"]) == (
        "2000.00",
        "300.00",
        "1540.00",
        "0.00",
    )
    unused = setlinfo(settle_one({"items": LINES, "account_balance": 2000, "use_account": "0"}, scheme="employee"))
    assert (unused["acct_pay"], unused["psn_cash_pay"], unused["balc"]) == ("0.00", unused["psn_part_amt"], "2000.00")


def test_a_resident_has_no_personal_account():
    with pytest.raises(InvalidInput, match="only employees have a personal account"):
        settle_one({"items": LINES, "account_balance": 100})


# --- an interim settlement of a long stay ----------------------------------------------------


def test_an_interim_settlement_counts_the_stay_once():
    p = patient()
    part1 = {"id": "I1", **BASE, "discharged": "2020-03-31", "mdtrt_id": "M1", "mid_setl_flag": True}
    part2 = {"id": "I2", **BASE, "discharged": "2020-04-20", "mdtrt_id": "M1"}
    a, b = ENGINE.settle(
        p,
        [
            Claim.from_mapping({**part1, "total": 30000, "in_scope": 30000}),
            Claim.from_mapping({**part2, "total": 21000, "in_scope": 21000}),
        ],
        jurisdiction="testland",
    )
    # part 1: (30,000 − 1,000) × 60% = 17,400; part 2: no deductible again, 21,000 × 60% = 12,600
    assert (a.deductible, a.basic_pool, b.deductible, b.basic_pool) == (D(1000), D(17400), D(0), D(12600))
    assert b.accumulator_after.admissions == 1
    assert b.accumulator_after.open_stays == ()
    (whole,) = ENGINE.settle(
        p, [Claim.from_mapping({"id": "W", **BASE, "total": 51000, "in_scope": 51000})], jurisdiction="testland"
    )
    # one admission of 51,000: (51,000 − 1,000) × 60% = 30,000 = 17,400 + 12,600
    assert whole.basic_pool == a.basic_pool + b.basic_pool
    assert whole.critical_illness == a.critical_illness + b.critical_illness
    assert setlinfo(a)["mid_setl_flag"] == "1"


# --- fee lines in a second CSV file ----------------------------------------------------------


def test_a_line_file_joins_the_claims_by_claim_id(tmp_path):
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "jurisdiction,patient_id,scheme,claim_id,kind,discharged,hospital_level\n"
        "testland,P1,resident,C1,inpatient,2020-06-15,tertiary\n",
        encoding="utf-8",
    )
    lines = tmp_path / "lines.csv"
    rows = ["claim_id,code,name,chrgitm_lv,det_item_fee_sumamt,cnt,pric,pric_uplmt_amt,selfpay_prop"]
    rows += [
        "C1,XA01,甲类药品,01,3000,,,,",
        "C1,XB02,乙类药品,02,2000,,,,0.10",
        "C1,MB03,乙类材料,02,5000,1,5000,4000,0.20",
        "C1,SC04,丙类项目,03,1000,,,,",
    ]
    lines.write_text("\n".join(rows) + "\n", encoding="utf-8")
    (s,) = settle_file(claims, engine=ENGINE, lines=lines)
    assert s.amounts() == settle_one({"items": LINES}).amounts()
    lines.write_text(lines.read_text(encoding="utf-8") + "C9,X,x,01,1,,,,\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"lines.csv: rows 6: claim_id 'C9' is not a claim of"):
        list(settle_file(claims, engine=ENGINE, lines=lines))


def test_the_documented_code_table_is_the_one_the_input_reads():
    from medinsure.io.codes import CODES

    page = (TESTS.parent / "docs" / "national.md").read_text(encoding="utf-8")
    for row in CODES:
        cells = f"| `{row.field}` | `{row.name}` | {' / '.join(row.zh)} | {row.code or '—'} |"
        assert cells in page, row


def test_a_json_scenario_file_carries_fee_lines_too(tmp_path):
    from medinsure.io.data import read_data_file

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value if isinstance(value, (str, int, bool)) or value is None else str(value)

    path = tmp_path / "national.json"
    path.write_text(json.dumps(plain(read_data_file(TESTS / "data" / "national.yaml")), ensure_ascii=False), "utf-8")
    (s,) = settle_file(path, engine=ENGINE)
    # the worked example: (8,000 − 1,000) × 60% = 4,200
    assert (s.claim.over_limit, s.claim.in_scope, s.basic_pool) == (D(1000), D(8000), D(4200))


@given(st.lists(st.integers(1, 4_000_000), min_size=1, max_size=4))
@settings(max_examples=40, deadline=None)
def test_a_stay_settled_in_parts_counts_once(parts_fen):
    # parts of one stay (interim settlements, then the discharge) against the whole stay at once
    claims = []
    for i, fen in enumerate(parts_fen):
        last = i == len(parts_fen) - 1
        cost = str(D(fen) / 100)
        claims.append(
            Claim.from_mapping(
                {"id": f"P{i}", **BASE, "discharged": f"2020-0{i + 1}-28", "mdtrt_id": "STAY",
                 "mid_setl_flag": not last, "total": cost, "in_scope": cost}
            )
        )  # fmt: skip
    whole_cost = str(D(sum(parts_fen)) / 100)
    whole = Claim.from_mapping({"id": "W", **BASE, "total": whole_cost, "in_scope": whole_cost})
    parts = ENGINE.settle(patient(), claims, jurisdiction="testland")
    (one,) = ENGINE.settle(patient(), [whole], jurisdiction="testland")
    assert all(s.fund_total + s.patient_total == s.total for s in parts)
    assert sum(s.deductible for s in parts) == one.deductible  # the deductible once
    assert parts[-1].accumulator_after.admissions == 1  # one admission
    assert parts[-1].accumulator_after.open_stays == ()
    # the pool rounds each part to the fen; the secondary benefit is exact on the year's base
    assert abs(sum(s.basic_pool for s in parts) - one.basic_pool) <= D("0.01") * len(parts)
    pool_gap = abs(one.basic_pool - sum(s.basic_pool for s in parts))
    # the year's self-pay base moves by the same fen, and the benefit by at most as much
    assert sum(s.in_scope_self_pay for s in parts) - one.in_scope_self_pay in (pool_gap, -pool_gap)
    assert abs(sum(s.critical_illness for s in parts) - one.critical_illness) <= pool_gap + D("0.01")
