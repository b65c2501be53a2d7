"""Hook API versioning and data-only rule packs."""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path

import pytest

import medinsure
import testplugin
from medinsure import HOOK_API, Claim, Engine, Patient, PluginError, RulePackPlugin
from medinsure.datapacks import environment_rule_packs
from medinsure.hookapi import check_plugin_api, parse_requirement, satisfies

DATA = Path(__file__).parent / "data"


def versioned(requirement: str | None) -> types.ModuleType:
    module = types.ModuleType("medinsure_versioned")
    module.medinsure_register_jurisdictions = testplugin.medinsure_register_jurisdictions
    module.medinsure_register_rules = testplugin.medinsure_register_rules
    if requirement is not None:
        module.MEDINSURE_HOOK_API = requirement
    return module


def test_the_core_states_its_hook_api():
    assert medinsure.HOOK_API == HOOK_API == (1, 0)


def test_requirements_are_read_and_compared():
    assert parse_requirement(">=1.0,<2") == [(">=", (1, 0)), ("<", (2, 0))]
    assert satisfies((1, 0), ">=1.0,<2")
    assert satisfies((1, 7), ">=1.2, <2")
    assert not satisfies((1, 0), ">=1.1")
    assert not satisfies((2, 0), ">=1.0,<2")
    assert satisfies((1, 0), "==1.0")
    with pytest.raises(ValueError, match="cannot read '~1'"):
        parse_requirement("~1")


@pytest.mark.parametrize("requirement", [None, ">=1.0,<2", "==1.0", ">=1"])
def test_a_plugin_within_the_hook_api_loads(requirement):
    engine = Engine.from_plugins(versioned(requirement))
    assert engine.jurisdictions == ["testcity", "testland"]


@pytest.mark.parametrize("requirement", [">=2.0,<3", ">=1.1", "<1"])
def test_a_plugin_outside_the_hook_api_is_refused_at_load(requirement):
    with pytest.raises(PluginError) as info:
        Engine.from_plugins(versioned(requirement))
    message = str(info.value)
    assert "plugin 'medinsure_versioned'" in message
    assert f"needs medinsure hook API {requirement}" in message
    assert "provides hook API 1.0" in message


def test_an_unreadable_requirement_is_refused():
    with pytest.raises(PluginError, match=r"plugin 'medinsure_versioned': MEDINSURE_HOOK_API = 'one' cannot be read"):
        Engine.from_plugins(versioned("one"))


def test_a_future_core_refuses_an_old_plugin():
    with pytest.raises(PluginError, match=r"provides hook API 2\.0"):
        check_plugin_api(versioned(">=1.0,<2"), "old", version=(2, 0))


# -- data-only rule packs ---------------------------------------------------------------------


def settle_testland(engine: Engine) -> str:
    patient = Patient.from_mapping({"id": "P1", "scheme": "resident"})
    claim = Claim.from_mapping(
        {"id": "C1", "kind": "inpatient", "discharged": "2021-05-01", "basic": {"pool": 0, "in_scope_self_pay": 90000}}
    )
    (settlement,) = engine.settle(patient, [claim], jurisdiction="testland")
    return str(settlement.critical_illness)


EXPECTED = settle_testland(Engine.from_plugins(testplugin))


def test_a_rule_pack_file_is_a_plugin():
    engine = Engine.from_plugins(RulePackPlugin(DATA / "testland.yaml"))
    assert engine.registry.owner("testland") == "testland"
    assert settle_testland(engine) == EXPECTED != "0.00"


def test_rule_packs_named_in_the_environment(tmp_path, monkeypatch):
    shutil.copy(DATA / "testland.yaml", tmp_path / "landpack.yaml")
    monkeypatch.setenv("MEDINSURE_RULE_PACKS", str(tmp_path))
    assert environment_rule_packs() == [tmp_path / "landpack.yaml"]
    engine = Engine.from_installed(allow=["landpack"])
    assert engine.jurisdictions == ["testland"]
    assert settle_testland(engine) == EXPECTED
    monkeypatch.setenv("MEDINSURE_RULE_PACKS", str(tmp_path / "missing.yaml"))
    with pytest.raises(
        PluginError, match=r"MEDINSURE_RULE_PACKS: .*missing\.yaml.* neither a rule pack file nor a folder"
    ):
        Engine.from_installed(allow=["landpack"])


def data_distribution(site: Path, *, record: bool) -> None:
    """An installed distribution whose package holds a rule pack and code that must never run."""
    package = site / "kitdata_pkg"
    (package / "rules").mkdir(parents=True)
    (package / "__init__.py").write_text('raise RuntimeError("the publisher\'s code ran")\n')
    shutil.copy(DATA / "testland.yaml", package / "rules" / "pack.yaml")
    info = site / "kitdata-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kitdata\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text("[medinsure.rulepacks]\nkitdata = kitdata_pkg:rules/pack.yaml\n")
    if record:
        (info / "RECORD").write_text("kitdata_pkg/__init__.py,,\nkitdata_pkg/rules/pack.yaml,,\n")


@pytest.mark.parametrize("record", [True, False], ids=["wheel", "editable"])
def test_an_installed_data_only_pack_loads_without_running_its_code(tmp_path, monkeypatch, record):
    data_distribution(tmp_path, record=record)
    monkeypatch.syspath_prepend(str(tmp_path))
    engine = Engine.from_installed(allow=["kitdata"])
    assert "kitdata_pkg" not in sys.modules
    assert engine.jurisdictions == ["testland"]
    assert engine.rules("testland").plugin_version == "0.3"
    assert settle_testland(engine) == EXPECTED


def test_a_data_pack_naming_a_missing_file_is_refused(tmp_path, monkeypatch):
    data_distribution(tmp_path, record=False)
    entry_points = tmp_path / "kitdata-0.3.dist-info" / "entry_points.txt"
    entry_points.write_text("[medinsure.rulepacks]\nkitdata = kitdata_pkg:rules/other.yaml\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        PluginError, match=r"rule pack 'kitdata' \(distribution kitdata.*file rules/other.yaml not found"
    ):
        Engine.from_installed(allow=["kitdata"])
    entry_points.write_text("[medinsure.rulepacks]\nkitdata = kitdata_pkg:../../etc/passwd.yaml\n")
    with pytest.raises(PluginError, match=r"must be a \.yaml, \.yml or \.json path inside the package"):
        Engine.from_installed(allow=["kitdata"])
