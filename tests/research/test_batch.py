"""The batch path: hand-computed amounts, and equality with the scalar engine on random populations."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import testplugin
from medinsure import Engine
from medinsure.errors import InputError, InvalidInput, MedinsureError
from medinsure.research.batch import prepare, settle_frame, settle_frame_scalar, to_decimal, yuan_to_fen
from medinsure.testing.batch import assert_same_as_scalar, populations
from support import CheckPlugin


def frame(*rows: dict) -> pd.DataFrame:
    base = {"jurisdiction": "testland", "scheme": "resident", "kind": "inpatient", "hospital_level": "tertiary"}
    return pd.DataFrame([{**base, **row} for row in rows])


def employee_claims(ids: list) -> pd.DataFrame:
    """One employee claim a row, a month apart, for the persons ``ids``: (25,000 − 1,000) × 80%
    = 19,200 from the pool, a self-pay of 5,800 (see test_every_form_of_the_ids_settles_alike)."""
    return frame(
        *(
            {"patient_id": p, "claim_id": f"C{i}", "discharged": f"2021-0{i + 1}-01"}
            | {"total": "30000", "in_scope": "25000", "scheme": "employee"}
            for i, p in enumerate(ids)
        )
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(populations(("testland", "testcity"), (2020, 2021, 2022)))
def test_batch_equals_scalar_engine(engine, population):
    assert_same_as_scalar(engine, population)


def test_hand_computed_resident_year(engine):
    df = frame(
        {"patient_id": "P1", "claim_id": "C1", "discharged": "2021-03-01", "total": "30000", "in_scope": "25000"},
        {
            "patient_id": "P1",
            "claim_id": "C2",
            "discharged": "2021-05-01",
            "hospital_level": "secondary",
            "total": "90000.50",
            "in_scope": "80000.01",
        },
    )
    got = settle_frame(df, engine=engine)
    assert list(got.columns) == ["claim_id", *(f"{c}_fen" for c in __import__("medinsure").COMPONENTS)]
    assert got.dtypes.iloc[1:].eq("int64").all()
    # C1: (25,000 − 1,000) × 65% = 15,600; self-pay 9,400 is below the 20,000 threshold
    assert got.loc[0, "basic_pool_fen"] == 1_560_000
    assert got.loc[0, "critical_illness_fen"] == 0
    assert got.loc[0, "patient_total_fen"] == 1_440_000
    # C2: (80,000.01 − 600) × 70% = 55,580.007 → 55,580.01; self-pay 24,420.00;
    # critical illness F(33,820) − F(9,400) = 13,820 × 60% = 8,292.00
    dec = to_decimal(got)
    assert dec.loc[1, "basic_pool"] == Decimal("55580.01")
    assert dec.loc[1, "in_scope_self_pay"] == Decimal("24420.00")
    assert dec.loc[1, "critical_illness"] == Decimal("8292.00")
    assert dec.loc[1, "fund_total"] == Decimal("63872.01")
    assert dec.loc[1, "patient_total"] == Decimal("26128.49")
    assert got.attrs["medinsure"]["fallback_rows"] == 0
    assert got.attrs["medinsure"]["jurisdictions"]["testland"]["plugin"] == "testplugin"


def test_pool_cap_and_large_amount(engine):
    df = frame(
        {
            "scheme": "employee",
            "hospital_level": "secondary",
            "patient_id": "P2",
            "claim_id": "C3",
            "discharged": "2021-05-01",
            "total": "300000",
            "in_scope": "290000",
        }
    )
    got = to_decimal(settle_frame(df, engine=engine)).iloc[0]
    # (290,000 − 600) × 80% = 231,520 capped at 200,000; above the cap 289,400 − 200,000 / 80% = 39,400
    assert got["basic_pool"] == Decimal("200000.00")
    assert got["large_amount"] == Decimal("35460.00")  # 39,400 × 90%
    assert got["in_scope_self_pay"] == Decimal("54540.00")
    assert got["burden_subsidy"] == Decimal("17816.00")  # (54,540 − 10,000) × 40%
    assert got["fund_total"] == Decimal("253276.00")


def test_combined_cap_takes_the_scalar_fallback(engine):
    df = frame(
        {"jurisdiction": "testcity", "patient_id": "P", "claim_id": "A", "discharged": "2021-06-01"}
        | {"total": "20000", "in_scope": "20000"},
        {"jurisdiction": "testcity", "patient_id": "P", "claim_id": "B", "discharged": "2021-07-01"}
        | {"total": "200000", "in_scope": "200000"},
        {"jurisdiction": "testcity", "patient_id": "Q", "claim_id": "C", "discharged": "2021-07-01"}
        | {"total": "5000", "in_scope": "5000"},
    )
    got = settle_frame(df, engine=engine)
    assert got.attrs["medinsure"]["fallback_rows"] == 2  # the person-year of P
    dec = to_decimal(got)
    # A: pool 19,000 × 65% = 12,350, self-pay 7,650 (below 10,000)
    # B: pool 199,000 × 65% = 129,350; self-pay 70,650, year 78,300: F = 24,000 + 28,300 × 70% = 43,810,
    # but basic + critical illness ≤ 80% × 220,000 = 176,000: 176,000 − 12,350 − 129,350 = 34,300
    assert dec.loc[1, "basic_pool"] == Decimal("129350.00")
    assert dec.loc[1, "critical_illness"] == Decimal("34300.00")
    assert got.loc[2, "fund_total_fen"] == 260_000  # (5,000 − 1,000) × 65%


def test_yuan_to_fen_is_exact_and_refuses_floats():
    assert list(yuan_to_fen(pd.Series(["12.3", "0.05", "7", "", Decimal("1E+2")]))) == [1230, 5, 700, -1, 10000]
    assert list(yuan_to_fen(pd.Series([3, 4]))) == [300, 400]
    with pytest.raises(InvalidInput, match="float"):
        yuan_to_fen(pd.Series([1.5]), "claim.total")
    with pytest.raises(InvalidInput, match="two decimals"):
        yuan_to_fen(pd.Series(["1.234"]), "claim.total")
    with pytest.raises(InvalidInput, match="negative"):
        yuan_to_fen(pd.Series(["-3"]), "claim.total")
    # above 10⁹ yuan, as the scalar rules refuse it: as text, and as integers (before scaling)
    for values in (["1", "1000000000.01"], [1, 10**17]):
        with pytest.raises(InvalidInput, match=r"above the largest amount accepted \(1,000,000,000\)"):
            yuan_to_fen(pd.Series(values), "claim.total")
    assert list(yuan_to_fen(pd.Series(["1000000000.00", 1_000_000_000]))) == [10**11] * 2


def _scalar_fen(text: str) -> int | str:
    from medinsure.money import amount

    if not text.strip():
        return -1
    try:
        return int(amount(text, "claim.total") * 100)
    except InvalidInput as exc:
        return exc.reason


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"\A[0-9]{1,18}(\.[0-9]{1,3})?\Z"),  # plain, and plain but for a digit too many
            st.text(alphabet="0123456789.+-eE /", max_size=8),  # near misses
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["str", "large_string", "object"]),
)
def test_yuan_text_is_read_as_the_scalar_rules_read_it(texts, dtype):
    # the Arrow reading of a column of plain amounts (and of any other column) gives each text
    # the fen the scalar rules give it, or refuses it as they do
    import pyarrow as pa

    if dtype == "large_string":
        series = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([pa.array(texts, type=pa.large_string())])))
    else:
        series = pd.Series(texts, dtype=dtype)
    expected = [_scalar_fen(t) for t in texts]
    refused = [e for e in expected if isinstance(e, str)]
    if refused:
        with pytest.raises(InvalidInput, match=re.escape(refused[0])):
            yuan_to_fen(series, "claim.total")
    else:
        assert list(yuan_to_fen(series, "claim.total")) == expected


def test_native_fen_columns_and_order_of_persons(engine):
    df = frame(
        {
            "patient_id": "P",
            "claim_id": "P2",
            "discharged": "2022-02-01",
            "total_fen": 100_000,
            "in_scope_fen": 100_000,
        },
        {
            "patient_id": "Q",
            "claim_id": "Q1",
            "discharged": "2021-02-01",
            "total_fen": 100_000,
            "in_scope_fen": 100_000,
        },
        {
            "patient_id": "P",
            "claim_id": "P1",
            "discharged": "2021-02-01",
            "total_fen": 100_000,
            "in_scope_fen": 100_000,
        },
    )
    got = settle_frame(df, engine=engine)
    assert list(got["claim_id"]) == ["P2", "Q1", "P1"]
    assert list(got["deductible_fen"]) == [100_000, 100_000, 100_000]  # a tertiary deductible of 1,000 each


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"jurisdiction": "atlantis"}, "row 0 .*atlantis"),
        ({"in_scope": "50000"}, "row 0 .*in_scope: above claim.total"),
        ({"kind": "spa"}, "row 0 .*claim.kind='spa'"),
        ({"discharged": "2019-12-31"}, "row 0 .*no version in force"),
    ],
)
def test_errors_name_the_row_and_value(engine, change, message):
    row = {"patient_id": "P", "claim_id": "C", "discharged": "2021-03-01", "total": "100", "in_scope": "100"}
    with pytest.raises(MedinsureError, match=message):
        settle_frame(frame(row | change), engine=engine)


def test_unknown_column_is_refused(engine):
    row = {"patient_id": "P", "claim_id": "C", "discharged": "2021-03-01", "total": "1", "in_scope": "1", "x": "1"}
    with pytest.raises(MedinsureError, match="unknown column 'x'"):
        settle_frame(frame(row), engine=engine)


def test_python_eligibility_checks_take_the_fallback():
    engine = Engine.from_plugins(testplugin, CheckPlugin(lambda ctx: ctx.claim.in_scope < 50000))
    df = frame(
        {"jurisdiction": "checkland", "patient_id": "P", "claim_id": "A", "discharged": "2021-03-01"}
        | {"total": "20000", "in_scope": "20000"},
        {"jurisdiction": "checkland", "patient_id": "P", "claim_id": "B", "discharged": "2021-04-01"}
        | {"total": "60000", "in_scope": "60000"},
    )
    got = settle_frame(df, engine=engine)
    assert got.attrs["medinsure"]["fallback_rows"] == 2
    assert list(got["basic_pool_fen"]) == [1_235_000, 0]  # (20,000 − 1,000) × 65%; B refused by the check
    pd.testing.assert_frame_equal(got, settle_frame_scalar(df, engine=engine))


def test_person_ids_are_compared_stripped(engine):
    row = {"scheme": "employee", "discharged": "2021-03-01", "total": "60000", "in_scope": "60000"}
    got = settle_frame(
        frame(row | {"patient_id": "P", "claim_id": "A"}, row | {"patient_id": " P ", "claim_id": "B"}), engine=engine
    )
    # one person-year: the subsidy's base accumulates over both claims
    # A: pool (60,000 − 1,000) × 80% = 47,200, self-pay 12,800, subsidy (12,800 − 10,000) × 40% = 1,120
    # B: self-pay 12,800 again, year 25,600: subsidy 15,600 × 40% − 1,120 = 5,120
    assert list(got["burden_subsidy_fen"]) == [112_000, 512_000]


def test_the_result_shares_no_memory_with_the_input(engine):
    df = frame(
        {"patient_id": "P", "claim_id": "A", "discharged": "2021-03-01"}
        | {"total_fen": 100_000, "basic_pool_fen": 60_000, "basic_in_scope_self_pay_fen": 40_000},
        {"patient_id": "P", "claim_id": "B", "discharged": "2021-04-01"}
        | {"total_fen": 50_000_000, "basic_pool_fen": 30_000_000, "basic_in_scope_self_pay_fen": 20_000_000},
    )
    before = df.copy()
    got = settle_frame(df, engine=engine)
    assert list(got["basic_pool_fen"]) == [60_000, 30_000_000]
    for name in got.columns[1:]:
        for column in df.columns:
            if df[column].dtype == "int64":
                assert not np.shares_memory(got[name].to_numpy(), df[column].to_numpy()), (name, column)
    got.loc[0, "basic_pool_fen"] = 1
    pd.testing.assert_frame_equal(df, before)


def test_prepare_reads_text_once_and_settles_the_same(engine):
    df = frame(
        {"patient_id": " P1", "claim_id": "A", "discharged": "2021-03-01", "total": "30000", "in_scope": "25000"},
        {"patient_id": "P1", "claim_id": "B", "discharged": "2021-05-01", "total": "100.50", "in_scope": ""}
        | {"basic_pool": "60.30", "basic_in_scope_self_pay": "40.20"},
    )
    prepared = prepare(df)
    assert list(prepared.columns) == [
        "jurisdiction", "scheme", "kind", "hospital_level", "patient_id", "claim_id", "discharged",
        "total_fen", "in_scope_fen", "basic_pool_fen", "basic_in_scope_self_pay_fen",
    ]  # fmt: skip
    assert list(prepared["total_fen"]) == [3_000_000, 10_050]
    assert prepared["in_scope_fen"].isna().tolist() == [False, True]  # empty cells stay empty
    assert prepared["basic_pool_fen"].isna().tolist() == [True, False]
    assert str(prepared["discharged"].dtype) == "datetime64[s]"
    assert isinstance(prepared["patient_id"].dtype, pd.CategoricalDtype)
    got = settle_frame(prepared, engine=engine)
    pd.testing.assert_frame_equal(got, settle_frame(df, engine=engine))
    # the reference reads the fen columns as fen too (not 3,000,000 as yuan)
    pd.testing.assert_frame_equal(settle_frame_scalar(prepared, engine=engine), got)
    # A: (25,000 − 1,000) × 65% = 15,600 from the pool; B's pool is given: 60.30
    assert list(got["basic_pool_fen"]) == [1_560_000, 6_030]


@pytest.mark.parametrize(
    ("change", "message"),
    [({"total": "1.234"}, "claim.total='1.234'"), ({"discharged": "2021-02-30"}, "claim.discharged='2021-02-30'")],
)
def test_prepare_refuses_what_settle_frame_refuses(engine, change, message):
    row = {"patient_id": "P", "claim_id": "C", "discharged": "2021-03-01", "total": "100", "in_scope": "100"}
    for settle in (lambda df: settle_frame(df, engine=engine), prepare):
        with pytest.raises(InvalidInput, match=message):
            settle(frame(row | change))


@pytest.mark.parametrize("claim_id", ["", "  ", "\u3000", "\x1c\t", "\u2003\u00a0"])
def test_a_blank_claim_id_is_refused_as_python_strips_it(engine, claim_id):
    rows = [
        {"patient_id": "P", "claim_id": " A", "discharged": "2021-03-01", "total": "100", "in_scope": "100"},
        {"patient_id": "P", "claim_id": claim_id, "discharged": "2021-03-02", "total": "100", "in_scope": "100"},
    ]
    df = frame(*rows)
    assert str(df["claim_id"].dtype) in ("str", "object")
    for claims in (df, df.astype({"claim_id": object})):
        with pytest.raises(MedinsureError, match=r"row 1 .*claim_id: required"):
            settle_frame(claims, engine=engine)
    with pytest.raises(MedinsureError):
        settle_frame_scalar(df, engine=engine)
    assert list(settle_frame(frame(rows[0]), engine=engine)["claim_id"]) == [" A"]  # leading space: not blank


@pytest.mark.parametrize(
    "form",
    ["str", "string[python]", "object", "category", "prepared", "integers", "mixed"],
)
def test_every_form_of_the_ids_settles_alike(engine, form):
    ids = ["P1", "P2", "P1", " P2", "P3"]
    df = employee_claims(ids)
    expected = settle_frame_scalar(df, engine=engine)
    # employees: pool (25,000 − 1,000) × 80% = 19,200, self-pay 5,800; the subsidy's 10,000 is
    # passed on a person's second claim: (11,600 − 10,000) × 40% = 640
    assert list(expected["burden_subsidy_fen"]) == [0, 0, 64_000, 64_000, 0]
    if form in ("string[python]", "object", "category"):
        df = df.astype({"patient_id": form})
    elif form == "prepared":
        df = prepare(df)
    elif form == "integers":
        df = df.assign(patient_id=[1, 2, 1, 2, 3])
    elif form == "mixed":
        df = df.assign(patient_id=pd.Series([1, "2", " 1", 2, "3"], dtype=object))
    got = settle_frame(df, engine=engine)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.parametrize(
    "ids", [["AB00000001", "CD00000001", "AB00000001"], ["AB00000001", "AB00000001", "CD00000001"]]
)
def test_fixed_width_ids_that_meet_in_one_number_are_told_apart(engine, monkeypatch, ids):
    # with a multiplier of 0 an id's number is its last word alone (its last eight bytes):
    # these ids, apart or in a run, meet in one number, and the codes must still tell the
    # persons apart
    import medinsure.research.batch as batch

    df = employee_claims(ids).astype({"patient_id": "str"})
    expected = settle_frame_scalar(df, engine=engine)
    monkeypatch.setattr(batch, "_MIX", np.uint64(0))
    assert len(set(batch._mixed(batch._fixed_width_words(df["patient_id"])).tolist())) == 1  # they meet
    assert batch._fixed_width_codes(df["patient_id"]) is None  # the general path takes over
    pd.testing.assert_frame_equal(settle_frame(df, engine=engine), expected, check_exact=True)
    # the subsidy (see above) is passed only on a person's second claim
    assert sorted(expected["burden_subsidy_fen"]) == [0, 0, 64_000]


@pytest.mark.parametrize(
    "ids",
    [["P1 ", "P22", " P1"], ["P1\t", "P22", "P1 "], ["P1\u3000", "P22", "P1 "], ["P 1", "P22", "P 1"]],
    ids=["spaces", "tab", "ideographic-space", "inner-space"],
)
def test_ids_of_one_width_padded_with_whitespace_are_one_person(engine, ids):
    # every id three bytes or characters wide; padded ones are the same person once stripped
    df = employee_claims(ids).astype({"patient_id": "str"})
    expected = settle_frame_scalar(df, engine=engine)
    # the subsidy (see above) is passed on the first and third row's person's second claim
    assert list(expected["burden_subsidy_fen"]) == [0, 0, 64_000]
    for claims in (df, df.astype({"claim_id": "str"})):
        pd.testing.assert_frame_equal(settle_frame(claims, engine=engine), expected, check_exact=True)


def test_an_empty_frame_prepares_and_settles_to_an_empty_result(engine):
    df = frame({"patient_id": "P", "claim_id": "C", "discharged": "2021-03-01", "total": "1", "in_scope": "1"}).head(0)
    assert len(settle_frame(prepare(df), engine=engine)) == 0


def _write_csv(path, rows: list[str]) -> None:
    header = "jurisdiction,patient_id,scheme,birth_date,claim_id,kind,discharged,hospital_level,referral,total,in_scope"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def test_read_csv_with_default_arguments_works_for_whole_amounts(engine, tmp_path):
    path = tmp_path / "claims.csv"
    # whole yuan in every amount cell: pandas reads int64, empty text cells as NaN (missing)
    _write_csv(
        path,
        [
            "testland,P1,resident,1980-01-01,C1,inpatient,2021-03-01,tertiary,,30000,25000",
            "testland,P1,resident,,C2,inpatient,2021-06-01,tertiary,,90000,80000",
        ],
    )
    got = settle_frame(pd.read_csv(path), engine=engine)
    # C1: (25,000 − 1,000) × 65% = 15,600; C2: (80,000 − 1,000) × 65% = 51,350; critical illness
    # on the year's self-pay 9,400 + 28,650 = 38,050: (38,050 − 20,000) × 60% = 10,830
    assert list(got["basic_pool_fen"]) == [1_560_000, 5_135_000]
    assert list(got["critical_illness_fen"]) == [0, 1_083_000]
    expected = settle_frame(pd.read_csv(path, dtype=str, keep_default_na=False), engine=engine)
    pd.testing.assert_frame_equal(got.astype({"claim_id": object}), expected.astype({"claim_id": object}))


@pytest.mark.parametrize(
    ("cells", "row", "value", "why"),
    [
        ("30000,", 0, "nan", "an empty cell read as NaN"),  # an empty in_scope: a float column of NaN
        ("30000,25000.50", 1, "25000.5", "a number read as a float"),
    ],
)
def test_read_csv_with_default_arguments_fails_naming_the_row_and_the_fix(engine, tmp_path, cells, row, value, why):
    path = tmp_path / "claims.csv"
    rows = ["testland,P1,resident,,C1,inpatient,2021-03-01,tertiary,,30000,25000"]
    rows.append(f"testland,P1,resident,,C2,inpatient,2021-06-01,tertiary,,{cells}")
    _write_csv(path, rows)
    with pytest.raises(MedinsureError) as caught:
        settle_frame(pd.read_csv(path), engine=engine)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"row {1 if row == 0 else row} (claim 'C2'): claim.in_scope={value}: {why}")
    assert "pd.read_csv(path, dtype=str, keep_default_na=False)" in message
    assert "in_scope_fen" in message


def test_a_missing_amount_names_the_row_and_what_to_give(engine):
    df = frame(
        {"patient_id": "P", "claim_id": "A", "discharged": "2021-03-01", "total": "100", "in_scope": "100"},
        {"patient_id": "P", "claim_id": "B", "discharged": "2021-03-02", "total": "100", "in_scope": ""},
    )
    with pytest.raises(MedinsureError) as caught:
        settle_frame(df, engine=engine)
    assert str(caught.value) == (
        "row 1 (claim 'B'): claim.in_scope: required: an empty cell; give in_scope (yuan) or in_scope_fen,"
        " or basic_pool and basic_in_scope_self_pay"
    )
    with pytest.raises(MedinsureError, match=r"row 1 \(claim 'B'\): claim.in_scope: required"):
        settle_frame(df.astype({"in_scope": object}).replace({"": None}), engine=engine)


def test_a_column_only_the_scalar_engine_reads_is_refused_unless_empty(engine):
    row = {"patient_id": "P", "claim_id": "A", "discharged": "2021-03-01", "total": "100", "in_scope": "100"}
    with pytest.raises(MedinsureError, match=r"row 1 \(claim 'B'\): column 'use_account' is read by the scalar engine"):
        settle_frame(frame(row | {"use_account": ""}, row | {"claim_id": "B", "use_account": "true"}), engine=engine)
    empty = settle_frame(frame(row | {"use_account": ""}), engine=engine)
    assert list(empty["basic_pool_fen"]) == [0]  # 100 is below the deductible of 1,000


@pytest.mark.parametrize("form", ["str", "object", "category", "prepared"])
def test_ids_are_read_as_the_engine_reads_them(engine, form):
    """``Ｋ1`` (full width) is ``K1``: one person, as settle and the ledger read it. Each claim
    of a self-pay of 12,800 (see test_person_ids_are_compared_stripped)."""
    row = {"scheme": "employee", "discharged": "2021-03-01", "total": "60000", "in_scope": "60000"}
    df = frame(row | {"patient_id": "K1", "claim_id": "A"}, row | {"patient_id": "\uff2b\uff11", "claim_id": "B"})
    if form == "prepared":
        df = prepare(df)
    elif form != "str":
        df = df.astype({"patient_id": form})
    got = settle_frame(df, engine=engine)
    assert list(got["burden_subsidy_fen"]) == [112_000, 512_000]
    assert list(settle_frame_scalar(df, engine=engine)["burden_subsidy_fen"]) == [112_000, 512_000]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("patient_id", "K1\u200b", r"row 1 .*patient.id='K1\\\\u200b': contains the character U\+200B"),
        ("patient_id", "K1\x1b[31m", r"row 1 .*contains the character U\+001B"),
        ("patient_id", "P\u202e1", r"row 1 .*contains the character U\+202E"),
        ("patient_id", "P" * 65, r"row 1 .*longer than 64 characters"),
        ("claim_id", "B\n", None),  # stripped: B, a claim of its own
        ("claim_id", "B\x00", r"row 1 .*claim.id='B\\\\x00': contains the character U\+0000"),
        ("claim_id", "\uff21", r"row 1 .*claim.id='A': claim id given twice in one file \(first at row 0\)"),
        ("claim_id", " A", r"row 1 .*claim.id='A': claim id given twice in one file \(first at row 0\)"),
    ],
)
def test_ids_refused_by_settle_are_refused_by_the_batch_path(engine, column, value, message):
    row = {"patient_id": "P", "discharged": "2021-03-01", "total": "100", "in_scope": "100"}
    df = frame(row | {"claim_id": "A"}, row | {"claim_id": "B", column: value})
    for claims in (df, df.astype({column: object})):
        if message is None:
            assert len(settle_frame(claims, engine=engine)) == 2
            continue
        with pytest.raises(InputError, match=message):
            settle_frame(claims, engine=engine)
        with pytest.raises(MedinsureError):
            settle_frame_scalar(claims, engine=engine)


def test_integer_claim_ids_given_twice_are_refused(engine):
    row = {"patient_id": "P", "discharged": "2021-03-01", "total": "100", "in_scope": "100"}
    df = frame(row | {"claim_id": "1"}, row | {"claim_id": "2"}, row | {"claim_id": "1"}).astype({"claim_id": "int64"})
    with pytest.raises(InputError, match=r"row 2 .*claim.id='1': claim id given twice"):
        settle_frame(df, engine=engine)


@pytest.mark.parametrize("mix", [None, 0])
@pytest.mark.parametrize(
    ("ids", "twice"),
    [
        (["AB00000002", "CD00000001", "AB00000001"], None),
        (["AB00000002", "CD00000001", "AB00000002", "EF00000001"], (2, 0)),
        (["CD00000001", "AB00000001", "CD00000001", "EF00000002"], (2, 0)),
    ],
)
def test_fixed_width_claim_ids_given_twice_are_found_out_of_order(engine, monkeypatch, mix, ids, twice):
    # claim ids of one width not in order: compared by their numbers, and byte for byte where
    # numbers meet (a multiplier of 0 makes ids with the same last word meet)
    import medinsure.research.batch as batch

    if mix is not None:
        monkeypatch.setattr(batch, "_MIX", np.uint64(mix))
    row = {"patient_id": "P", "discharged": "2021-03-01", "total": "100", "in_scope": "100"}
    df = frame(*(row | {"claim_id": c} for c in ids)).astype({"claim_id": "str"})
    if mix == 0:  # two different ids meet in one number
        assert len(set(batch._mixed(batch._fixed_width_words(df["claim_id"])).tolist())) < len(set(ids))
    assert batch._all_different(df["claim_id"]) is (twice is None)
    if twice is None:
        assert list(settle_frame(df, engine=engine)["claim_id"]) == ids
    else:
        with pytest.raises(
            InputError, match=rf"row {twice[0]} .*claim id given twice in one file \(first at row {twice[1]}\)"
        ):
            settle_frame(df, engine=engine)


@st.composite
def ids_of_one_width(draw: st.DrawFn, alphabet: str = "AB01") -> list[str]:
    """Ids of one width (1 to 24 characters), each one character away from a common id, so that
    ids differing only in their first, middle or last bytes are all drawn."""
    base = draw(st.text(alphabet=alphabet, min_size=1, max_size=24))
    changes = st.tuples(st.integers(min_value=0, max_value=len(base) - 1), st.sampled_from(alphabet))
    return [base[:i] + c + base[i + 1 :] for i, c in draw(st.lists(changes, min_size=1, max_size=12))]


@settings(max_examples=300, deadline=None)
@given(ids_of_one_width(), st.sampled_from([None, 0]))
def test_fixed_width_codes_number_ids_as_a_hash_table_does(ids, mix):
    # every width (under, at and over a word; words overlapping), with the real mix and with
    # one under which ids meet: codes equal pandas' first-appearance codes, or the general path
    import medinsure.research.batch as batch

    values = pd.Series(ids, dtype="str")
    original = batch._MIX
    try:
        if mix is not None:
            batch._MIX = np.uint64(mix)
        codes = batch._fixed_width_codes(values)
        different = batch._all_different(values)
    finally:
        batch._MIX = original
    if mix is None:
        assert codes is not None
    if codes is not None:
        assert list(codes) == list(pd.factorize(np.array(ids, dtype=object))[0])
    assert different is (len(set(ids)) == len(ids))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["AB01", "大连铁岭"]).flatmap(ids_of_one_width), st.data())
def test_a_few_values_are_coded_by_comparison_as_a_hash_table_codes_them(values, data):
    # key columns (jurisdiction, scheme, kind ...) of a few values of one width, each row
    # compared with the values of the first rows: the codes are pandas' first-appearance codes,
    # or None (the column is hashed) when a value is first met after those rows or there are
    # more than a few values
    import medinsure.research.batch as batch

    distinct = list(dict.fromkeys(values))
    rows = data.draw(st.lists(st.sampled_from(distinct), min_size=1, max_size=40))
    late = data.draw(st.sampled_from([None, *distinct]))
    texts = rows * (1200 // len(rows) + 1) if late is None else [t for t in rows if t != late] or [distinct[0]]
    if late is not None:
        texts = texts * (1100 // len(texts) + 1) + [late]  # met only after the first rows
    column = pd.Series(texts, dtype="str")
    found = batch._few_codes(column)
    expected, uniques = pd.factorize(np.array(texts, dtype=object))
    if found is None:
        wide = len(texts[0].encode()) > 64  # longer than any id: the column is hashed
        assert wide or len(uniques) > batch._FEW or texts[-1] not in texts[: batch._SAMPLE]
    else:
        codes, first = found
        assert list(codes) == list(expected)
        assert [texts[i] for i in first] == list(uniques)
    assert list(pd.factorize(batch._codes(column))[0]) == list(expected)
    jurisdictions, names = batch._jurisdictions(column)
    assert list(jurisdictions) == list(expected)
    assert names == [str(u).strip() for u in uniques]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)), min_size=1, max_size=8))
def test_dates_in_order_are_read_run_by_run_as_one_by_one(dates):
    # a column of dates in order, each repeated: read a run at a time, the same days as parsed
    import medinsure.research.batch as batch

    texts = [d.isoformat() for d in sorted(dates) for _ in range(80)]
    values = pd.Series(texts, dtype="str")
    assert batch._runs(values) is not None
    expected = [(d - dt.date(1970, 1, 1)).days for d in sorted(dates) for _ in range(80)]
    assert list(batch._days(values, "claim.discharged")) == expected


def test_a_bad_date_within_a_run_is_named_by_its_row(engine):
    row = {"patient_id": "P", "total": "100", "in_scope": "100"}
    dates = ["2021-02-01"] * 50 + ["2021-02-30"] * 3 + ["2021-03-01"] * 47
    df = frame(*(row | {"claim_id": f"C{i}", "discharged": d} for i, d in enumerate(dates)))
    import medinsure.research.batch as batch

    assert batch._runs(df["discharged"]) is not None  # read run by run
    with pytest.raises(InvalidInput, match=r"row 50 \(claim 'C50'\).*claim.discharged='2021-02-30'"):
        settle_frame(df, engine=engine)
