"""The Yingkou plugin: discovery, provenance of every value, the seed figures, behaviour.

The scenario files in ``cases/`` run as tests of their own (one test per case).
"""

from __future__ import annotations

import datetime as dt
from importlib import metadata
from pathlib import Path

from medinsure import (
    Engine,
    list_plugins,
    make_plugin_manager,
)
from medinsure.io.scenarios import load_cases
from medinsure.testing import Harness, conformance_tests, raw_costs, yuan

CODE = "yingkou"
CASES = Path(__file__).parent / "cases"
LEVELS = ("tertiary", "secondary", "primary", "community")


JURISDICTION = Harness(CODE, plugins=("liaoning", CODE))


# -- the installed plugin ---------------------------------------------------------------------


def test_installed_plugin_is_found_through_its_entry_point() -> None:
    pm = make_plugin_manager(allow=["liaoning", CODE])
    assert pm.get_plugin(CODE) is not None
    info = {p.name: p for p in list_plugins(pm)}[CODE]
    assert info.jurisdictions == (CODE,)
    assert info.parents == ("liaoning",)
    assert info.version == metadata.version("medinsure-yingkou") == "0.1.0"


def test_installed_engine_settles_yingkou_on_top_of_liaoning() -> None:
    installed = Engine.from_installed(allow=["liaoning", CODE])
    assert [j.code for j in installed.rules(CODE).chain] == [CODE, "liaoning"]


# -- provenance -------------------------------------------------------------------------------


def test_sources_are_the_2025_answers() -> None:
    sources = JURISDICTION.engine.registry.sources(CODE)
    assert {s.date for s in sources.values()} == {dt.date(2025, 4, 18), dt.date(2025, 4, 19)}
    assert "营口" in sources["yingkou_pvp_2025"].document
    assert "儿童" in sources["yingkou_child_surgery_2025"].document


# -- the seed figures -------------------------------------------------------------------------


def test_pool_cap_is_80000() -> None:
    owner, cap = JURISDICTION.rules.tables["basic.pool_cap"]
    assert owner == CODE
    version = cap.rows[0].versions[0]
    assert version.value == yuan(80000)
    assert version.start == dt.date(2025, 1, 1)
    assert version.provenance.verified


def test_level_ratios_stay_within_the_published_70_to_80_percent() -> None:
    _, ratio = JURISDICTION.rules.tables["basic.ratio"]
    values = []
    for level in LEVELS:
        version = JURISDICTION.row(ratio, level).versions[0]
        assert yuan("0.70") <= version.value <= yuan("0.80")
        assert not version.provenance.verified
        assert "报销比例依医院等级为70%-80%" in version.provenance.quote
        assert version.end == dt.date(2025, 12, 31)
        values.append(version.value)
    assert min(values) == yuan("0.70")
    assert max(values) == yuan("0.80")
    assert values == sorted(values)  # lower levels pay more


def test_childrens_surgery_is_85_percent_a_reading_of_one_operation() -> None:
    _, ratio = JURISDICTION.rules.tables["basic.ratio"]
    surgery = JURISDICTION.row(ratio, "children's surgery")
    assert surgery.when.age_max == 17
    assert surgery.when.tags == frozenset({"surgery"})
    version = surgery.versions[0]
    assert version.value == yuan("0.85")
    # the 85% is published for one operation; every children's operation at every level is a reading
    assert not version.provenance.verified
    assert "儿童隐睾下降固定术可走医保,报销比例达85%" in version.provenance.quote
    assert version.provenance.source.id == "yingkou_child_surgery_2025"
    assert "分段" in version.provenance.note


def test_retirees_outpatient_drugs_are_kept_in_the_replacement_table() -> None:
    retiree = {"id": "P", "scheme": "employee", "status": "retired"}
    for years, paid in ((14, "750.00"), (21, "800.00"), (30, "800.00")):
        claim = {"id": "C", "kind": "outpatient", "discharged": "2025-02-01", "total": 1000, "in_scope": 1000}
        (s,) = JURISDICTION.settle({**retiree, "service_years": years}, claim)
        assert s.basic_pool == yuan(paid), years  # 1,000 × 75% or 80%, no deductible


def test_critical_illness_is_at_most_400000_a_year_on_the_provincial_tiers() -> None:
    ci = JURISDICTION.benefit("critical_illness")
    province = next(b for _, b in JURISDICTION.engine.rules("liaoning").benefits if b.key == "critical_illness")
    assert (ci.schemes, ci.counts) == (province.schemes, province.counts)
    for mine, theirs in zip(ci.schedules.rows, province.schedules.rows, strict=True):
        assert mine.when == theirs.when
        assert mine.versions[0].value.cap == yuan(400000)
        assert mine.versions[0].value.tiers == theirs.versions[0].value.tiers
        assert mine.versions[0].value.threshold == theirs.versions[0].value.threshold
    general = JURISDICTION.row(ci.schedules, "general").versions[0]
    # the 400,000 is Yingkou's; its threshold is not published (the province's 10,000 is a choice)
    assert not general.provenance.verified
    assert "最高40万元" in general.provenance.quote
    assert "通常为1万-2万元" in general.provenance.note
    assert general.provenance.source.id == "yingkou_pvp_2025"


def test_what_yingkou_does_not_say_comes_from_liaoning() -> None:
    r = JURISDICTION.rules
    assert r.tables["basic.deductible"][0] == "liaoning"
    assert r.tables["coverage.lapse_waiting_months"][0] == "liaoning"
    assert dict((c.id, o) for o, c in r.combined_caps) == {"ninety_five_percent": "liaoning"}
    assert dict((b.key, o) for o, b in r.benefits)["large_amount"] == "liaoning"


# -- behaviour --------------------------------------------------------------------------------


def test_childrens_surgery_by_level() -> None:
    child = {"id": "P", "scheme": "resident", "birth_date": "2015-06-01"}
    expected = {"tertiary": "17000.00", "secondary": "8500.00", "primary": "8500.00", "community": "8500.00"}
    costs = {"tertiary": "21000", "secondary": "10500", "primary": "10300", "community": "10200"}
    for level in LEVELS:
        (s,) = JURISDICTION.settle(child, raw_costs("C", "2025-07-01", level, costs[level], tags=["surgery"]))
        assert s.basic_pool == yuan(expected[level]), level


def test_critical_illness_stops_at_400000() -> None:
    (s,) = JURISDICTION.settle(
        {"id": "P", "scheme": "resident"},
        {
            "id": "C",
            "kind": "inpatient",
            "discharged": "2025-05-01",
            "basic": {"pool": "50000", "in_scope_self_pay": "600000"},
        },
    )
    assert s.critical_illness == yuan("400000.00")


def test_scenario_files_hold_at_least_30_cases() -> None:
    cases = [case for path in sorted(CASES.glob("*.yaml")) for case in load_cases(path)]
    assert len(cases) >= 30
    assert {case.jurisdiction for case in cases} == {CODE}


def test_the_package_pulls_in_liaoning() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "medinsure-liaoning>=0.1" in project["dependencies"]


# -- the conformance suite of medinsure.testing --------------------------------------------------

TestConformance = conformance_tests(CODE)
