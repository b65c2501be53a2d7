"""A claim's plan: the rule versions that apply to it, found from the claim and the patient alone."""

from __future__ import annotations

from decimal import Decimal

import pytest

from medinsure import RuleNotInForce
from support import claim, patient, presettled


def test_a_resident_inpatient_plan_holds_the_basic_rules_and_the_benefits_by_stage(engine):
    plan = engine.plan(patient(), claim(in_scope=40000), jurisdiction="testland")
    assert plan.refusals == ()
    assert plan.basic_note == "computed"
    assert plan.basic is not None
    assert (plan.basic.deductible.value, plan.basic.ratio.value, plan.basic.cap.value) == (
        Decimal(1000),
        Decimal("0.60"),
        Decimal(100000),
    )
    # stages in order: above the pool cap, the self-pay, the residual
    assert [item.benefit.key for item in plan.benefits] == [
        "large_amount",
        "critical_illness",
        "burden_subsidy",
        "assistance",
    ]
    # a resident: the employees' benefits do not apply; assistance has no row for a non-poor resident
    applies = {item.benefit.key: (item.applies, item.pays) for item in plan.benefits}
    assert applies == {
        "large_amount": (False, False),
        "critical_illness": (True, True),
        "burden_subsidy": (False, False),
        "assistance": (True, False),
    }
    assert plan.benefits[1].schedule.row == "general"


def test_a_given_basic_settlement_needs_no_basic_rules(engine):
    plan = engine.plan(patient(), presettled(30000), jurisdiction="testland")
    assert (plan.basic, plan.basic_note) == (None, "given")


def test_a_refusal_of_the_whole_claim_leaves_nothing_to_pay(engine):
    plan = engine.plan(patient(), claim(in_scope=4000, designated=False), jurisdiction="testland")
    assert plan.refused_all
    assert plan.refusal("basic").rule_id == "testland/eligibility.designated"
    assert plan.basic is None
    assert not any(item.applies for item in plan.benefits)
    assert all(cap.rate is None for cap in plan.caps)


def test_a_refusal_of_one_benefit_names_it(engine):
    employee = patient(scheme="employee")
    plan = engine.plan(employee, claim(in_scope=40000, referral="referred_out"), jurisdiction="testland")
    burden = next(item for item in plan.benefits if item.benefit.key == "burden_subsidy")
    assert burden.applies
    assert not burden.pays
    assert burden.refusal.rule_id == "testland/eligibility.referral"


def test_the_tables_the_eligibility_checks_read_are_in_the_plan(engine):
    # a first enrolment reads the start delay only
    with_history = patient(contributions=[{"paid_on": "2020-01-10", "from": "2020-02-01", "to": "2020-12-31"}])
    plan = engine.plan(with_history, claim(in_scope=1000), jurisdiction="testland")
    assert [found.table for found in plan.looked_up] == ["coverage.start_delay_months"]
    # a record after a gap reads the waiting period too
    lapsed = patient(
        scheme="employee",
        contributions=[
            {"paid_on": "2020-01-10", "from": "2020-02-01", "to": "2020-02-29"},
            {"paid_on": "2020-04-10", "from": "2020-04-01", "to": "2020-12-31"},
        ],
    )
    plan = engine.plan(lapsed, claim(in_scope=1000), jurisdiction="testland")
    assert [found.table for found in plan.looked_up] == [
        "coverage.start_delay_months",
        "coverage.lapse_waiting_months",
    ]


def test_making_a_plan_raises_what_settling_would_raise(engine):
    early = claim(in_scope=1000, discharged="2019-12-31")
    with pytest.raises(RuleNotInForce) as planned:
        engine.plan(patient(), early, jurisdiction="testland")
    with pytest.raises(RuleNotInForce) as settled:
        engine.settle_claim(patient(), early, jurisdiction="testland")
    assert str(planned.value) == str(settled.value)


def test_claims_alike_in_what_the_rules_read_share_a_plan_and_others_do_not(engine):
    fresh = type(engine)(engine.registry)
    first = fresh.plan(patient(), claim(in_scope=40000, discharged="2020-03-01"), jurisdiction="testland")
    # another person, other amounts, another day of the same version: the same plan
    again = fresh.plan(patient(id="P9"), claim(in_scope=9, discharged="2020-11-30"), jurisdiction="testland")
    assert again is first
    # the tertiary ratio's 2020 version ends on 2020-12-31: 2021 has another, 2022 carries 2021's forward
    in_2021 = fresh.plan(patient(), claim(in_scope=1, discharged="2021-06-01"), jurisdiction="testland")
    in_2022 = fresh.plan(patient(), claim(in_scope=1, discharged="2022-06-01"), jurisdiction="testland")
    assert (first.basic.ratio.value, in_2021.basic.ratio.value) == (Decimal("0.60"), Decimal("0.65"))
    assert (in_2021.basic.ratio.carried_forward, in_2022.basic.ratio.carried_forward) == (False, True)
    # a level, an age, a basic settlement given: each another plan
    assert fresh.plan(patient(), claim(in_scope=1, hospital_level="secondary"), jurisdiction="testland") is not first
    minor = patient(birth_date="2010-01-01")
    assert fresh.plan(minor, claim(in_scope=1), jurisdiction="testland").basic.ratio.value == Decimal("0.75")
    assert fresh.plan(patient(), presettled(100), jurisdiction="testland").basic_note == "given"
    # a contribution history is read by the eligibility check: never shared
    paying = patient(contributions=[{"paid_on": "2019-12-01", "from": "2020-01-01", "to": "2020-12-31"}])
    one = fresh.plan(paying, claim(in_scope=1), jurisdiction="testland")
    assert fresh.plan(paying, claim(in_scope=1), jurisdiction="testland") is not one
