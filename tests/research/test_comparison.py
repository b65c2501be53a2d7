"""Comparisons of jurisdictions and reforms, their plotted data and the compare command."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex

from medinsure.cli import main
from medinsure.errors import MedinsureError
from medinsure.research.batch import to_decimal
from medinsure.research.comparison import compare
from medinsure.research.plotting import curve_data, distribution_data, plot, scenario_colours, tier_data
from support import DATA

CLAIMS = DATA / "compare-claims.csv"
LOWER = {"testland": {"critical_illness.schedule": {"general": {"threshold": "15000"}}}}


@pytest.fixture
def comparison(engine):
    return compare(CLAIMS, jurisdictions=["testland", "testcity"], reforms={"lower": LOWER}, engine=engine)


def test_tidy_frame_one_row_per_claim_and_scenario(comparison):
    tidy = comparison.claims
    assert len(tidy) == 2 * 3
    assert list(tidy["scenario"].cat.categories) == ["testcity", "testland", "testland+lower"]
    p2 = tidy[tidy["claim_id"] == "C2"].set_index("scenario")
    # testland: pool 99,000 × 65% = 64,350; self-pay 35,650; critical illness (35,650 − 20,000) × 60% = 9,390
    assert p2.loc["testland", "critical_illness_fen"] == 939_000
    # the reform lowers the threshold: (35,650 − 15,000) × 60% = 12,390
    assert p2.loc["testland+lower", "critical_illness_fen"] == 1_239_000
    # testcity: tiers from 10,000 of the annual total: (35,650 − 10,000) × 60% = 15,390, within 80%
    assert p2.loc["testcity", "critical_illness_fen"] == 1_539_000
    assert (tidy["fund_total_fen"] + tidy["patient_total_fen"] == tidy["total_fen"]).all()
    # one unit convention: every amount column is int64 fen named with _fen
    amounts = [c for c in tidy.columns if c.endswith("_fen")]
    assert len(amounts) == 11
    assert (tidy[amounts].dtypes == "int64").all()


def test_summary(comparison):
    s = comparison.summary
    assert s.loc["testland", "fund_cost_fen"] == 8_934_000  # 15,600 + 73,740 yuan
    assert s.loc["testland", "patient_cost_fen"] == 4_066_000
    assert to_decimal(s).loc["testland", "fund_cost"] == Decimal("89340.00")
    assert s.loc["testland", "mean_patient_share"] == pytest.approx((0.48 + 0.2626) / 2)
    assert s.loc["testland", "catastrophic_share"] == 0.5  # P2 pays 26,260 ≥ 20,000
    assert s.loc["testcity", "fund_cost_fen"] == 9_534_000
    assert s.loc["testcity", "catastrophic_share"] == 0.5  # P2 pays 20,260
    assert s.loc["testland+lower", "fund_cost_fen"] == 9_234_000
    assert comparison.provenance["testland+lower"]["jurisdictions"]["testland"]["overrides"] == [
        "critical_illness.schedule"
    ]


def test_a_reform_must_change_a_compared_jurisdiction(engine):
    with pytest.raises(MedinsureError, match="reform 'lower' changes testland, none of the jurisdictions"):
        compare(CLAIMS, jurisdictions=["testcity"], reforms={"lower": LOWER}, engine=engine)


def test_catastrophic_threshold(engine):
    c = compare(CLAIMS, jurisdictions=["testland", "testcity"], engine=engine, catastrophic_threshold="25000")
    assert c.summary["catastrophic_share"].to_dict() == {"testland": 0.5, "testcity": 0.0}


def test_plotted_data(comparison, engine, tmp_path):
    curves = curve_data(comparison)
    land = curves[curves["scenario"] == "testland"]
    assert list(land["low"]) == [20_000, 100_000]
    assert list(land["patient_share"]) == pytest.approx([1 - 15600 / 25000, 1 - 73740 / 100000])
    dist = distribution_data(comparison)
    assert dist.groupby("scenario")["share"].sum().to_dict() == pytest.approx(dict.fromkeys(curves["scenario"], 1.0))
    schedule = engine.rules("testland").find_table("critical_illness.schedule").rows[1].versions[0].value  # "general"
    tiers = tier_data(comparison, {"testland": schedule})
    # P2's year: self-pay 35,650 (the only person-year paid): (35,650 − 20,000) × 60% = 9,390 in the first tier
    assert tiers["amount"].iloc[0] == pytest.approx(9390.0)
    assert tiers["amount"].iloc[1:].sum() == 0
    fig = plot(comparison, tmp_path / "out.png", schedules={"testland": schedule, "testland+lower": schedule})
    assert (tmp_path / "out.png").stat().st_size > 1000
    curves_ax, dist_ax, cost_ax, _tier_ax = fig.axes
    assert "share" in curves_ax.get_title()
    assert "cost" in curves_ax.get_title()
    lines = {line.get_label(): line for line in curves_ax.get_lines()}
    assert list(lines["testland"].get_ydata()) == pytest.approx(list(land["patient_share"]))
    steps = {line.get_label(): line for line in dist_ax.get_lines()}
    d = dist[dist["scenario"] == "testcity"]
    assert list(steps["testcity"].get_ydata()) == pytest.approx(list(d["share"]))
    bars = {label.get_text(): patch for label, patch in zip(cost_ax.get_xticklabels(), cost_ax.patches, strict=True)}
    assert bars["testcity"].get_height() == pytest.approx(95_340 / 1e6)


def test_one_colour_per_scenario_in_every_panel(comparison, engine):
    schedule = engine.rules("testland").find_table("critical_illness.schedule").rows[1].versions[0].value  # "general"
    fig = plot(comparison, schedules={"testland": schedule, "testland+lower": schedule})
    colours = scenario_colours(comparison)
    assert len(set(colours.values())) == 3
    seen: dict[str, set] = {}
    curves_ax, dist_ax, cost_ax, tier_ax = fig.axes
    for ax in (curves_ax, dist_ax):
        for line in ax.get_lines():
            seen.setdefault(line.get_label(), set()).add(to_hex(line.get_color()))
    for label, patch in zip(cost_ax.get_xticklabels(), cost_ax.patches, strict=True):
        seen.setdefault(label.get_text(), set()).add(to_hex(patch.get_facecolor()))
    for container in tier_ax.containers:
        for patch in container:
            seen.setdefault(container.get_label(), set()).add(to_hex(patch.get_facecolor()))
    assert set(seen) == set(colours)
    for scenario, found in seen.items():
        assert found == {to_hex(colours[scenario])}, scenario


def test_summary_is_numeric_and_plots(comparison, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    s = comparison.summary
    assert s["fund_cost_fen"].dtype == "int64"
    assert s.drop(columns=["jurisdiction", "reform"]).dtypes.map(pd.api.types.is_numeric_dtype).all()
    ax = s.plot.bar(y="fund_cost_fen")
    assert [p.get_height() for p in ax.patches] == list(s["fund_cost_fen"])
    long = comparison.summary_long()
    assert set(long.columns) == {"scenario", "jurisdiction", "reform", "measure", "value"}
    row = long[(long["scenario"] == "testland") & (long["measure"] == "fund_cost_fen")]
    assert row["value"].tolist() == [8_934_000]
    # provenance beside the numbers: in attrs and in a metadata file
    assert s.attrs["medinsure"]["testland+lower"]["reform"] == "lower"
    assert comparison.claims.attrs["medinsure"] == s.attrs["medinsure"]
    comparison.write_metadata(tmp_path / "meta.json")
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert meta["scenarios"]["testland+lower"]["jurisdictions"]["testland"]["overrides"] == [
        "critical_illness.schedule"
    ]
    assert meta["scenarios"]["testcity"]["jurisdictions"]["testcity"]["plugin"] == "testplugin"
    html = comparison._repr_html_()
    assert "<table" in html
    assert "89,340.00" in html
    assert "testplugin" in html


def _expanded(frame: pd.DataFrame) -> pd.DataFrame:
    """Each person repeated ``weight`` times, as persons of their own."""
    parts = []
    for person, rows in frame.groupby("patient_id", sort=False):
        for copy in range(int(rows["weight"].iloc[0])):
            parts.append(rows.assign(patient_id=f"{person}#{copy}", claim_id=rows["claim_id"] + f"#{copy}"))
    if not parts:
        return frame.iloc[:0].drop(columns="weight")
    return pd.concat(parts, ignore_index=True).drop(columns="weight")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_weighted_summary_equals_the_expanded_population(engine, data):
    persons = data.draw(st.integers(1, 4))
    rows = []
    for p in range(persons):
        weight = data.draw(st.integers(0, 3))
        for c in range(data.draw(st.integers(1, 3))):
            in_scope = data.draw(st.integers(0, 120_000))
            rows.append(
                {"jurisdiction": "testland", "patient_id": f"P{p}", "scheme": "resident", "claim_id": f"C{p}-{c}"}
                | {"kind": "inpatient", "discharged": f"2021-0{c + 1}-15", "hospital_level": "tertiary"}
                | {
                    "total": str(in_scope + data.draw(st.integers(0, 5000))),
                    "in_scope": str(in_scope),
                    "weight": weight,
                }
            )
    frame = pd.DataFrame(rows)
    if not (frame["weight"] > 0).any():
        frame.loc[0, "weight"] = 1
        frame["weight"] = frame.groupby("patient_id")["weight"].transform("first")
    weighted = compare(frame, jurisdictions=["testland"], reforms={"lower": LOWER}, engine=engine)
    plain = compare(_expanded(frame), jurisdictions=["testland"], reforms={"lower": LOWER}, engine=engine)
    columns = ["claims", "person_years", "fund_cost_fen", "patient_cost_fen", "catastrophic_share"]
    pd.testing.assert_frame_equal(weighted.summary[columns], plain.summary[columns], check_exact=True)
    for column in ("mean_patient_share", "median_patient_share", "p90_patient_share"):
        assert weighted.summary[column].to_numpy() == pytest.approx(plain.summary[column].to_numpy(), nan_ok=True)


def test_weights_must_be_one_per_person(engine):
    frame = pd.read_csv(CLAIMS, dtype=str, keep_default_na=False).assign(weight=1)
    frame.loc[1, "weight"] = 2
    first = frame.loc[0, "patient_id"]
    if frame.loc[1, "patient_id"] == first:
        with pytest.raises(MedinsureError, match=r"row 1: weight=np.int64\(2\)|row 1: weight=2"):
            compare(frame, jurisdictions=["testland"], engine=engine)
    frame["weight"] = -1
    with pytest.raises(MedinsureError, match=r"row 0 \(claim 'C1'\): weight=-1: must be a finite number, not negative"):
        compare(frame, jurisdictions=["testland"], engine=engine)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "-p", "testplugin", "--no-entry-points"], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_compare_command(tmp_path):
    reform = tmp_path / "lower.yaml"
    reform.write_text("testland:\n  critical_illness.schedule:\n    general: {threshold: 15000}\n", encoding="utf-8")
    png, table = tmp_path / "c.png", tmp_path / "claims.csv"
    code, out, err = run(
        "compare", str(CLAIMS), "--jurisdictions", "testland,testcity", "--reform", str(reform), "--plot", str(png)
    )
    assert (code, err) == (0, "")
    assert "testland+lower" in out
    assert "89,340.00" in out
    assert png.exists()
    code, out, err = run("compare", str(CLAIMS), "--claims", str(table))
    assert code == 0
    assert "as given" in out
    assert "C2,inpatient" not in table.read_text()
    assert "9390.00" in table.read_text()
    code, out, err = run("compare", str(CLAIMS), "--claims", str(tmp_path / "claims.parquet"))
    assert (code, err) == (0, "")
    back = pd.read_parquet(tmp_path / "claims.parquet")
    assert back["critical_illness_fen"].dtype == "int64"
    assert 939_000 in back["critical_illness_fen"].tolist()


def test_compare_command_errors():
    code, _, err = run("compare", str(CLAIMS), "--jurisdictions", "atlantis")
    assert code == 2
    assert err.count("\n") == 1
    assert "atlantis" in err
    code, _, err = run("compare", str(CLAIMS), "--reform", "nothere.yaml")
    assert code == 2
    assert "nothere.yaml" in err


HEADER = CLAIMS.read_text(encoding="utf-8").splitlines()[0]
GOOD = "testland,P1,resident,C1,inpatient,2021-03-01,tertiary,30000,25000"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "claims.csv: no claim rows after the header"),
        (
            [GOOD, GOOD.replace("C1", "C2").replace("30000", "abc")],
            "claims.csv: row 3: claim.total='abc': not a number",
        ),
        ([GOOD.replace("30000", "1e400")], "claims.csv: row 2: claim.total='1e400': above the largest amount"),
        ([GOOD.replace("2021-03-01", "20210301")], "claims.csv: row 2: claim.discharged='20210301': expected a date"),
        ([GOOD.replace("2021-03-01", "2021-02-30")], "claims.csv: row 2: claim.discharged='2021-02-30'"),
        ([GOOD, GOOD.replace("25000", "25001")], "claims.csv: row 3: claim.id='C1': claim id given twice in one file"),
        (
            [GOOD.replace("P1", "P1\u202e")],
            "claims.csv: row 2: patient.id='P1\\\\u202e': contains the character U+202E",
        ),
    ],
)
def test_compare_reads_a_file_as_settle_does(tmp_path, rows, message):
    """One reader: the same file, row and message from compare as from settle, rows counted from
    the header (row 1), exit 2 and one line."""
    path = tmp_path / "claims.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    for command in (["compare", str(path), "--jurisdictions", "testland"], ["settle", str(path)]):
        code, out, err = run(*command)
        assert (code, out) == (2, ""), command
        assert err.count("\n") == 1, err
        assert f"{path.parent}/{message}" in err, (command, err)


def test_compare_takes_full_width_digits_as_settle_does(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(f"{HEADER}\n{GOOD.replace('30000', '３0000')}\n", encoding="utf-8")
    code, _, err = run("compare", str(path), "--jurisdictions", "testland", "--claims", str(tmp_path / "out.csv"))
    assert (code, err) == (0, "")
    assert run("settle", str(path), "--format", "csv")[1].splitlines()[1].split(",")[4] == "30000.00"


def test_compare_refuses_a_header_of_a_million_columns_at_once(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n1\n", encoding="utf-8")
    code, _, err = run("compare", str(path), "--jurisdictions", "testland")
    assert code == 2
    assert err.strip() == f"medinsure compare: {path}: row 1: the header is longer than 4,096 characters"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "lower.yaml: the file is empty"),
        ("testland:\n  critical_illness.schedule: [", "lower.yaml: line 3: invalid YAML"),
        ("a: &a [*a]\n", "lower.yaml: line 1: YAML anchors and aliases"),
        (
            "testland:\n  critical_illness.schedule:\n    general: {threshold: 0x3A98}\n",
            "lower.yaml: jurisdiction 'testland', rule 'critical_illness.schedule[general]': threshold: not a number",
        ),
    ],
)
def test_a_bad_reform_file_is_one_line_naming_it(tmp_path, text, message):
    reform = tmp_path / "lower.yaml"
    reform.write_text(text, encoding="utf-8")
    code, out, err = run("compare", str(CLAIMS), "--jurisdictions", "testland", "--reform", str(reform))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert f"medinsure compare: {tmp_path}/{message}" in err
