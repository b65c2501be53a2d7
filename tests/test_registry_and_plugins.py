"""Registration errors: each names the culprit (plugin, jurisdiction, rule, value)."""

from __future__ import annotations

import copy
import types
from decimal import Decimal
from pathlib import Path

import pytest

import testplugin
from medinsure import Engine, PluginError, RuleError, hookimpl, list_plugins, make_plugin_manager
from medinsure import plugins as plugins_module
from medinsure._yaml import read_data_file

PACK = read_data_file(Path(testplugin.DATA) / "testland.yaml")


def pack_plugin(pack: dict, name: str = "packplugin") -> types.ModuleType:
    module = types.ModuleType(name)

    @hookimpl
    def medinsure_register_jurisdictions(registry):
        registry.declare_from_rule_pack(pack)

    @hookimpl
    def medinsure_register_rules(registry):
        registry.load_rule_pack_rules(pack)

    module.medinsure_register_jurisdictions = medinsure_register_jurisdictions
    module.medinsure_register_rules = medinsure_register_rules
    return module


def test_a_valid_pack_loads():
    engine = Engine.from_plugins(pack_plugin(copy.deepcopy(PACK)))
    assert engine.jurisdictions == ["testland"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda p: p["tables"]["basic.ratio"]["rows"][0]["versions"][0].update(value=Decimal("1.5")),
            "plugin 'packplugin', jurisdiction 'testland', rule 'tables.basic.ratio[0].versions[0]': value=1.5: a rate must be within [0, 1]",
        ),
        (
            lambda p: p["tables"]["basic.deductible"]["rows"][0]["versions"][0].update(value=-5),
            "rule 'tables.basic.deductible[0].versions[0]': value=-5: must not be negative",
        ),
        (
            lambda p: p["benefits"]["critical_illness"]["schedules"][1]["versions"][0]["tiers"][1].update(
                {"from": 60000}
            ),
            "tiers[1] starts at 60000.00 but must start at 50000.00: tiers are contiguous",
        ),
        (
            lambda p: p["benefits"]["critical_illness"]["schedules"][1]["versions"][0]["tiers"][1].pop("to"),
            "tiers[1] has no upper bound but is not the last tier",
        ),
        (
            lambda p: p["tables"]["basic.ratio"]["rows"][0]["versions"][0].update(value=0.75),
            "value=0.75: float is not accepted",
        ),
        (
            lambda p: p["tables"]["basic.ratio"]["rows"][1]["versions"][0].update(to="2021-06-30"),
            "overlapping dates: 2020-01-01–2021-06-30 and 2021-01-01–",
        ),
        (
            lambda p: p["tables"]["basic.ratio"]["rows"][0]["versions"][0].pop("verified"),
            "verified: expected true or false",
        ),
        (
            lambda p: p["tables"]["basic.ratio"]["rows"][0]["versions"][0].update(source="nowhere"),
            "source 'nowhere' is not listed under sources",
        ),
        (
            lambda p: p["tables"]["basic.ratio"]["rows"][0]["versions"][0].update(verified=False),
            "an unverified value needs a note explaining the choice",
        ),
        (lambda p: p["tables"]["basic.ratio"].update(colour="red"), "unknown key 'colour'"),
        (lambda p: p["benefits"]["critical_illness"].update(component="lottery"), "unknown component 'lottery'"),
        (lambda p: p["benefits"]["critical_illness"].update(counts=["dental"]), "unknown claim kind 'dental'"),
        (lambda p: p["eligibility"]["insured"].update(check="is_nice"), "unknown built-in check 'is_nice'"),
        (
            lambda p: p["tables"]["basic.ratio"]["rows"][0].update(when={"colour": "red"}),
            "when.colour: unknown key",
        ),
    ],
)
def test_bad_rule_table_gives_one_clear_error(mutate, message):
    pack = copy.deepcopy(PACK)
    mutate(pack)
    with pytest.raises(RuleError) as info:
        Engine.from_plugins(pack_plugin(pack))
    assert message in str(info.value)
    assert "plugin 'packplugin'" in str(info.value)


