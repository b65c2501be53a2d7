"""The Liaoning plugin: discovery, provenance of every value, the seed figures, the worked example.

The scenario files in ``cases/`` run as tests of their own (one test per case).
"""

from __future__ import annotations

import datetime as dt
from importlib import metadata
from pathlib import Path

import attrs
import pytest

from medinsure import (
    Engine,
    Match,
    ParameterTable,
    Provenance,
    Row,
    Schedule,
    Source,
    Tier,
    Version,
    list_plugins,
    make_plugin_manager,
)
from medinsure.io.scenarios import load_cases
from medinsure.testing import Harness, conformance_tests, presettled, raw_costs, yuan

CODE = "liaoning"
CASES = Path(__file__).parent / "cases"


JURISDICTION = Harness(CODE, plugins=(CODE,))


# -- the installed plugin ---------------------------------------------------------------------


def test_installed_plugin_is_found_through_its_entry_point() -> None:
    pm = make_plugin_manager(allow=[CODE])
    assert pm.get_plugin(CODE) is not None
    info = {p.name: p for p in list_plugins(pm)}[CODE]
    assert info.jurisdictions == (CODE,)
    assert info.parents == (None,)
    assert info.version == metadata.version("medinsure-liaoning") == "0.1.0"


def test_installed_engine_settles_liaoning() -> None:
    installed = Engine.from_installed(allow=[CODE])
    assert CODE in installed.jurisdictions
    assert installed.rules(CODE).plugin == CODE


# -- provenance -------------------------------------------------------------------------------


def test_sources_are_the_publications() -> None:
    sources = JURISDICTION.engine.registry.sources(CODE)
    assert sources["liaoning_qa_2025"].date == dt.date(2025, 4, 18)
    assert sources["general_qa_2025_03"].date == dt.date(2025, 3, 9)
    assert sources["general_qa_2025_04"].date == dt.date(2025, 4, 19)
    assert "assumption" in sources["assumption"].publication


# -- the seed figures -------------------------------------------------------------------------


def test_critical_illness_tiers_are_the_published_ones() -> None:
    ci = JURISDICTION.benefit("critical_illness")
    assert set(ci.schemes) == {"employee", "resident"}
    assert set(ci.counts) == {"inpatient", "outpatient_special", "negotiated_drug"}
    version = JURISDICTION.row(ci.schedules, "general").versions[0]
    assert version.start == dt.date(2025, 1, 1)
    assert version.provenance.verified
    assert version.provenance.source.id == "liaoning_qa_2025"
    schedule: Schedule = version.value
    assert schedule.threshold == yuan(10000)
    assert schedule.basis == "absolute"
    assert [(t.start, t.end, t.rate) for t in schedule.tiers] == [
        (yuan(10000), yuan(50000), yuan("0.60")),
        (yuan(50000), yuan(100000), yuan("0.70")),
        (yuan(100000), None, yuan("0.80")),
    ]


def test_the_poor_get_between_5_and_10_points_more_and_it_is_marked() -> None:
    ci = JURISDICTION.benefit("critical_illness")
    poor = JURISDICTION.row(ci.schedules, "poor (+5 points)")
    assert poor.when.categories == frozenset({"minimum_living", "extreme_poverty", "low_income"})
    general = JURISDICTION.row(ci.schedules, "general").versions[0].value
    version = poor.versions[0]
    assert not version.provenance.verified
    assert "贫困人口再提高5%-10%" in version.provenance.quote
    assert "lower end, 5 points" in version.provenance.note
    for extra, base in zip(version.value.tiers, general.tiers, strict=True):
        assert (extra.start, extra.end) == (base.start, base.end)
        assert yuan("0.05") <= extra.rate - base.rate <= yuan("0.10")


def test_combined_maximum_is_95_percent_and_marked_as_a_reading() -> None:
    cap = next(c for _, c in JURISDICTION.rules.combined_caps if c.id == "ninety_five_percent")
    assert set(cap.components) == {"basic_pool", "critical_illness", "large_amount"}
    version = cap.rate.rows[0].versions[0]
    assert version.value == yuan("0.95")
    assert version.provenance.source.id == "liaoning_qa_2025"
    assert not version.provenance.verified
    assert "最高可累计报销95%" in version.provenance.quote
    assert version.provenance.note.startswith("Read as:")


