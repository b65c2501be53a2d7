"""Tests of medinsure-jiangsu: the conformance suite, the entry point, the seed's figures, strict mode.

The scenario files in ``cases/`` run as tests of their own (one test per case).
"""

from __future__ import annotations

import datetime as dt
from importlib import metadata

import pytest

from medinsure import Engine, list_plugins, make_plugin_manager
from medinsure.errors import StrictRefusal
from medinsure.rules.describe import coverage
from medinsure.testing import Harness, conformance_tests, raw_costs, yuan

CODE = "jiangsu"
JURISDICTION = Harness(CODE, plugins=(CODE,))
CHILD = {"id": "P", "scheme": "resident", "birth_date": "2016-05-01"}

# rule data valid, provenance on every value, scenario files passing, raw costs in every year it
# claims, and the core properties under hypothesis for jiangsu's rules
TestConformance = conformance_tests(CODE)


def test_found_through_its_entry_point_as_a_jurisdiction_of_its_own() -> None:
    pm = make_plugin_manager(allow=[CODE])
    info = {p.name: p for p in list_plugins(pm)}[CODE]
    assert info.jurisdictions == (CODE,)
    assert info.parents == (None,)
    assert info.version == metadata.version("medinsure-jiangsu")
    rules = Engine.from_installed(allow=[CODE]).rules(CODE)
    assert [j.code for j in rules.chain] == [CODE]
    assert coverage(rules).describe() == ("2025", "2025")


def test_the_seed_figures_are_verified_and_the_choices_are_not() -> None:
    table = JURISDICTION.table("basic.deductible")
    assert {row.label: (row.versions[0].value, row.versions[0].provenance.verified) for row in table.rows} == {
        "inpatient tertiary": (yuan(500), True),
        "inpatient secondary": (yuan(400), True),
        "inpatient primary": (yuan(300), True),
        "inpatient community": (yuan(300), False),
    }
    ratio = JURISDICTION.table("basic.ratio")
    assert {row.label: (row.versions[0].value, row.versions[0].provenance.verified) for row in ratio.rows} == {
        "children tertiary": (yuan("0.80"), True),
        "children secondary": (yuan("0.90"), True),
        "children primary": (yuan("0.90"), False),  # the sentence breaks off before it
        "children community": (yuan("0.90"), False),
    }
    assert all(row.when.age_max == 17 for row in ratio.rows)
    (cap,) = JURISDICTION.table("basic.pool_cap").rows[0].versions
    assert (cap.value, cap.provenance.verified, cap.end) == (yuan(200000), True, dt.date(2025, 12, 31))
    assert cap.quote.startswith("江苏儿童医保卡每年报销额度高达20万元")


def test_a_tertiary_child_settles_on_verified_values_only() -> None:
    strict = JURISDICTION.engine.with_strict(True)
    (s,) = JURISDICTION.settle(CHILD, raw_costs("C", "2025-04-01", "tertiary", 10000), engine=strict)
    assert s.basic_pool == yuan(7600)  # (10,000 − 500) × 80%
    assert s.trust.verified_only
    with pytest.raises(StrictRefusal, match=r"children primary\]@2025-01-01': value '90%' is not verified"):
        JURISDICTION.settle(CHILD, raw_costs("C", "2025-04-01", "primary", 10000), engine=strict)
    with pytest.raises(StrictRefusal, match="carried forward past 2025-12-31"):
        JURISDICTION.settle(
            CHILD, raw_costs("C", "2026-04-01", "tertiary", 10000), engine=strict.with_strict("carried-forward")
        )


def test_adults_and_employees_are_refused_with_the_reason() -> None:
    (adult,) = JURISDICTION.settle(
        {"id": "P", "scheme": "resident", "birth_date": "1980-01-01"}, raw_costs("C", "2025-04-01", "tertiary", 9000)
    )
    assert adult.refusals[0].rule_id == "jiangsu/eligibility.children_only"
    assert "江苏儿童医保" in adult.refusals[0].reason
    (employee,) = JURISDICTION.settle(
        {"id": "P", "scheme": "employee", "birth_date": "2010-01-01"}, raw_costs("C", "2025-04-01", "tertiary", 9000)
    )
    assert employee.refusals[0].rule_id == "jiangsu/eligibility.employees"
    assert (adult.fund_total, employee.fund_total) == (0, 0)
