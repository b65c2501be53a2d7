"""The Dalian plugin: discovery, provenance of every value, the seed figures, the worked examples.

The scenario files in ``cases/`` run as tests of their own (one test per case).
"""

from __future__ import annotations

import datetime as dt
from importlib import metadata
from pathlib import Path

from medinsure import Engine, list_plugins, make_plugin_manager
from medinsure.io.scenarios import load_cases
from medinsure.testing import Harness, conformance_tests, presettled, yuan

CODE = "dalian"
CASES = Path(__file__).parent / "cases"
LEVELS = {"tertiary": "0.75", "secondary": "0.85", "primary": "0.90", "community": "0.95"}


JURISDICTION = Harness(CODE, plugins=("liaoning", CODE))


# -- the installed plugin ---------------------------------------------------------------------


def test_installed_plugin_is_found_through_its_entry_point() -> None:
    pm = make_plugin_manager(allow=["liaoning", CODE])
    assert pm.get_plugin(CODE) is not None
    info = {p.name: p for p in list_plugins(pm)}[CODE]
    assert info.jurisdictions == (CODE,)
    assert info.parents == ("liaoning",)
    assert info.version == metadata.version("medinsure-dalian") == "0.1.0"


def test_installed_engine_settles_dalian_on_top_of_liaoning() -> None:
    installed = Engine.from_installed(allow=["liaoning", CODE])
    r = installed.rules(CODE)
    assert [j.code for j in r.chain] == [CODE, "liaoning"]


# -- provenance -------------------------------------------------------------------------------


def test_sources_are_the_publications() -> None:
    sources = JURISDICTION.engine.registry.sources(CODE)
    assert sources["dalian_2021"].date == dt.date(2021, 7, 14)
    assert "半岛晨报" in sources["dalian_2021"].publication
    assert sources["dalian_2022"].date == dt.date(2022, 5, 11)
    assert sources["dalian_2022"].url == "https://mp.weixin.qq.com/s/9ya8I6xsj2OsarnxAkWQQw"


# -- the seed figures -------------------------------------------------------------------------


def test_burden_subsidy_is_40_percent_above_10000() -> None:
    subsidy = JURISDICTION.benefit("burden_subsidy")
    assert subsidy.schemes == ("employee",)
    assert set(subsidy.counts) == {"outpatient_dialysis", "outpatient_radiotherapy", "inpatient"}
    version = subsidy.schedules.rows[0].versions[0]
    assert version.provenance.verified
    assert version.provenance.source.id == "dalian_2021"
    assert version.value.threshold == yuan(10000)
    assert [(t.start, t.end, t.rate) for t in version.value.tiers] == [(yuan(0), None, yuan("0.40"))]


def test_referral_out_is_excluded_as_a_marked_interpretation() -> None:
    rule = next(rule for owner, rule in JURISDICTION.rules.eligibility if owner == CODE)
    assert rule.check == "not_referred_out"
    assert rule.applies_to == ("burden_subsidy",)
    assert not rule.provenance.verified