def test_bad_rule_pack_file_names_file_and_line(tmp_path):
    text = (Path(testplugin.DATA) / "testland.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("value: 0.75", "value: 7.5"), encoding="utf-8")
    line = next(i for i, row in enumerate(bad.read_text().splitlines(), 1) if "value: 7.5" in row)
    with pytest.raises(RuleError, match=rf"a rate must be within \[0, 1\] \({bad}:{line}\)"):
        Engine.from_plugins(pack_plugin(bad))  # type: ignore[arg-type]


def test_duplicate_jurisdiction_code_is_refused():
    with pytest.raises(
        RuleError,
        match="plugin 'second', jurisdiction 'testland': jurisdiction code 'testland' is already provided by plugin 'first'",
    ):
        Engine.from_plugins(pack_plugin(copy.deepcopy(PACK), "first"), pack_plugin(copy.deepcopy(PACK), "second"))


def test_misspelled_hook_is_an_error_naming_plugin_and_hook():
    module = types.ModuleType("typo")

    @hookimpl
    def medinsure_regster_rules(registry):
        pass

    module.medinsure_regster_rules = medinsure_regster_rules
    with pytest.raises(
        PluginError,
        match="plugin 'typo': 'medinsure_regster_rules' is not a medinsure hook; did you mean 'medinsure_register_rules'",
    ):
        make_plugin_manager(plugins=[module], entry_points=False)


def test_unmarked_misspelled_hook_is_caught_too():
    module = types.ModuleType("typo2")
    module.medinsure_register_jurisdiction = lambda registry: None
    with pytest.raises(PluginError, match="did you mean 'medinsure_register_jurisdictions'"):
        make_plugin_manager(plugins=[module], entry_points=False)


def test_rules_for_another_plugins_jurisdiction_are_refused():
    module = types.ModuleType("intruder")

    @hookimpl
    def medinsure_register_rules(registry):
        registry.load_rule_pack_rules(Path(testplugin.DATA) / "testcity.yaml")

    module.medinsure_register_rules = medinsure_register_rules
    with pytest.raises(RuleError, match=r"plugin 'intruder', jurisdiction 'testcity'.*belongs to plugin 'testplugin'"):
        Engine.from_plugins(testplugin, module)


def test_missing_parent_is_a_clear_error():
    pack = read_data_file(Path(testplugin.DATA) / "testcity.yaml")
    with pytest.raises(RuleError, match="jurisdiction 'testcity': parent jurisdiction 'testland' is not installed"):
        Engine.from_plugins(pack_plugin(pack, "orphan"))


def test_exception_inside_a_hook_names_the_plugin():
    module = types.ModuleType("broken")

    @hookimpl
    def medinsure_register_jurisdictions(registry):
        raise KeyError("oops")

    module.medinsure_register_jurisdictions = medinsure_register_jurisdictions
    with pytest.raises(PluginError, match="plugin 'broken': medinsure_register_jurisdictions raised KeyError"):
        Engine.from_plugins(module)


class FakeDist:
    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version


class FakeEntryPoint:
    def __init__(self, name: str, obj: object, dist: FakeDist, fail: bool = False) -> None:
        self.name = name
        self._obj = obj
        self.dist = dist
        self._fail = fail

    def load(self) -> object:
        if self._fail:
            raise ImportError("No module named 'medinsure_broken'")
        return self._obj


@pytest.fixture
def fake_entry_points(monkeypatch):
    eps: list[FakeEntryPoint] = []

    def entry_points(group: str):
        assert group in ("medinsure", "medinsure.rulepacks")
        return list(eps) if group == "medinsure" else []

    monkeypatch.setattr(plugins_module.metadata, "entry_points", entry_points)
    return eps


def test_entry_points_are_loaded_with_their_distribution_version(fake_entry_points):
    fake_entry_points.append(FakeEntryPoint("testland", testplugin, FakeDist("medinsure-testland", "1.2.3")))
    infos = list_plugins()
    assert [(i.name, i.version, i.jurisdictions) for i in infos] == [("testland", "1.2.3", ("testcity", "testland"))]
    engine = Engine.from_installed()
    assert engine.rules("testcity").plugin_version == "1.2.3"


def test_allow_and_block_lists(fake_entry_points):
    fake_entry_points.append(FakeEntryPoint("testland", testplugin, FakeDist("medinsure-testland", "1.0")))
    fake_entry_points.append(FakeEntryPoint("broken", None, FakeDist("medinsure-broken", "0.1"), fail=True))
    with pytest.raises(PluginError, match=r"plugin 'broken' \(distribution medinsure-broken\) failed to load"):
        Engine.from_installed()
    assert Engine.from_installed(block=["broken"]).jurisdictions == ["testcity", "testland"]
    assert Engine.from_installed(allow=["testland"]).jurisdictions == ["testcity", "testland"]
    assert Engine.from_installed(allow=[]).jurisdictions == []


def test_each_manager_is_fresh():
    a = make_plugin_manager(plugins=[testplugin], entry_points=False)
    b = make_plugin_manager(entry_points=False)
    assert a.get_plugin("testplugin") is not None
    assert b.get_plugin("testplugin") is None


def child_pack(**sections) -> dict:
    pack = {
        "jurisdiction": {"code": "child", "name": "子", "parent": "testland"},
        "sources": {"s": {"publication": "test"}},
    }
    pack.update(sections)
    return pack


def test_a_child_removes_inherited_rules_with_null():
    from helpers import claim, patient

    engine = Engine.from_plugins(
        testplugin,
        pack_plugin(child_pack(benefits={"critical_illness": None}, eligibility={"designated": None}), "child"),
    )
    rules = engine.rules("child")
    assert "critical_illness" not in dict((b.key, b) for _, b in rules.benefits)
    assert "designated" not in {r.id for _, r in rules.eligibility}
    assert "critical_illness" in {b.key for _, b in engine.rules("testland").benefits}
    (s,) = engine.settle(patient(), [claim(in_scope=100000, designated=False)], jurisdiction="child")
    assert s.eligible
    assert s.critical_illness == 0


def test_only_a_child_can_remove():
    pack = child_pack(benefits={"critical_illness": None})
    del pack["jurisdiction"]["parent"]
    with pytest.raises(RuleError, match="only a jurisdiction with a parent can remove an inherited rule"):
        Engine.from_plugins(pack_plugin(pack, "orphan"))


def test_jurisdiction_start_refuses_earlier_claims():
    from helpers import presettled
    from medinsure import RuleNotInForce

    pack = child_pack()
    pack["jurisdiction"]["from"] = "2021-01-01"
    engine = Engine.from_plugins(testplugin, pack_plugin(pack, "child"))
    with pytest.raises(
        RuleNotInForce, match="no rules in force on 2020-12-31: the jurisdiction's rules start 2021-01-01"
    ):
        engine.settle(patient_(), [presettled(100, discharged="2020-12-31")], jurisdiction="child")
    assert engine.settle(patient_(), [presettled(100, discharged="2021-01-01")], jurisdiction="child")


def patient_():
    from helpers import patient

    return patient()


def test_combined_cap_cuts_in_the_order_listed():
    from helpers import D, claim, patient

    text = (Path(testplugin.DATA) / "testcity.yaml").read_text(encoding="utf-8")
    pack = read_data_file(Path(testplugin.DATA) / "testcity.yaml")
    pack["benefits"]["assist"] = {
        "component": "medical_assistance", "base": "residual", "schemes": ["resident"], "counts": ["inpatient"],
        "schedules": [{"versions": [{"from": "2020-01-01", "threshold": 0, "tiers": [{"from": 0, "rate": Decimal("0.5")}], "source": "invented", "verified": True}]}],
    }  # fmt: skip
    pack["combined_caps"]["eighty"]["components"] = ["basic_pool", "critical_illness", "medical_assistance"]
    assert "eighty" in text
    results = {}
    for order in (["medical_assistance", "critical_illness"], ["critical_illness", "medical_assistance"]):
        pack["combined_caps"]["eighty"]["reduce"] = order
        parent = pack_plugin(read_data_file(Path(testplugin.DATA) / "testland.yaml"), "parent")
        engine = Engine.from_plugins(parent, pack_plugin(copy.deepcopy(pack), "city"))
        (s,) = engine.settle(
            patient(), [claim(total=300000, in_scope=300000, discharged="2021-01-10")], jurisdiction="testcity"
        )
        results[order[0]] = (s.critical_illness, s.medical_assistance)
    # pool 150,000; CI 99,000; assistance 50% of the residual 51,000 = 25,500; limit 240,000: cut 34,500
    assert results["medical_assistance"] == (D(90000), D(0))  # assistance cut first: 25,500, then CI 9,000
    assert results["critical_illness"] == (D(64500), D(25500))  # CI cut first: 34,500


def test_an_installed_plugin_needing_another_hook_api_is_refused_at_load(fake_entry_points):
    import types

    future = types.ModuleType("medinsure_future")
    future.medinsure_register_jurisdictions = testplugin.medinsure_register_jurisdictions
    future.MEDINSURE_HOOK_API = ">=2.0,<3"
    fake_entry_points.append(FakeEntryPoint("future", future, FakeDist("medinsure-future", "2.0.0")))
    with pytest.raises(
        PluginError,
        match=r"plugin 'future' needs medinsure hook API >=2\.0,<3 but this medinsure provides hook API 1\.0",
    ):
        Engine.from_installed()
    assert Engine.from_installed(block=["future"]).jurisdictions == []
