"""The Liaoning plugin: discovery, provenance of every value, the seed figures, the worked example.

The scenario files in ``cases/`` run as tests of their own (one test per case).
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import medinsure_liaoning
import pytest

from medinsure import (
    Claim,
    Engine,
    Match,
    ParameterTable,
    Patient,
    Provenance,
    Row,
    Schedule,
    Source,
    Tier,
    Version,
    list_plugins,
    make_plugin_manager,
)
from medinsure.cases import load_cases
from medinsure.registry import JurisdictionRules
from medinsure.testing import conformance_tests

CODE = "liaoning"
CASES = Path(__file__).parent / "cases"


@functools.cache
def engine() -> Engine:
    return Engine.from_plugins(medinsure_liaoning)


def rules() -> JurisdictionRules:
    return engine().rules(CODE)


def D(value: str | int) -> Decimal:
    return Decimal(str(value))


def benefit(key: str) -> Any:
    return next(b for _, b in rules().benefits if b.key == key)


def row(table: ParameterTable[Any], label: str) -> Row[Any]:
    return next(r for r in table.rows if r.label == label)


def given(claim_id: str, discharged: str, pool: str, self_pay: str, **extra: Any) -> dict[str, Any]:
    """An inpatient claim whose basic settlement was made elsewhere."""
    return {
        "id": claim_id,
        "kind": "inpatient",
        "discharged": discharged,
        "basic": {"pool": pool, "in_scope_self_pay": self_pay},
        **extra,
    }


def raw(claim_id: str, discharged: str, level: str, in_scope: str, **extra: Any) -> dict[str, Any]:
    """An inpatient claim with raw costs (total = in-scope cost)."""
    return {
        "id": claim_id,
        "kind": "inpatient",
        "discharged": discharged,
        "hospital_level": level,
        "total": in_scope,
        "in_scope": in_scope,
        **extra,
    }


def settle(patient: dict[str, Any], *claims: dict[str, Any], eng: Engine | None = None) -> list[Any]:
    return (eng or engine()).settle(
        Patient.from_mapping(patient), [Claim.from_mapping(c) for c in claims], jurisdiction=CODE
    )


# -- the installed plugin ---------------------------------------------------------------------


def test_installed_plugin_is_found_through_its_entry_point() -> None:
    pm = make_plugin_manager(allow=[CODE])
    assert pm.get_plugin(CODE) is not None
    info = {p.name: p for p in list_plugins(pm)}[CODE]
    assert info.jurisdictions == (CODE,)
    assert info.parents == (None,)
    assert info.version == medinsure_liaoning.__version__ == "0.1.0"


def test_installed_engine_settles_liaoning() -> None:
    installed = Engine.from_installed(allow=[CODE])
    assert CODE in installed.jurisdictions
    assert installed.rules(CODE).plugin == CODE


# -- provenance -------------------------------------------------------------------------------


def test_sources_are_the_publications() -> None:
    sources = engine().registry.sources(CODE)
    assert sources["liaoning_qa_2025"].date == dt.date(2025, 4, 18)
    assert sources["general_qa_2025_03"].date == dt.date(2025, 3, 9)
    assert sources["general_qa_2025_04"].date == dt.date(2025, 4, 19)
    assert "assumption" in sources["assumption"].publication


# -- the seed figures -------------------------------------------------------------------------


def test_critical_illness_tiers_are_the_published_ones() -> None:
    ci = benefit("critical_illness")
    assert set(ci.schemes) == {"employee", "resident"}
    assert set(ci.counts) == {"inpatient", "outpatient_special", "negotiated_drug"}
    version = row(ci.schedules, "general").versions[0]
    assert version.start == dt.date(2025, 1, 1)
    assert version.provenance.verified
    assert version.provenance.source.id == "liaoning_qa_2025"
    schedule: Schedule = version.value
    assert schedule.threshold == D(10000)
    assert schedule.basis == "absolute"
    assert [(t.start, t.end, t.rate) for t in schedule.tiers] == [
        (D(10000), D(50000), D("0.60")),
        (D(50000), D(100000), D("0.70")),
        (D(100000), None, D("0.80")),
    ]


def test_the_poor_get_between_5_and_10_points_more_and_it_is_marked() -> None:
    ci = benefit("critical_illness")
    poor = row(ci.schedules, "poor (+5 points)")
    assert poor.when.categories == frozenset({"minimum_living", "extreme_poverty", "low_income"})
    general = row(ci.schedules, "general").versions[0].value
    version = poor.versions[0]
    assert not version.provenance.verified
    assert "5%-10%" in version.provenance.note
    for extra, base in zip(version.value.tiers, general.tiers, strict=True):
        assert (extra.start, extra.end) == (base.start, base.end)
        assert D("0.05") <= extra.rate - base.rate <= D("0.10")


def test_combined_maximum_is_95_percent_and_marked_as_a_reading() -> None:
    cap = next(c for _, c in rules().combined_caps if c.id == "ninety_five_percent")
    assert set(cap.components) == {"basic_pool", "critical_illness", "large_amount"}
    version = cap.rate.rows[0].versions[0]
    assert version.value == D("0.95")
    assert version.provenance.source.id == "liaoning_qa_2025"
    assert not version.provenance.verified
    assert "read as" in version.provenance.note


def test_coverage_starts_the_month_after_paying_and_a_lapse_waits_six_months() -> None:
    r = rules()
    for name, value in (("coverage.start_delay_months", 1), ("coverage.lapse_waiting_months", 6)):
        owner, table = r.tables[name]
        assert owner == CODE
        current = table.rows[0].versions[-1]
        assert current.value == value
        assert current.start == dt.date(2025, 1, 1)
        assert current.provenance.verified
        assert current.provenance.source.id == "general_qa_2025_04"


def test_large_amount_subsidy_is_about_90_percent_above_the_cap() -> None:
    large = benefit("large_amount")
    assert large.base == "over_cap"
    assert large.schemes == ("employee",)
    version = large.schedules.rows[0].versions[0]
    assert version.value.tiers[0].rate == D("0.90")
    assert not version.provenance.verified


def test_basic_values_not_in_the_sources_are_unverified() -> None:
    r = rules()
    for name in ("basic.deductible", "basic.ratio", "basic.pool_cap"):
        _, table = r.tables[name]
        for each in table.rows:
            assert all(not v.provenance.verified for v in each.versions), f"{name}[{each.name}]"


def test_out_of_area_without_filing_is_refused_as_a_marked_choice() -> None:
    rule = next(rule for _, rule in rules().eligibility if rule.id == "filed")
    assert rule.check == "filed_if_out_of_area"
    assert rule.applies_to == "claim"
    assert not rule.provenance.verified


# -- worked example and behaviour ------------------------------------------------------------


def test_worked_example_3() -> None:
    (s,) = settle(
        {"id": "P", "scheme": "resident"},
        given("C", "2025-08-20", "80000", "120000"),
    )
    # 40,000 × 60% + 50,000 × 70% + 20,000 × 80%
    assert s.critical_illness == D("75000.00")


def test_the_year_total_does_not_depend_on_how_costs_are_split() -> None:
    split = settle(
        {"id": "P", "scheme": "resident"},
        *[given(f"C{i}", f"2025-0{i}-01", "0", part) for i, part in enumerate(("15000", "60000", "45000"), start=1)],
    )
    assert sum((s.critical_illness for s in split), D(0)) == D("75000.00")


def test_a_claim_before_2025_is_refused_with_a_clear_error() -> None:
    from medinsure import RuleNotInForce

    with pytest.raises(RuleNotInForce, match="2025-01-01"):
        settle(
            {"id": "P", "scheme": "resident"},
            raw("C", "2024-12-31", "tertiary", "100"),
        )


def test_the_poor_uplift_can_be_overridden() -> None:
    ci = benefit("critical_illness")
    poor = row(ci.schedules, "poor (+5 points)")
    old = poor.versions[0]
    ten_points = Schedule(
        threshold=old.value.threshold,
        basis="absolute",
        tiers=tuple(Tier(t.start, t.end, t.rate + D("0.05")) for t in old.value.tiers),
    )
    mine = Provenance(Source("mine", "a reader's own reading"), verified=False, note="10 points for the poor")
    table = attrs.evolve(
        ci.schedules,
        rows=tuple(
            attrs.evolve(r, versions=(Version(ten_points, old.start, mine),)) if r is poor else r
            for r in ci.schedules.rows
        ),
    )
    custom = engine().with_overrides(CODE, table)
    (s,) = settle(
        {"id": "P", "scheme": "resident", "categories": ["minimum_living"]},
        given("C", "2025-06-06", "80000", "120000"),
        eng=custom,
    )
    assert s.critical_illness == D("86000.00")  # 40,000 × 70% + 50,000 × 80% + 20,000 × 90%
    assert "critical_illness.schedule" in s.overrides


def test_the_pool_cap_can_be_overridden() -> None:
    mine = Provenance(Source("mine", "a city notice"), verified=True)
    table = ParameterTable(
        name="basic.pool_cap",
        kind="amount",
        rows=(Row(Match(), (Version(D("150000.00"), dt.date(2025, 1, 1), mine),), label="every scheme"),),
    )
    (s,) = settle(
        {"id": "P", "scheme": "resident"},
        raw("C", "2025-05-01", "tertiary", "201000"),
        eng=engine().with_overrides(CODE, table),
    )
    assert s.basic_pool == D("120000.00")  # (201,000 − 1,000) × 60%, below the new cap


def test_scenario_files_hold_at_least_30_cases() -> None:
    cases = [case for path in sorted(CASES.glob("*.yaml")) for case in load_cases(path)]
    assert len(cases) >= 30
    assert {case.jurisdiction for case in cases} == {CODE}


# -- the conformance suite of medinsure.testing --------------------------------------------------

TestConformance = conformance_tests(CODE)
