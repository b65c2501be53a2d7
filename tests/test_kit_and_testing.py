"""The plugin kit (medinsure new-plugin) and the conformance suite (medinsure.testing)."""

from __future__ import annotations

import importlib
import io
import sys
from decimal import Decimal
from types import ModuleType

import pytest

import testplugin
from medinsure import Claim, Engine, Match, ParameterTable, Patient, Provenance, Row, Source, Version, hookimpl
from medinsure.cli import main
from medinsure.kit import KitError, new_plugin
from medinsure.testing import conformance_tests

TESTS = [
    "test_jurisdiction_is_installed_and_its_tables_are_valid",
    "test_every_value_has_provenance",
    "test_scenario_files_pass",
    "test_conservation",
    "test_more_self_pay_never_lowers_a_secondary_payment",
    "test_year_total_does_not_depend_on_split_or_order",
    "test_caps_are_never_exceeded",
]


def run_all(cls: type) -> None:
    instance = cls()
    for name in TESTS:
        getattr(instance, name)()


def generated(tmp_path, monkeypatch, code: str, **kw) -> tuple[ModuleType, object]:
    root = tmp_path / code
    files = new_plugin(code, f"{code} 市", directory=root, year=2021, **kw)
    monkeypatch.syspath_prepend(str(root / "src"))
    module = importlib.import_module(f"medinsure_{code}")
    monkeypatch.delitem(sys.modules, module.__name__)
    return module, files


def test_new_plugin_without_parent_makes_a_package_that_passes_conformance(tmp_path, monkeypatch):
    module, files = generated(tmp_path, monkeypatch, "kitland")
    names = sorted(p.relative_to(tmp_path / "kitland").as_posix() for p in files)
    assert names == [
        "README.md",
        "pyproject.toml",
        "src/medinsure_kitland/__init__.py",
        "src/medinsure_kitland/py.typed",
        "src/medinsure_kitland/rules.yaml",
        "tests/cases/examples.yaml",
        "tests/test_kitland.py",
    ]
    pyproject = (tmp_path / "kitland" / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points.medinsure]\nkitland = "medinsure_kitland"' in pyproject
    assert 'conformance_tests("kitland")' in (tmp_path / "kitland" / "tests" / "test_kitland.py").read_text()
    assert module.MEDINSURE_HOOK_API == ">=1.0,<2"
    rules = Engine.from_plugins(module).rules("kitland")
    from medinsure.testing import every_value

    assert all(not prov.verified and prov.note for _, _, prov in every_value(rules))
    run_all(conformance_tests("kitland", plugins=[module], cases=tmp_path / "kitland" / "tests" / "cases"))


def test_new_plugin_with_parent_builds_on_it(tmp_path, monkeypatch):
    module, _ = generated(tmp_path, monkeypatch, "kitcity", parent="testland")
    pyproject = (tmp_path / "kitcity" / "pyproject.toml").read_text(encoding="utf-8")
    assert '"medinsure-testland>=0.1"' in pyproject
    engine = Engine.from_plugins(testplugin, module)
    assert [j.code for j in engine.rules("kitcity").chain] == ["kitcity", "testland"]
    run_all(conformance_tests("kitcity", plugins=[testplugin, module], cases=tmp_path / "kitcity" / "tests" / "cases"))


def test_conformance_fails_on_a_wrong_scenario_amount(tmp_path, monkeypatch):
    module, _ = generated(tmp_path, monkeypatch, "kitbad")
    cases = tmp_path / "kitbad" / "tests" / "cases" / "examples.yaml"
    cases.write_text(cases.read_text(encoding="utf-8").replace("critical_illness: 28000}", "critical_illness: 28001}"))
    suite = conformance_tests("kitbad", plugins=[module], cases=cases.parent)()
    with pytest.raises(AssertionError, match=r"expected 28,001\.00, actual 28,000\.00"):
        suite.test_scenario_files_pass()


def test_conformance_fails_without_scenarios_for_the_jurisdiction(tmp_path):
    (tmp_path / "cases").mkdir()
    suite = conformance_tests("testcity", plugins=[testplugin], cases=tmp_path / "cases")()
    with pytest.raises(AssertionError, match="no scenario file"):
        suite.test_scenario_files_pass()


