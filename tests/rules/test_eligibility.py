"""Eligibility: the built-in checks refuse a claim, or one benefit, with the rule and its reason."""

from __future__ import annotations

import pytest

import testplugin
from medinsure import Accumulator, EligibilityRule, Engine, PluginError, Provenance, Source, hookimpl
from support import D, claim, patient


def test_not_designated_is_refused_with_zero_funds(engine):
    p = patient()
    acc = Accumulator.empty("P1", 2020)
    s = engine.settle_claim(
        p, claim(total=5000, in_scope=4000, designated=False), jurisdiction="testland", accumulator=acc
    )
    assert not s.eligible
    assert s.fund_total == D(0)
    assert s.patient_total == D(5000)
    assert s.refusals[0].reason == "the institution is not designated"
    assert s.refusals[0].rule_id == "testland/eligibility.designated"
    assert s.accumulator_after.bases == acc.bases
    assert s.accumulator_after.in_scope == D(0)
    assert "Refused: the institution is not designated (testland/eligibility.designated;" in s.explain()


def test_referral_out_neither_counts_nor_pays_the_subsidy(engine):
    p = patient(scheme="employee")
    first, second = engine.settle(
        p,
        [
            claim(total=50000, in_scope=50000, referral="referred_out"),
            claim(total=5000, in_scope=5000, discharged="2020-07-01"),
        ],
        jurisdiction="testland",
    )
    assert first.basic_pool == D(39200)  # basic still pays: (50,000 − 1,000) × 80%
    assert first.burden_subsidy == D(0)
    assert "burden_subsidy" not in first.accumulator_after.bases
    # second: (5,000 − 1,000) × 80% = 3,200; self-pay 1,800 < 10,000
    assert second.burden_subsidy == D(0)


def test_first_enrolment_starts_the_month_after_payment(engine):
    p = patient(contributions=[{"paid_on": "2020-03-10", "from": "2020-01-01", "to": "2020-12-31"}])
    before = engine.settle(p, [claim(in_scope=2000, discharged="2020-03-31")], jurisdiction="testland")[0]
    after = engine.settle(p, [claim(in_scope=2000, discharged="2020-04-01")], jurisdiction="testland")[0]
    assert not before.eligible
    assert before.refusals[0].reason == "not insured with contributions paid up on the service date"
    assert after.eligible
    assert after.basic_pool == D(600)  # (2,000 − 1,000) × 60%
    assert "testland/coverage.start_delay_months[any claim]@2020-01-01" in after.rule_versions


def test_lapse_brings_a_six_month_waiting_period(engine):
    p = patient(
        contributions=[
            {"paid_on": "2019-12-01", "from": "2020-01-01", "to": "2020-12-31"},
            {"paid_on": "2022-02-15", "from": "2022-01-01", "to": "2022-12-31"},
        ]
    )
    gap = engine.settle(p, [claim(in_scope=2000, discharged="2021-05-01")], jurisdiction="testland")[0]
    waiting = engine.settle(p, [claim(in_scope=2000, discharged="2022-08-31")], jurisdiction="testland")[0]
    covered = engine.settle(p, [claim(in_scope=2000, discharged="2022-09-01")], jurisdiction="testland")[0]
    continuous = engine.settle(p, [claim(in_scope=2000, discharged="2020-01-01")], jurisdiction="testland")[0]
    assert (gap.eligible, waiting.eligible, covered.eligible) == (False, False, True)
    # the first enrolment was paid on 2019-12-01: covered from the first day of the next month
    assert continuous.eligible


def test_out_of_area_without_filing_is_refused(engine):
    s = engine.settle(
        patient(), [claim(in_scope=2000, location="out_of_province", filed=False)], jurisdiction="testland"
    )[0]
    assert s.refusals[0].rule_id == "testland/eligibility.filed"
    filed = engine.settle(patient(), [claim(in_scope=2000, location="out_of_province")], jurisdiction="testland")[0]
    assert filed.eligible


class CheckPlugin:
    """A child of testland whose eligibility check, written in Python, returns or raises what it is given."""

    __name__ = "checkplugin"

    def __init__(self, check):
        self.check = check

    @hookimpl
    def medinsure_register_jurisdictions(self, registry):
        registry.add_jurisdiction("checkland", "核查", parent="testland")

    @hookimpl
    def medinsure_register_rules(self, registry):
        registry.add_eligibility(
            "checkland",
            EligibilityRule(
                id="custom",
                check=self.check,
                reason="refused by the custom check",
                provenance=Provenance(Source("s", "medinsure tests"), True),
            ),
        )


def failing(ctx):
    raise KeyError("no such field")


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (lambda ctx: "no", "eligibility check 'custom' returned 'no', not True or False (claim 'K1')"),
        (lambda ctx: None, "eligibility check 'custom' returned None, not True or False (claim 'K1')"),
        (failing, "eligibility check 'custom' raised KeyError: 'no such field' (claim 'K1')"),
    ],
)
def test_an_eligibility_check_must_answer_true_or_false(check, message):
    engine = Engine.from_plugins(testplugin, CheckPlugin(check))
    with pytest.raises(PluginError) as info:
        engine.settle(patient(), [claim(id="K1", in_scope=100)], jurisdiction="checkland")
    assert str(info.value) == f"plugin 'checkplugin', jurisdiction 'checkland': {message}"


def test_an_eligibility_check_answering_false_refuses():
    engine = Engine.from_plugins(testplugin, CheckPlugin(lambda ctx: ctx.claim.in_scope < 50))
    (s,) = engine.settle(patient(), [claim(in_scope=100)], jurisdiction="checkland")
    assert [r.reason for r in s.refusals] == ["refused by the custom check"]
    assert s.fund_total == 0
