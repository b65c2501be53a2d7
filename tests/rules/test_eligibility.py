"""Eligibility: the built-in checks refuse a claim, or one benefit, with the rule and its reason."""

from __future__ import annotations

import datetime as dt

import pytest

import testplugin
from medinsure import Accumulator, Engine, PluginError
from support import CheckPlugin, D, claim, patient


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


def monthly(year: int, months: range, day: int = 20) -> list[dict[str, str]]:
    """Monthly contribution records, each paid on ``day`` of the month it pays for."""
    out = []
    for m in months:
        last = (dt.date(year + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)).day
        out.append(
            {
                "paid_on": f"{year}-{m:02d}-{day:02d}",
                "from": f"{year}-{m:02d}-01",
                "to": f"{year}-{m:02d}-{last:02d}",
            }
        )
    return out


def settle_on(engine, p, day: str, **kw) -> object:
    return engine.settle(p, [claim(in_scope=2000, discharged=day, **kw)], jurisdiction="testland")[0]


def test_an_employee_paying_each_month_within_that_month_is_covered(engine):
    p = patient(scheme="employee", contributions=monthly(2020, range(1, 7)))
    before = settle_on(engine, p, "2020-01-31")  # first enrolment, paid 2020-01-20: from 2020-02-01
    march = settle_on(engine, p, "2020-03-05")  # March's contribution is paid on the 20th, within March
    june = settle_on(engine, p, "2020-06-30")
    july = settle_on(engine, p, "2020-07-01")  # nothing paid for July: not covered
    assert (before.eligible, march.eligible, june.eligible, july.eligible) == (False, True, True, False)
    assert march.basic_pool == D(800)  # (2,000 − 1,000) × 80%
    assert "testland/coverage.lapse_waiting_months[any claim]@2020-01-01" not in march.rule_versions


def test_a_repayment_after_a_six_month_lapse_waits_six_months_from_the_payment(engine):
    # paid January to June 2020, nothing from July to December, paid again from January 2021
    p = patient(scheme="employee", contributions=monthly(2020, range(1, 7)) + monthly(2021, range(1, 13), day=15))
    gap = settle_on(engine, p, "2020-09-01")
    waiting = settle_on(engine, p, "2021-07-14")  # paid again 2021-01-15: observed to 2021-07-14
    covered = settle_on(engine, p, "2021-07-15")
    assert (gap.eligible, waiting.eligible, covered.eligible) == (False, False, True)
    assert covered.basic_pool == D(800)  # (2,000 − 1,000) × 80%
    # six months from the payment, not the month's start delay and six months more (2021-08-01)
    assert "testland/coverage.lapse_waiting_months[any claim]@2020-01-01" in waiting.rule_versions


def test_a_month_paid_only_after_it_ended_is_an_interruption(engine):
    p = patient(
        scheme="employee",
        contributions=[
            {"paid_on": "2019-12-20", "from": "2020-01-01", "to": "2020-01-31"},
            {"paid_on": "2020-03-10", "from": "2020-02-01", "to": "2020-02-29"},  # in arrears
            *monthly(2020, range(3, 13), day=5),
        ],
    )
    assert settle_on(engine, p, "2020-01-15").eligible
    assert not settle_on(engine, p, "2020-04-01").eligible  # observed from 2020-03-10 to 2020-09-09
    assert settle_on(engine, p, "2020-09-10").eligible


def test_a_resident_is_covered_by_policy_year(engine):
    season = patient(contributions=[{"paid_on": "2020-11-20", "from": "2021-01-01", "to": "2021-12-31"}])
    assert settle_on(engine, season, "2021-01-01").eligible  # paid in last year's season: all of 2021
    # first enrolment in the middle of the year: covered from the month after paying
    newcomer = patient(contributions=[{"paid_on": "2020-06-10", "from": "2020-01-01", "to": "2020-12-31"}])
    assert not settle_on(engine, newcomer, "2020-06-30").eligible
    first = settle_on(engine, newcomer, "2020-07-01")
    assert first.basic_pool == D(600)  # (2,000 − 1,000) × 60%


def test_a_resident_paying_mid_year_is_covered_from_the_next_policy_year(engine):
    p = patient(
        contributions=[
            {"paid_on": "2019-11-20", "from": "2020-01-01", "to": "2020-12-31"},
            {"paid_on": "2021-06-10", "from": "2021-01-01", "to": "2021-12-31"},  # paid mid-year
            {"paid_on": "2021-11-15", "from": "2022-01-01", "to": "2022-12-31"},
        ]
    )
    assert settle_on(engine, p, "2020-12-31").eligible
    assert not settle_on(engine, p, "2021-06-11").eligible  # 今年缴纳的医保则覆盖明年的医疗费用
    assert not settle_on(engine, p, "2021-12-31").eligible
    next_year = settle_on(engine, p, "2022-01-03")
    assert next_year.basic_pool == D(650)  # (2,000 − 1,000) × 65%, the 2021 value carried forward


def test_an_admission_spanning_a_lapse_is_judged_on_its_admission_date(engine):
    p = patient(scheme="employee", contributions=monthly(2020, range(1, 7)) + monthly(2021, range(1, 13), day=15))
    # admitted while covered (June 2020), discharged after coverage lapsed (July 2020): covered whole
    spanning = settle_on(engine, p, "2020-07-10", admitted="2020-06-25")
    assert spanning.eligible
    assert spanning.basic_pool == D(800)  # (2,000 − 1,000) × 80%
    # admitted in the observation period, discharged after it: refused whole
    observed = settle_on(engine, p, "2021-07-20", admitted="2021-07-10")
    assert not observed.eligible
    assert observed.fund_total == D(0)


def test_without_an_admission_date_coverage_is_judged_on_the_service_date(engine):
    p = patient(scheme="employee", contributions=monthly(2020, range(1, 7)))
    assert not settle_on(engine, p, "2020-07-10", kind="outpatient", hospital_level=None).eligible


def test_out_of_area_without_filing_is_refused(engine):
    s = engine.settle(
        patient(), [claim(in_scope=2000, location="out_of_province", filed=False)], jurisdiction="testland"
    )[0]
    assert s.refusals[0].rule_id == "testland/eligibility.filed"
    filed = engine.settle(patient(), [claim(in_scope=2000, location="out_of_province")], jurisdiction="testland")[0]
    assert filed.eligible


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
