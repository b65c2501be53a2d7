"""Trust: each line's trust, the summary, strict mode, and strict mode with the plan cache."""

from __future__ import annotations

import pandas as pd
import pytest

import testplugin
from medinsure import Engine
from medinsure.errors import InvalidInput, StrictRefusal
from medinsure.testing import assert_same_as_scalar
from support import D, claim, patient

# testland's ratio for residents at tertiary hospitals: 60% verified for 2020 (to 2020-12-31),
# 65% unverified for 2021 (to 2021-12-31), carried forward after it.
RATIO_2021 = "testland/basic.ratio[scheme=resident, hospital_level=tertiary]@2021-01-01"


def tertiary(day: str) -> object:
    return claim(in_scope=11000, discharged=day)


def test_a_raw_claim_counts_its_lines_by_the_trust_of_their_rules(engine):
    s = engine.settle(patient(), [tertiary("2020-05-01")], jurisdiction="testland")[0]
    assert [(line.component, line.trust) for line in s.lines] == [
        ("deductible", "verified"),  # testland/basic.deductible, verified
        ("basic_pool", "verified"),  # the 2020 ratio and the cap, verified and within their dates
        ("in_scope_self_pay", "none"),
        ("critical_illness", "verified"),
    ]
    assert s.trust.to_dict() == {
        "lines": 4,
        "verified": 3,
        "unverified": 0,
        "carried_forward": 0,
        "without_rule": 1,
        "refused_by_unverified": 0,
    }
    assert s.trust.verified_only


def test_a_carried_forward_value_is_unverified_for_the_claim(engine):
    s = engine.settle(patient(), [tertiary("2023-05-01")], jurisdiction="testland")[0]
    assert s.basic_pool == D(6500)  # (11,000 − 1,000) × 65%, the 2021 value
    pool = next(line for line in s.lines if line.component == "basic_pool")
    assert pool.trust == "carried_forward"
    ref = next(r for r in pool.rules if r.version_id == RATIO_2021)
    assert (ref.carried_forward, ref.until, ref.verified) == (True, "2021-12-31", False)
    data = s.to_dict()
    assert data["trust"]["carried_forward"] == 1
    assert data["trust"]["unverified"] == 1
    rule = next(r for line in data["lines"] for r in line["rules"] if r["rule"] + "@" + r["version"] == RATIO_2021)
    assert (rule["verified"], rule["source_verified"], rule["until"]) == (False, False, "2021-12-31")


def test_strict_refuses_an_unverified_value_with_one_line_naming_it(engine):
    strict = engine.with_strict(True)
    with pytest.raises(StrictRefusal) as info:
        strict.settle(patient(), [tertiary("2021-05-01")], jurisdiction="testland")
    assert str(info.value) == (
        f"jurisdiction 'testland', rule '{RATIO_2021}': value '65%' is not verified against its source"
        " (a second version to test dates); strict mode refuses it"
    )
    # verified values within their dates settle
    assert strict.settle(patient(), [tertiary("2020-05-01")], jurisdiction="testland")[0].basic_pool == D(6000)


def test_strict_carried_forward_refuses_only_carried_forward_values(engine):
    strict = engine.with_strict("carried-forward")
    s = strict.settle(patient(), [tertiary("2021-05-01")], jurisdiction="testland")[0]
    assert s.basic_pool == D(6500)  # unverified but within its dates: settled
    with pytest.raises(StrictRefusal, match=r"is carried forward past 2021-12-31, the last date its source speaks"):
        strict.settle(patient(), [tertiary("2022-01-01")], jurisdiction="testland")


def test_the_plan_cache_keeps_the_carried_forward_flag_and_the_strict_mode(engine):
    strict = engine.with_strict("carried-forward")
    # alike claims on both sides of the last date the source speaks for: different plans
    assert strict.settle_claim(patient(), tertiary("2021-12-31"), jurisdiction="testland").basic_pool == D(6500)
    with pytest.raises(StrictRefusal):
        strict.settle_claim(patient(), tertiary("2022-01-01"), jurisdiction="testland")
    # the cached plan of a claim already refused is refused again
    with pytest.raises(StrictRefusal):
        strict.plan(patient(), tertiary("2022-06-01"), jurisdiction="testland")
    # a plan the lenient engine cached does not make its strict copy lenient
    lenient = Engine.from_plugins(testplugin)
    assert lenient.settle_claim(patient(), tertiary("2022-02-01"), jurisdiction="testland").carried_forward
    with pytest.raises(StrictRefusal):
        lenient.with_strict("carried-forward").settle_claim(patient(), tertiary("2022-02-01"), jurisdiction="testland")


def test_every_way_to_build_an_engine_takes_the_strict_mode(engine):
    assert Engine.from_plugins(testplugin, strict=True).strict == "unverified"
    assert Engine.from_plugins(testplugin, strict="carried-forward").strict == "carried-forward"
    assert Engine.from_installed(allow=[], strict=True).strict == "unverified"
    strict = engine.with_strict("carried-forward")
    cap = strict.rules("testland").find_table("basic.pool_cap")
    assert strict.with_overrides("testland", cap).strict == "carried-forward"
    assert strict.with_strict(False).strict is None
    with pytest.raises(InvalidInput, match="strict='always'"):
        Engine.from_plugins(testplugin, strict="always")


def test_a_refusal_by_an_unverified_eligibility_rule_is_refused_in_strict_mode():
    import attrs

    base = Engine.from_plugins(testplugin)
    rules = base.rules("testland")
    eligibility = tuple(
        (o, attrs.evolve(r, provenance=attrs.evolve(r.provenance, verified=False, note="a reading")))
        if r.id == "designated"
        else (o, r)
        for o, r in rules.eligibility
    )
    engine = Engine(base.registry, overrides={"testland": attrs.evolve(rules, eligibility=eligibility)})
    refused = claim(in_scope=5000, designated=False)
    s = engine.settle_claim(patient(), refused, jurisdiction="testland")
    assert s.trust.refused_by_unverified == 1
    assert (
        engine.with_strict("carried-forward").settle_claim(patient(), refused, jurisdiction="testland").fund_total == 0
    )
    with pytest.raises(StrictRefusal, match=r"rule 'testland/eligibility\.designated'.*comes from an eligibility rule"):
        engine.with_strict(True).settle_claim(patient(), refused, jurisdiction="testland")


def test_the_batch_path_refuses_what_the_strict_engine_refuses(engine):
    rows = [
        {
            "jurisdiction": "testland",
            "patient_id": "P1",
            "scheme": "resident",
            "claim_id": f"C{i}",
            "kind": "inpatient",
            "discharged": day,
            "hospital_level": "tertiary",
            "total": "11000",
            "in_scope": "11000",
        }
        for i, day in enumerate(["2020-03-01", "2020-09-01", "2022-03-01"])
    ]
    strict = engine.with_strict("carried-forward")
    assert assert_same_as_scalar(strict, pd.DataFrame(rows)) is None  # both refuse the 2022 row
    settled = assert_same_as_scalar(strict, pd.DataFrame(rows[:2]))
    assert settled is not None
    assert list(settled["basic_pool_fen"]) == [600000, 600000]  # (11,000 − 1,000) × 60%, in fen
