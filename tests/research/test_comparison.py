"""Comparisons of jurisdictions and reforms, their plotted data and the compare command."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from medinsure.cli import main
from medinsure.errors import MedinsureError
from medinsure.research.comparison import compare
from medinsure.research.plotting import curve_data, distribution_data, plot
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
    assert p2.loc["testland", "critical_illness"] == 939_000
    # the reform lowers the threshold: (35,650 − 15,000) × 60% = 12,390
    assert p2.loc["testland+lower", "critical_illness"] == 1_239_000
    # testcity: tiers from 10,000 of the annual total: (35,650 − 10,000) × 60% = 15,390, within 80%
    assert p2.loc["testcity", "critical_illness"] == 1_539_000
    assert (tidy["fund_total"] + tidy["patient_total"] == tidy["total"]).all()


def test_summary(comparison):
    s = comparison.summary
    assert s.loc["testland", "fund_cost"] == Decimal("89340.00")  # 15,600 + 73,740
    assert s.loc["testland", "patient_cost"] == Decimal("40660.00")
    assert s.loc["testland", "mean_patient_share"] == pytest.approx((0.48 + 0.2626) / 2)
    assert s.loc["testland", "catastrophic_share"] == 0.5  # P2 pays 26,260 ≥ 20,000
    assert s.loc["testcity", "fund_cost"] == Decimal("95340.00")
    assert s.loc["testcity", "catastrophic_share"] == 0.5  # P2 pays 20,260
    assert s.loc["testland+lower", "fund_cost"] == Decimal("92340.00")
    assert comparison.provenance["testland+lower"]["jurisdictions"]["testland"]["overrides"] == [
        "critical_illness.schedule"
    ]


def test_a_reform_must_change_a_compared_jurisdiction(engine):
    with pytest.raises(MedinsureError, match="reform 'lower' changes testland, none of the jurisdictions"):
        compare(CLAIMS, jurisdictions=["testcity"], reforms={"lower": LOWER}, engine=engine)


def test_catastrophic_threshold(engine):
    c = compare(CLAIMS, jurisdictions=["testland", "testcity"], engine=engine, catastrophic_threshold="25000")
    assert c.summary["catastrophic_share"].to_dict() == {"testland": 0.5, "testcity": 0.0}


def test_plotted_data(comparison, tmp_path):
    curves = curve_data(comparison)
    land = curves[curves["scenario"] == "testland"]
    assert list(land["low"]) == [20_000, 100_000]
    assert list(land["patient_share"]) == pytest.approx([1 - 15600 / 25000, 1 - 73740 / 100000])
    dist = distribution_data(comparison)
    assert dist.groupby("scenario")["share"].sum().to_dict() == pytest.approx(dict.fromkeys(curves["scenario"], 1.0))
    fig = plot(comparison, tmp_path / "out.png")
    assert (tmp_path / "out.png").stat().st_size > 1000
    left, right = fig.axes
    lines = {line.get_label(): line for line in left.get_lines()}
    assert list(lines["testland"].get_ydata()) == pytest.approx(list(land["patient_share"]))
    steps = {line.get_label(): line for line in right.get_lines()}
    d = dist[dist["scenario"] == "testcity"]
    assert list(steps["testcity"].get_ydata()) == pytest.approx(list(d["share"]))


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


def test_compare_command_errors():
    code, _, err = run("compare", str(CLAIMS), "--jurisdictions", "atlantis")
    assert code == 2
    assert err.count("\n") == 1
    assert "atlantis" in err
    code, _, err = run("compare", str(CLAIMS), "--reform", "nothere.yaml")
    assert code == 2
    assert "nothere.yaml" in err