def test_coverage_starts_the_month_after_paying_and_a_lapse_waits_six_months() -> None:
    r = JURISDICTION.rules
    owner, delay = r.tables["coverage.start_delay_months"]
    assert owner == CODE
    current = delay.rows[0].versions[-1]
    assert (current.value, current.start, current.end) == (1, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert current.provenance.verified
    assert "医保待遇通常从缴费次月开始生效" in current.quote
    # six months from the new payment: the figure is the answer's, counting it from the payment a reading
    _, waiting = r.tables["coverage.lapse_waiting_months"]
    (version,) = waiting.rows[0].versions
    assert version.value == 6
    assert not version.provenance.verified
    assert "再次缴费后需设置6个月的观察期" in version.quote
    assert "counted from the day of the new payment" in version.provenance.note
    for _, table in (r.tables["coverage.start_delay_months"], r.tables["coverage.lapse_waiting_months"]):
        assert {v.provenance.source.id for row in table.rows for v in row.versions} == {"general_qa_2025_04"}


def test_each_eligibility_reading_is_quoted_and_marked() -> None:
    rules = {rule.id: rule for _, rule in JURISDICTION.rules.eligibility}
    employees, residents = rules["insured"], rules["insured_resident"]
    assert (employees.check, employees.when.scheme) == ("insured", frozenset({"employee"}))
    assert (residents.check, residents.when.scheme) == ("insured_policy_year", frozenset({"resident"}))
    for rule in (employees, residents):
        assert not rule.provenance.verified
        assert rule.provenance.quote
    assert "城乡居民医保需等待新参保年度生效" in residents.provenance.quote
    assert "admission date" in employees.provenance.note


def test_large_amount_subsidy_is_about_90_percent_above_the_cap() -> None:
    large = JURISDICTION.benefit("large_amount")
    assert large.base == "over_cap"
    assert large.schemes == ("employee",)
    version = large.schedules.rows[0].versions[0]
    assert version.value.tiers[0].rate == yuan("0.90")
    assert not version.provenance.verified


def test_basic_values_not_in_the_sources_are_unverified() -> None:
    r = JURISDICTION.rules
    for name in ("basic.deductible", "basic.ratio", "basic.pool_cap"):
        _, table = r.tables[name]
        for each in table.rows:
            assert all(not v.provenance.verified for v in each.versions), f"{name}[{each.name}]"


def test_out_of_area_without_filing_is_refused_as_a_marked_choice() -> None:
    rule = next(rule for _, rule in JURISDICTION.rules.eligibility if rule.id == "filed")
    assert rule.check == "filed_if_out_of_area"
    assert rule.applies_to == "claim"
    assert not rule.provenance.verified


# -- worked example and behaviour ------------------------------------------------------------


def test_worked_example_3() -> None:
    (s,) = JURISDICTION.settle(
        {"id": "P", "scheme": "resident"},
        presettled("C", "2025-08-20", "80000", "120000"),
    )
    # 40,000 × 60% + 50,000 × 70% + 20,000 × 80%
    assert s.critical_illness == yuan("75000.00")


def test_the_year_total_does_not_depend_on_how_costs_are_split() -> None:
    split = JURISDICTION.settle(
        {"id": "P", "scheme": "resident"},
        *[
            presettled(f"C{i}", f"2025-0{i}-01", "0", part)
            for i, part in enumerate(("15000", "60000", "45000"), start=1)
        ],
    )
    assert sum((s.critical_illness for s in split), yuan(0)) == yuan("75000.00")


def test_a_claim_before_2025_is_refused_with_a_clear_error() -> None:
    from medinsure import RuleNotInForce

    with pytest.raises(RuleNotInForce, match="2025-01-01"):
        JURISDICTION.settle(
            {"id": "P", "scheme": "resident"},
            raw_costs("C", "2024-12-31", "tertiary", "100"),
        )


def test_the_poor_uplift_can_be_overridden() -> None:
    ci = JURISDICTION.benefit("critical_illness")
    poor = JURISDICTION.row(ci.schedules, "poor (+5 points)")
    old = poor.versions[0]
    ten_points = Schedule(
        threshold=old.value.threshold,
        basis="absolute",
        tiers=tuple(Tier(t.start, t.end, t.rate + yuan("0.05")) for t in old.value.tiers),
    )
    mine = Provenance(Source("mine", "a reader's own reading"), verified=False, note="10 points for the poor")
    table = attrs.evolve(
        ci.schedules,
        rows=tuple(
            attrs.evolve(r, versions=(Version(ten_points, old.start, mine),)) if r is poor else r
            for r in ci.schedules.rows
        ),
    )
    custom = JURISDICTION.engine.with_overrides(CODE, table)
    (s,) = JURISDICTION.settle(
        {"id": "P", "scheme": "resident", "categories": ["minimum_living"]},
        presettled("C", "2025-06-06", "80000", "120000"),
        engine=custom,
    )
    assert s.critical_illness == yuan("86000.00")  # 40,000 × 70% + 50,000 × 80% + 20,000 × 90%
    assert "critical_illness.schedule" in s.overrides


def test_the_pool_cap_can_be_overridden() -> None:
    mine = Provenance(Source("mine", "a city notice"), verified=True)
    table = ParameterTable(
        name="basic.pool_cap",
        kind="amount",
        rows=(Row(Match(), (Version(yuan("150000.00"), dt.date(2025, 1, 1), mine),), label="every scheme"),),
    )
    (s,) = JURISDICTION.settle(
        {"id": "P", "scheme": "resident"},
        raw_costs("C", "2025-05-01", "tertiary", "201000"),
        engine=JURISDICTION.engine.with_overrides(CODE, table),
    )
    assert s.basic_pool == yuan("120000.00")  # (201,000 − 1,000) × 60%, below the new cap


def test_scenario_files_hold_at_least_30_cases() -> None:
    cases = [case for path in sorted(CASES.glob("*.yaml")) for case in load_cases(path)]
    assert len(cases) >= 30
    assert {case.jurisdiction for case in cases} == {CODE}


# -- the conformance suite of medinsure.testing --------------------------------------------------

TestConformance = conformance_tests(CODE)