def test_resident_critical_illness_2021() -> None:
    ci = JURISDICTION.benefit("critical_illness")
    assert ci.schemes == ("resident",)  # Dalian employees have the over-burden subsidy instead
    assert ci.counts == ("inpatient",)
    version = JURISDICTION.row(ci.schedules, "general").versions[0]
    assert (version.start, version.end) == (dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    assert version.provenance.verified
    assert version.provenance.source.id == "dalian_2021"
    assert version.value.threshold == yuan(20000)
    assert version.value.basis == "above_threshold"
    assert [(t.start, t.end, t.rate) for t in version.value.tiers] == [
        (yuan(0), yuan(50000), yuan("0.60")),
        (yuan(50000), yuan(100000), yuan("0.65")),
        (yuan(100000), None, yuan("0.70")),
    ]


def test_special_groups_have_threshold_10000_and_70_percent_flat() -> None:
    schedules = JURISDICTION.benefit("critical_illness").schedules
    children = JURISDICTION.row(schedules, "children with a listed blood disease or a malignant tumour")
    assert children.when.conditions == frozenset({"childhood_blood_disease", "childhood_malignant_tumor"})
    poor = JURISDICTION.row(schedules, "minimum-living and extreme-poverty persons")
    assert poor.when.categories == frozenset({"minimum_living", "extreme_poverty"})
    for each in (children, poor):
        version = each.versions[0]
        assert version.provenance.verified
        assert version.provenance.source.id == "dalian_2022"
        assert version.value.threshold == yuan(10000)
        assert [(t.start, t.end, t.rate) for t in version.value.tiers] == [(yuan(0), None, yuan("0.70"))]
    low_income = JURISDICTION.row(schedules, "other disadvantaged (low-income) persons").versions[0]
    assert not low_income.provenance.verified


def test_pku_care_has_no_threshold_and_70_percent() -> None:
    pku = JURISDICTION.benefit("critical_illness_pku")
    assert pku.component == "critical_illness"
    assert pku.counts == ("pku",)
    only = pku.schedules.rows[0]
    assert only.when.conditions == frozenset({"pku"})
    version = only.versions[0]
    assert version.provenance.verified
    assert version.value.threshold == yuan(0)
    assert version.value.tiers[0].rate == yuan("0.70")


def test_minors_and_students_ratios_by_level() -> None:
    _, ratio = JURISDICTION.rules.tables["basic.ratio"]
    assert JURISDICTION.rules.tables["basic.ratio"][0] == CODE
    for who in ("resident minors", "resident students"):
        for level, value in LEVELS.items():
            each = JURISDICTION.row(ratio, f"{who} {level}")
            version = each.versions[0]
            assert version.value == yuan(value)
            assert version.provenance.verified
            assert version.provenance.source.id == "dalian_2022"
    assert JURISDICTION.row(ratio, "resident minors tertiary").when.age_max == 17
    assert JURISDICTION.row(ratio, "resident students tertiary").when.categories == frozenset({"student"})


def test_the_provincial_95_percent_maximum_is_removed() -> None:
    assert [c.id for _, c in JURISDICTION.rules.combined_caps] == []
    liaoning = JURISDICTION.engine.rules("liaoning")
    assert [c.id for _, c in liaoning.combined_caps] == ["ninety_five_percent"]


def test_inherited_rules_come_from_liaoning() -> None:
    r = JURISDICTION.rules
    assert r.tables["coverage.start_delay_months"][0] == "liaoning"
    assert dict((b.key, o) for o, b in r.benefits)["large_amount"] == "liaoning"
    assert {rule.id for o, rule in r.eligibility if o == "liaoning"} == {
        "insured",
        "insured_resident",
        "designated",
        "filed",
    }


# -- worked examples and dates ----------------------------------------------------------------


def test_worked_example_1() -> None:
    patient = {"id": "P", "scheme": "resident"}
    split = JURISDICTION.settle(
        patient,
        presettled("C1", "2021-02-10", "10000", "15000"),
        presettled("C2", "2021-06-10", "40000", "60000"),
        presettled("C3", "2021-11-10", "50000", "80000"),
    )
    assert [s.critical_illness for s in split] == [yuan("0.00"), yuan("33250.00"), yuan("53750.00")]
    (whole,) = JURISDICTION.settle(patient, presettled("C", "2021-09-01", "100000", "155000"))
    assert whole.critical_illness == yuan("87000.00") == sum((s.critical_illness for s in split), yuan(0))


def test_worked_example_2() -> None:
    first, second = JURISDICTION.settle(
        {"id": "P", "scheme": "employee"},
        presettled("C1", "2021-03-05", "30000", "8000"),
        presettled("C2", "2021-08-05", "25000", "7000"),
    )
    assert first.burden_subsidy == yuan("0.00")
    assert second.burden_subsidy == yuan("2000.00")


def test_2021_threshold_is_carried_forward_into_2022_and_says_so() -> None:
    (s,) = JURISDICTION.settle({"id": "P", "scheme": "resident"}, presettled("C", "2022-03-01", "20000", "30000"))
    assert s.critical_illness == yuan("6000.00")
    used = [ref for ref in s.rules if ref.rule_id == "dalian/critical_illness.schedule[general]"]
    assert used
    assert all(ref.carried_forward for ref in used)


def test_2021_claim_is_not_carried_forward() -> None:
    (s,) = JURISDICTION.settle({"id": "P", "scheme": "resident"}, presettled("C", "2021-03-01", "20000", "30000"))
    assert not any(ref.carried_forward for ref in s.rules)


def test_scenario_files_hold_at_least_30_cases() -> None:
    cases = [case for path in sorted(CASES.glob("*.yaml")) for case in load_cases(path)]
    assert len(cases) >= 30
    assert {case.jurisdiction for case in cases} == {CODE}


def test_the_package_pulls_in_liaoning() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "medinsure-liaoning>=0.1" in project["dependencies"]


def test_personal_account_figures_are_listed_with_their_source() -> None:
    r = JURISDICTION.rules
    retiree = r.tables["personal_account.retiree_monthly"][1].rows[0].versions[0]
    rate = r.tables["personal_account.in_service_rate"][1].rows[0].versions[0]
    assert (retiree.value, rate.value) == (yuan("80.00"), yuan("0.02"))
    assert retiree.provenance.verified
    assert rate.provenance.source.id == "dalian_2022"


# -- the conformance suite of medinsure.testing --------------------------------------------------

TestConformance = conformance_tests(CODE)
