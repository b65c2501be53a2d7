"""The registry: conflicts refused, parents merged, jurisdictions' starts, combined caps."""

from __future__ import annotations

import copy
import types
from decimal import Decimal
from pathlib import Path

import pytest

import testplugin
from medinsure import Engine, RuleError, hookimpl
from medinsure.io.data import read_data_file
from support import child_pack, pack_plugin

PACK = read_data_file(Path(testplugin.DATA) / "testland.yaml")


def test_duplicate_jurisdiction_code_is_refused():
    # pluggy calls the plugin registered last first: "second" declares testland, "first" is refused
    with pytest.raises(
        RuleError,
        match="plugin 'first', jurisdiction 'testland': jurisdiction code 'testland' is already provided by plugin 'second'",
    ):
        Engine.from_plugins(pack_plugin(copy.deepcopy(PACK), "first"), pack_plugin(copy.deepcopy(PACK), "second"))


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


def test_jurisdiction_start_refuses_earlier_claims():
    from medinsure import RuleNotInForce
    from support import presettled

    pack = child_pack()
    pack["jurisdiction"]["from"] = "2021-01-01"
    engine = Engine.from_plugins(testplugin, pack_plugin(pack, "child"))
    with pytest.raises(
        RuleNotInForce, match="no rules in force on 2020-12-31: the jurisdiction's rules start 2021-01-01"
    ):
        engine.settle(patient_(), [presettled(100, discharged="2020-12-31")], jurisdiction="child")
    assert engine.settle(patient_(), [presettled(100, discharged="2021-01-01")], jurisdiction="child")


def patient_():
    from support import patient

    return patient()


def test_combined_cap_cuts_in_the_order_listed():
    from support import D, claim, patient

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


@pytest.mark.parametrize(("name", "kind"), [("basic.ratio", "amount"), ("basic.pool_cap", "rate")])
def test_a_table_the_engine_reads_by_name_must_be_of_its_kind(name, kind):
    pack = copy.deepcopy(PACK)
    pack["tables"][name]["kind"] = kind
    for row in pack["tables"][name]["rows"]:
        for version in row["versions"]:
            version["value"] = Decimal("0.5")
    with pytest.raises(
        RuleError, match=rf"rule '{name}': the engine reads '{name}' as a table of kind '\w+', not '{kind}'"
    ):
        Engine.from_plugins(pack_plugin(pack))
