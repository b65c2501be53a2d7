"""The plugin kit: `medinsure new-plugin` makes a package that passes the conformance suite."""

from __future__ import annotations

import io
from importlib.resources import files

import pytest

import testplugin
from medinsure import Claim, Engine, Patient, RulePackPlugin
from medinsure.cli import main
from medinsure.errors import KitError, RuleNotInForce
from medinsure.plugins.kit import new_plugin
from medinsure.rules.describe import coverage
from medinsure.testing import conformance_tests
from support import generated, run_all


def test_new_plugin_without_parent_makes_a_package_that_passes_conformance(tmp_path, monkeypatch):
    module, files = generated(tmp_path, "kitland")
    names = sorted(p.relative_to(tmp_path / "kitland").as_posix() for p in files)
    assert names == [  # a rule pack and no code
        "README.md",
        "pyproject.toml",
        "src/medinsure_kitland/rules.yaml",
        "tests/cases/basic.yaml",
        "tests/cases/examples.yaml",
        "tests/test_kitland.py",
    ]
    pyproject = (tmp_path / "kitland" / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."medinsure.rulepacks"]\nkitland = "medinsure_kitland:rules.yaml"' in pyproject
    assert 'conformance_tests("kitland")' in (tmp_path / "kitland" / "tests" / "test_kitland.py").read_text()
    assert (
        "format: medinsure-rule-pack/1.1"
        in (tmp_path / "kitland" / "src" / "medinsure_kitland" / "rules.yaml").read_text()
    )
    rules = Engine.from_plugins(module).rules("kitland")
    from medinsure.testing import every_value

    assert all(not prov.verified and prov.note for _, _, prov in every_value(rules))
    run_all(conformance_tests("kitland", plugins=[module], cases=tmp_path / "kitland" / "tests" / "cases"))


def test_new_plugin_with_parent_builds_on_it(tmp_path, monkeypatch):
    module, _ = generated(tmp_path, "kitcity", parent="testland")
    pyproject = (tmp_path / "kitcity" / "pyproject.toml").read_text(encoding="utf-8")
    assert '"medinsure-testland>=0.1"' in pyproject
    engine = Engine.from_plugins(testplugin, module)
    assert [j.code for j in engine.rules("kitcity").chain] == ["kitcity", "testland"]
    run_all(conformance_tests("kitcity", plugins=[testplugin, module], cases=tmp_path / "kitcity" / "tests" / "cases"))


def test_a_new_plugin_under_liaoning_claims_only_the_years_its_tables_cover(tmp_path):
    # made in 2026 under a parent whose values start in 2025: its own example pool cap starts in
    # 2026, so it settles raw costs from 2026 on, and says so
    new_plugin("kitnew", "新市", parent="liaoning", directory=tmp_path / "kitnew", year=2026)
    liaoning = RulePackPlugin(files("medinsure_liaoning") / "rules.yaml", "liaoning")
    module = RulePackPlugin(tmp_path / "kitnew" / "src" / "medinsure_kitnew" / "rules.yaml", "kitnew")
    engine = Engine.from_plugins(liaoning, module)
    assert coverage(engine.rules("kitnew")).describe() == ("2026", "–")
    with pytest.raises(RuleNotInForce, match="kitnew"):
        engine.settle_claim(Patient(id="P", scheme="resident"), raw_claim("2025-12-31"), jurisdiction="kitnew")
    suite = conformance_tests("kitnew", plugins=[liaoning, module], cases=tmp_path / "kitnew" / "tests" / "cases")()
    suite.test_raw_costs_settle_in_every_year_it_claims()
    suite.test_scenario_files_pass()


def raw_claim(day: str) -> Claim:
    return Claim.from_mapping(
        {
            "id": "C",
            "kind": "inpatient",
            "discharged": day,
            "hospital_level": "tertiary",
            "total": 9000,
            "in_scope": 9000,
        }
    )


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