class Unexplained:
    """A plugin registering an unverified value without a note (a rule pack would refuse it)."""

    __name__ = "unexplained"
    publication = "a publication"
    verified = False

    @hookimpl
    def medinsure_register_jurisdictions(self, registry):
        registry.add_jurisdiction("unexplained", "无说明", parent="testland")

    @hookimpl
    def medinsure_register_rules(self, registry):
        import datetime as dt
        from decimal import Decimal

        source = Source("s", self.publication)
        registry.add_source("unexplained", source)
        version = Version(Decimal("50000"), dt.date(2020, 1, 1), Provenance(source, self.verified, ""))
        registry.add_table("unexplained", ParameterTable("basic.pool_cap", "amount", (Row(Match(), (version,)),)))


def test_conformance_fails_on_an_unverified_value_without_a_note(tmp_path):
    suite = conformance_tests("unexplained", plugins=[testplugin, Unexplained()], cases=tmp_path)()
    with pytest.raises(AssertionError, match=r"unexplained: basic.pool_cap.*unverified without a note"):
        suite.test_every_value_has_provenance()


def test_conformance_fails_on_a_value_citing_a_file(tmp_path):
    plugin = Unexplained()
    plugin.publication, plugin.verified = "notes/seeds/003_eb4f.txt", True
    suite = conformance_tests("unexplained", plugins=[testplugin, plugin], cases=tmp_path)()
    with pytest.raises(AssertionError, match=r"unexplained: basic.pool_cap.* cites a file: notes/seeds/003_eb4f.txt"):
        suite.test_every_value_has_provenance()


def test_conformance_of_the_test_jurisdictions():
    from pathlib import Path

    run_all(conformance_tests("testland", plugins=[testplugin], cases=Path(__file__).parent / "cases"))


def test_new_plugin_refuses_bad_input(tmp_path):
    with pytest.raises(KitError, match="code='Tie-ling'"):
        new_plugin("Tie-ling", "铁岭市", directory=tmp_path / "a")
    with pytest.raises(KitError, match="needs a name"):
        new_plugin("tieling", " ", directory=tmp_path / "a")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(KitError, match="not an empty folder"):
        new_plugin("tieling", "铁岭市", directory=tmp_path / "full")


def test_new_plugin_command(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "pkg"
    code = main(
        ["new-plugin", "kitcli", "--name", "铁岭市", "--parent", "liaoning", "--dir", str(target)], out=out, err=err
    )
    assert code == 0, err.getvalue()
    assert f"created {target / 'pyproject.toml'}" in out.getvalue()
    assert "parent: liaoning" in (target / "src" / "medinsure_kitcli" / "rules.yaml").read_text(encoding="utf-8")
    assert main(["new-plugin", "kitcli", "--name", "x", "--dir", str(target)], out=out, err=err) == 2
    assert "exists and is not an empty folder" in err.getvalue()


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known limitation of the engine, found by the conformance suite: when two benefits on the"
        " self-pay together owe more than a claim's remaining in-scope self-pay, the second is cut"
        " to what the claim still owes, and the cut is not made up in later claims of the year, so"
        " the year's total then depends on the split"
    ),
)
def test_stacked_self_pay_benefits_above_the_self_pay_are_split_invariant(tmp_path, monkeypatch):
    module, _ = generated(tmp_path, monkeypatch, "kitstack", parent="testland")
    rules = (tmp_path / "kitstack" / "src" / "medinsure_kitstack" / "rules.yaml").read_text(encoding="utf-8")
    rules = rules.replace("schemes: [resident]", "schemes: [employee, resident]")
    (tmp_path / "kitstack" / "src" / "medinsure_kitstack" / "rules.yaml").write_text(rules, encoding="utf-8")
    engine = Engine.from_plugins(testplugin, module)
    patient = Patient(id="P", scheme="employee")

    def year_total(*amounts: str) -> Decimal:
        claims = [
            Claim.from_mapping(
                {
                    "id": f"C{i}",
                    "kind": "inpatient",
                    "discharged": "2021-06-30",
                    "basic": {"pool": 0, "in_scope_self_pay": a},
                }
            )
            for i, a in enumerate(amounts)
        ]
        return sum((s.burden_subsidy for s in engine.settle(patient, claims, jurisdiction="kitstack")), Decimal(0))

    # critical illness (60-70% above 15,000) and the over-burden subsidy (40% above 10,000) together
    # owe more than the self-pay above about 40,000
    assert year_total("149915.36") == year_total("74599.39", "75315.97")
