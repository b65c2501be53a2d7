"""Rule packs: a valid pack loads; every bad value is one error naming plugin, jurisdiction, rule, value, file and line."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest

import testplugin
from medinsure import Engine, RuleError
from medinsure.io.data import read_data_file
from support import child_pack, pack_plugin

PACK = read_data_file(Path(testplugin.DATA) / "testland.yaml")


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


def test_a_child_removes_inherited_rules_with_null():
    from support import claim, patient

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
