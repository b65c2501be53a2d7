"""The Dalian plugin: discovery, provenance of every value, the seed figures, the worked examples.

The scenario files in ``cases/`` run as tests of their own (one test per case).
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import medinsure_dalian
import medinsure_liaoning

from medinsure import Claim, Engine, ParameterTable, Patient, Row, list_plugins, make_plugin_manager
from medinsure.cases import load_cases
from medinsure.registry import JurisdictionRules
from medinsure.testing import conformance_tests

CODE = "dalian"
CASES = Path(__file__).parent / "cases"
LEVELS = {"tertiary": "0.75", "secondary": "0.85", "primary": "0.90", "community": "0.95"}


@functools.cache
def engine() -> Engine:
    return Engine.from_plugins(medinsure_liaoning, medinsure_dalian)


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


def settle(patient: dict[str, Any], *claims: dict[str, Any]) -> list[Any]:
    return engine().settle(Patient.from_mapping(patient), [Claim.from_mapping(c) for c in claims], jurisdiction=CODE)


# -- the installed plugin ---------------------------------------------------------------------


def test_installed_plugin_is_found_through_its_entry_point() -> None:
    pm = make_plugin_manager(allow=["liaoning", CODE])
    assert pm.get_plugin(CODE) is not None
    info = {p.name: p for p in list_plugins(pm)}[CODE]
    assert info.jurisdictions == (CODE,)
    assert info.parents == ("liaoning",)
    assert info.version == medinsure_dalian.__version__ == "0.1.0"


def test_installed_engine_settles_dalian_on_top_of_liaoning() -> None:
    installed = Engine.from_installed(allow=["liaoning", CODE])
    r = installed.rules(CODE)
    assert [j.code for j in r.chain] == [CODE, "liaoning"]


# -- provenance -------------------------------------------------------------------------------


def test_sources_are_the_publications() -> None:
    sources = engine().registry.sources(CODE)
    assert sources["dalian_2021"].date == dt.date(2021, 7, 14)
    assert "半岛晨报" in sources["dalian_2021"].publication
    assert sources["dalian_2022"].date == dt.date(2022, 5, 11)
    assert sources["dalian_2022"].url == "https://mp.weixin.qq.com/s/9ya8I6xsj2OsarnxAkWQQw"


# -- the seed figures -------------------------------------------------------------------------


def test_burden_subsidy_is_40_percent_above_10000() -> None:
    subsidy = benefit("burden_subsidy")
    assert subsidy.schemes == ("employee",)
    assert set(subsidy.counts) == {"outpatient_dialysis", "outpatient_radiotherapy", "inpatient"}
    version = subsidy.schedules.rows[0].versions[0]
    assert version.provenance.verified
    assert version.provenance.source.id == "dalian_2021"
    assert version.value.threshold == D(10000)
    assert [(t.start, t.end, t.rate) for t in version.value.tiers] == [(D(0), None, D("0.40"))]


def test_referral_out_is_excluded_as_a_marked_interpretation() -> None:
    rule = next(rule for owner, rule in rules().eligibility if owner == CODE)
    assert rule.check == "not_referred_out"
    assert rule.applies_to == ("burden_subsidy",)
    assert not rule.provenance.verified


def test_resident_critical_illness_2021() -> None:
    ci = benefit("critical_illness")
    assert ci.schemes == ("resident",)  # Dalian employees have the over-burden subsidy instead
    assert ci.counts == ("inpatient",)
    version = row(ci.schedules, "general").versions[0]
    assert (version.start, version.end) == (dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    assert version.provenance.verified
    assert version.provenance.source.id == "dalian_2021"
    assert version.value.threshold == D(20000)
    assert version.value.basis == "above_threshold"
    assert [(t.start, t.end, t.rate) for t in version.value.tiers] == [
        (D(0), D(50000), D("0.60")),
        (D(50000), D(100000), D("0.65")),
        (D(100000), None, D("0.70")),
    ]


def test_special_groups_have_threshold_10000_and_70_percent_flat() -> None:
    schedules = benefit("critical_illness").schedules
    children = row(schedules, "children with a listed blood disease or a malignant tumour")
    assert children.when.conditions == frozenset({"childhood_blood_disease", "childhood_malignant_tumor"})
    poor = row(schedules, "minimum-living and extreme-poverty persons")
    assert poor.when.categories == frozenset({"minimum_living", "extreme_poverty"})
    for each in (children, poor):
        version = each.versions[0]
        assert version.provenance.verified
        assert version.provenance.source.id == "dalian_2022"
        assert version.value.threshold == D(10000)
        assert [(t.start, t.end, t.rate) for t in version.value.tiers] == [(D(0), None, D("0.70"))]
    low_income = row(schedules, "other disadvantaged (low-income) persons").versions[0]
    assert not low_income.provenance.verified


def test_pku_care_has_no_threshold_and_70_percent() -> None:
    pku = benefit("critical_illness_pku")
    assert pku.component == "critical_illness"
    assert pku.counts == ("pku",)
    only = pku.schedules.rows[0]
    assert only.when.conditions == frozenset({"pku"})
    version = only.versions[0]
    assert version.provenance.verified
    assert version.value.threshold == D(0)
    assert version.value.tiers[0].rate == D("0.70")


def test_minors_and_students_ratios_by_level() -> None:
    _, ratio = rules().tables["basic.ratio"]
    assert rules().tables["basic.ratio"][0] == CODE
    for who in ("resident minors", "resident students"):
        for level, value in LEVELS.items():
            each = row(ratio, f"{who} {level}")
            version = each.versions[0]
            assert version.value == D(value)
            assert version.provenance.verified
            assert version.provenance.source.id == "dalian_2022"
    assert row(ratio, "resident minors tertiary").when.age_max == 17
    assert row(ratio, "resident students tertiary").when.categories == frozenset({"student"})


def test_the_provincial_95_percent_maximum_is_removed() -> None:
    assert [c.id for _, c in rules().combined_caps] == []
    liaoning = engine().rules("liaoning")
    assert [c.id for _, c in liaoning.combined_caps] == ["ninety_five_percent"]


def test_inherited_rules_come_from_liaoning() -> None:
    r = rules()
    assert r.tables["coverage.start_delay_months"][0] == "liaoning"
    assert dict((b.key, o) for o, b in r.benefits)["large_amount"] == "liaoning"
    assert {rule.id for o, rule in r.eligibility if o == "liaoning"} == {"insured", "designated", "filed"}


# -- worked examples and dates ----------------------------------------------------------------


def test_worked_example_1() -> None:
    patient = {"id": "P", "scheme": "resident"}
    split = settle(
        patient,
        given("C1", "2021-02-10", "10000", "15000"),
        given("C2", "2021-06-10", "40000", "60000"),
        given("C3", "2021-11-10", "50000", "80000"),
    )
    assert [s.critical_illness for s in split] == [D("0.00"), D("33250.00"), D("53750.00")]
    (whole,) = settle(patient, given("C", "2021-09-01", "100000", "155000"))
    assert whole.critical_illness == D("87000.00") == sum((s.critical_illness for s in split), D(0))


def test_worked_example_2() -> None:
    first, second = settle(
        {"id": "P", "scheme": "employee"},
        given("C1", "2021-03-05", "30000", "8000"),
        given("C2", "2021-08-05", "25000", "7000"),
    )
    assert first.burden_subsidy == D("0.00")
    assert second.burden_subsidy == D("2000.00")


def test_2021_threshold_is_carried_forward_into_2022_and_says_so() -> None:
    (s,) = settle({"id": "P", "scheme": "resident"}, given("C", "2022-03-01", "20000", "30000"))
    assert s.critical_illness == D("6000.00")
    used = [ref for ref in s.rules if ref.rule_id == "dalian/critical_illness.schedule[general]"]
    assert used
    assert all(ref.carried_forward for ref in used)


def test_2021_claim_is_not_carried_forward() -> None:
    (s,) = settle({"id": "P", "scheme": "resident"}, given("C", "2021-03-01", "20000", "30000"))
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
    r = rules()
    retiree = r.tables["personal_account.retiree_monthly"][1].rows[0].versions[0]
    rate = r.tables["personal_account.in_service_rate"][1].rows[0].versions[0]
    assert (retiree.value, rate.value) == (D("80.00"), D("0.02"))
    assert retiree.provenance.verified
    assert rate.provenance.source.id == "dalian_2022"


# -- the conformance suite of medinsure.testing --------------------------------------------------

TestConformance = conformance_tests(CODE)
