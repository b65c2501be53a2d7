"""Rule packs as plugins: a file, a folder in the environment, an installed package whose code never runs."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

import testplugin
from medinsure import Claim, Engine, Patient, PluginError, RulePackPlugin, UnknownJurisdiction
from medinsure.plugins.discovery import environment_rule_packs
from support import DATA


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
        Engine.from_installed(allow=["kitdata"], isolate=False)
    # by default the broken plugin is set aside and named where its jurisdiction is asked for
    engine = Engine.from_installed(allow=["kitdata"])
    assert engine.jurisdictions == []
    with pytest.raises(UnknownJurisdiction, match=r"plugins that failed to load: plugin 'kitdata': rule pack"):
        engine.rules("testland")
    entry_points.write_text("[medinsure.rulepacks]\nkitdata = kitdata_pkg:../../etc/passwd.yaml\n")
    with pytest.raises(PluginError, match=r"must be a \.yaml, \.yml or \.json path inside the package"):
        Engine.from_installed(allow=["kitdata"], isolate=False)


def test_the_installed_entry_points_are_those_the_standard_library_finds():
    from importlib import metadata

    from medinsure.plugins.discovery import ENTRY_POINT_GROUP, RULE_PACK_GROUP, installed_entry_points

    found = installed_entry_points()
    assert set(found) == {ENTRY_POINT_GROUP, RULE_PACK_GROUP}
    for group in (ENTRY_POINT_GROUP, RULE_PACK_GROUP):
        expected = metadata.entry_points(group=group)
        assert [(ep.name, ep.value, ep.dist.name) for ep in found[group]] == [
            (ep.name, ep.value, ep.dist.name) for ep in expected
        ]
    # the plugins of this repository are installed beside the core when its suite runs
    assert len(found[RULE_PACK_GROUP]) >= 4
