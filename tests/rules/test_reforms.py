"""What-if reforms: changed values, provenance, refusals, and the batch path honouring them."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from medinsure import Claim, Patient
from medinsure.errors import RuleError
from medinsure.research.batch import settle_frame, settle_frame_scalar
from medinsure.rules.reforms import Reform

LOWER = {"testland": {"critical_illness.schedule": {"general": {"threshold": "15000"}}}}


def claims() -> pd.DataFrame:
    row = {"jurisdiction": "testland", "patient_id": "P", "scheme": "resident", "kind": "inpatient"}
    return pd.DataFrame(
        [
            row
            | {"claim_id": "A", "discharged": "2021-03-01", "basic_pool": "10000", "basic_in_scope_self_pay": "30000"},
            row | {"claim_id": "B", "discharged": "2021-04-01", "basic_pool": "0", "basic_in_scope_self_pay": "60000"},
        ]
    )


def test_lower_threshold_in_scalar_and_batch(engine):
    reformed = Reform.from_mapping(LOWER, name="lower").apply(engine)
    patient = Patient.from_mapping({"id": "P", "scheme": "resident"})
    claim = Claim.from_mapping(
        {
            "id": "A",
            "kind": "inpatient",
            "discharged": "2021-03-01",
            "basic": {"pool": 10000, "in_scope_self_pay": 30000},
        }
    )
    s = reformed.settle_claim(patient, claim, jurisdiction="testland")
    assert s.critical_illness == Decimal("9000.00")  # (30,000 − 15,000) × 60%, not 6,000
    assert s.overrides == ("critical_illness.schedule",)
    assert any("what-if reform 'lower'" in r.provenance.source.publication for r in s.rules)
    got = settle_frame(claims(), engine=engine, overrides=Reform.from_mapping(LOWER, name="lower"))
    # B: year base 90,000: F = 50,000 × 60% + 25,000 × 65% = 46,250, less 9,000 paid before
    assert list(got["critical_illness_fen"]) == [900_000, 3_725_000]
    assert got.attrs["medinsure"]["reform"] == "lower"
    assert got.attrs["medinsure"]["jurisdictions"]["testland"]["overrides"] == ["critical_illness.schedule"]
    pd.testing.assert_frame_equal(got, settle_frame_scalar(claims(), engine=reformed))


def test_fourth_tier_from_a_date_and_every_row(engine, tmp_path):
    path = tmp_path / "reform.yaml"
    path.write_text(
        "testland:\n"
        "  critical_illness.schedule:\n"
        "    general:\n"
        "      from: 2021-04-01\n"
        "      tiers:\n"
        "        - {from: 0, to: 20000, rate: 0.50}\n"
        "        - {from: 20000, to: 40000, rate: 0.60}\n"
        "        - {from: 40000, to: 60000, rate: 0.70}\n"
        "        - {from: 60000, rate: 0.90}\n"
        "  basic.pool_cap:\n"
        '    "*": 50000\n',
        encoding="utf-8",
    )
    reform = Reform.from_yaml(path)
    assert reform.name == "reform"
    reformed = reform.apply(engine)
    table = reformed.rules("testland").find_table("critical_illness.schedule")
    general = next(r for r in table.rows if r.name == "general")
    assert [v.start.isoformat() for v in general.versions] == ["2020-01-01", "2021-04-01"]
    assert len(general.versions[1].value.tiers) == 4
    got = settle_frame(claims(), engine=engine, overrides=reform)
    # A (March): old tiers, (30,000 − 20,000) × 60% = 6,000. B (April): new tiers on 90,000 − 20,000 = 70,000:
    # 20,000 × 50% + 20,000 × 60% + 20,000 × 70% + 10,000 × 90% = 45,000, less 6,000 paid before
    assert list(got["critical_illness_fen"]) == [600_000, 3_900_000]
    caps = reformed.rules("testland").find_table("basic.pool_cap")
    assert {v.value for r in caps.rows for v in r.versions} == {Decimal("50000.00")}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"testland": {"basic.ratio": {"*": "1.5"}}}, "rate must be within"),
        ({"testland": {"basic.ratio": {"*": 0.6}}}, "float"),
        ({"testland": {"no.such": {"*": "1"}}}, "no table named 'no.such'"),
        ({"testland": {"basic.pool_cap": {"nobody": "1"}}}, "no row 'nobody'"),
        ({"testland": {"critical_illness.schedule": {"general": {"tiers": [{"from": 5, "rate": "0.5"}]}}}}, "tiers"),
        ({"testland": {"critical_illness.schedule": {"general": {"colour": "red"}}}}, "unknown key 'colour'"),
    ],
)
def test_invalid_reforms_are_refused_naming_the_value(engine, data, message):
    with pytest.raises(RuleError, match=message) as info:
        Reform.from_mapping(data).apply(engine)
    assert "testland" in str(info.value)
