"""Hand-computed settlements through the whole pipeline, on the test-only jurisdictions.

Figures of testland (tests/data/testland.yaml): inpatient deductible tertiary 1,000,
secondary 600, other 300; resident ratio tertiary 60% in 2020 and 65% in 2021, other levels
70%, minors at tertiary 75%; employees 80%, retired 90%; pool cap resident 100,000, employee
200,000. Critical illness (residents): 20,000 threshold, 60/65/70% on 0–50,000–100,000 above
it, cap 300,000; minimum_living: 10,000 and 70%. Over-burden subsidy (employees): 10,000 and
40%. Large amount (employees): 90% of cost above the pool cap. Assistance (minimum_living
residents): 50% of the residual, cap 10,000.
"""

from __future__ import annotations

import pytest

from medinsure import InvalidInput, UnknownJurisdiction
from support import D, claim, patient, presettled


def amounts(s):
    return {k: v for k, v in s.amounts().items() if v}


def test_raw_resident_claims_accumulate_into_critical_illness(engine):
    p = patient()
    first, second = engine.settle(
        p,
        [
            claim(total=50000, in_scope=45000),
            claim(total=30000, in_scope=30000, hospital_level="secondary", discharged="2020-09-01"),
        ],
        jurisdiction="testland",
    )
    # (45,000 − 1,000) × 60% = 26,400; self-pay 18,600 < 20,000 threshold
    assert amounts(first) == {
        "deductible": D(1000),
        "basic_pool": D(26400),
        "in_scope_self_pay": D(18600),
        "fund_total": D(26400),
        "patient_total": D(23600),
    }
    # (30,000 − 600) × 70% = 20,580; self-pay 9,420; year 28,020: (28,020 − 20,000) × 60% = 4,812
    assert amounts(second) == {
        "deductible": D(600),
        "basic_pool": D(20580),
        "in_scope_self_pay": D(9420),
        "critical_illness": D(4812),
        "fund_total": D(25392),
        "patient_total": D(4608),
    }
    after = second.accumulator_after
    assert after.basic_pool == D(46980)
    assert after.bases["critical_illness"] == D(28020)
    assert after.paid["critical_illness"] == D(4812)
    assert after.admissions == 2
    assert after.in_scope == D(75000)


def test_presettled_claims_use_the_given_basic_result(engine):
    # Like domain example 1: self-pay 15,000 then 60,000 then 80,000 (threshold 20,000 here)
    p = patient()
    cs = [
        presettled(15000, 21000, discharged="2021-02-01"),
        presettled(60000, 10000, discharged="2021-05-01"),
        presettled(80000, 5000, discharged="2021-08-01"),
    ]
    results = engine.settle(p, cs, jurisdiction="testland")
    assert [s.critical_illness for s in results] == [D(0), D(33250), D(53750)]
    assert results[1].basic_pool == D(10000)
    assert results[1].in_scope_self_pay == D(60000)
    assert results[1].patient_total == D(60000) - D(33250)
    assert sum(s.critical_illness for s in results) == D(87000)


def test_employee_large_amount_above_the_pool_cap(engine):
    p = patient(scheme="employee", status="in_service")
    (s,) = engine.settle(p, [claim(total=300000, in_scope=300000, discharged="2021-03-01")], jurisdiction="testland")
    # pool: (300,000 − 1,000) × 80% = 239,200, capped at 200,000
    # over-cap cost: 299,000 − 200,000 / 80% = 49,000; large amount 90% = 44,100
    # self-pay after basic and large amount: 300,000 − 200,000 − 44,100 = 55,900
    # subsidy: (55,900 − 10,000) × 40% = 18,360
    assert amounts(s) == {
        "deductible": D(1000),
        "basic_pool": D(200000),
        "in_scope_self_pay": D(55900),
        "burden_subsidy": D(18360),
        "large_amount": D(44100),
        "fund_total": D(262460),
        "patient_total": D(37540),
    }
    assert "in-scope 300,000.00 − basic pool 200,000.00 − large-amount subsidy 44,100.00" in s.explain()
    assert s.accumulator_after.bases["large_amount"] == D(49000)


def test_retired_employee_ratio_and_outpatient_dialysis(engine):
    p = patient(scheme="employee", status="retired")
    (s,) = engine.settle(p, [claim(kind="outpatient_dialysis", total=5000, in_scope=5000)], jurisdiction="testland")
    # outpatient deductible 0; 5,000 × 90% = 4,500
    assert s.deductible == D(0)
    assert s.basic_pool == D(4500)
    assert s.accumulator_after.bases["burden_subsidy"] == D(500)
    assert s.accumulator_after.admissions == 0


def test_minor_gets_the_minor_ratio(engine):
    p = patient(birth_date="2010-06-01")
    (s,) = engine.settle(p, [claim(total=11000, in_scope=11000, discharged="2020-03-01")], jurisdiction="testland")
    assert s.basic_pool == D(7500)  # (11,000 − 1,000) × 75%
    assert "testland/basic.ratio[resident minors tertiary]@2020-01-01" in s.rule_versions


def test_poor_resident_gets_special_schedule_and_medical_assistance(engine):
    p = patient(categories=["minimum_living"])
    (s,) = engine.settle(p, [claim(total=40000, in_scope=40000)], jurisdiction="testland")
    # pool (40,000 − 1,000) × 60% = 23,400; self-pay 16,600; CI (16,600 − 10,000) × 70% = 4,620
    # residual 16,600 − 4,620 = 11,980; assistance 50% = 5,990
    assert amounts(s) == {
        "deductible": D(1000),
        "basic_pool": D(23400),
        "in_scope_self_pay": D(16600),
        "critical_illness": D(4620),
        "medical_assistance": D(5990),
        "fund_total": D(34010),
        "patient_total": D(5990),
    }


def test_combined_cap_cuts_critical_illness_across_claims(engine):
    p = patient()
    first, second = engine.settle(
        p,
        [
            claim(total=300000, in_scope=300000, discharged="2021-01-10"),
            claim(total=10000, in_scope=10000, discharged="2021-02-10"),
        ],
        jurisdiction="testcity",
    )
    # testcity: pool cap 150,000; CI absolute from 10,000: 60/70/80%; pool + CI ≤ 80% of in-scope
    # pool min((300,000 − 1,000) × 65%, 150,000) = 150,000; self-pay 150,000
    # CI 40,000×60% + 50,000×70% + 50,000×80% = 99,000; limit 240,000 → cut 9,000
    assert first.basic_pool == D(150000)
    assert first.critical_illness == D(90000)
    assert first.fund_total == D(240000)
    # pool 0 (cap used); CI F(160,000) = 107,000, paid 90,000 → due 17,000, owed 10,000
    # limit 80% × 310,000 = 248,000 − 240,000 → 8,000
    assert second.basic_pool == D(0)
    assert second.critical_illness == D(8000)
    assert second.patient_total == D(2000)
    assert any("eighty" in line.text for line in second.lines)


def test_child_inherits_parent_rules(engine):
    rules = engine.rules("testcity")
    assert rules.table("basic.ratio")[0] == "testland"
    assert rules.table("basic.pool_cap")[0] == "testcity"
    assert dict(rules.benefits)  # non-empty
    owners = {b.key: owner for owner, b in rules.benefits}
    assert owners["critical_illness"] == "testcity"
    assert owners["burden_subsidy"] == "testland"


def test_unknown_jurisdiction(engine):
    with pytest.raises(
        UnknownJurisdiction, match=r"jurisdiction='nowhere': unknown jurisdiction \(installed: testcity, testland\)"
    ):
        engine.settle(patient(), [claim(in_scope=1000)], jurisdiction="nowhere")


def test_unknown_category_is_invalid_input(engine):
    with pytest.raises(InvalidInput, match=r"patient.categories='minimum_livng': unknown term"):
        engine.settle(patient(categories=["minimum_livng"]), [claim(in_scope=1000)], jurisdiction="testland")


def test_raw_claim_without_hospital_level_is_invalid(engine):
    with pytest.raises(InvalidInput, match=r"claim.hospital_level=None: required to settle basic insurance"):
        engine.settle(patient(), [claim(in_scope=1000, hospital_level=None)], jurisdiction="testland")


def test_duplicate_claim_ids_in_one_call(engine):
    c = claim(in_scope=1000)
    with pytest.raises(InvalidInput, match=r"claims\[1\].id='C\d+': claim id given twice"):
        engine.settle(patient(), [c, c], jurisdiction="testland")


def test_overrides_replace_a_table_and_are_reported(engine):
    from medinsure import ParameterTable, Provenance, Row, Schedule, Source, Tier, Version
    from medinsure.rules.tables import Match

    src = Source("reform", "what-if: threshold 15,000")
    table = ParameterTable(
        "critical_illness.schedule",
        "schedule",
        (
            Row(
                Match(),
                (
                    Version(
                        Schedule(D(15000), (Tier(D(0), None, D("0.6")),)),
                        __import__("datetime").date(2020, 1, 1),
                        Provenance(src, False, "a reform"),
                    ),
                ),
            ),
        ),
    )
    reformed = engine.with_overrides("testland", table)
    (s,) = reformed.settle(patient(), [presettled(20000)], jurisdiction="testland")
    assert s.critical_illness == D(3000)  # (20,000 − 15,000) × 60%
    assert s.overrides == ("critical_illness.schedule",)
    (base,) = engine.settle(patient(), [presettled(20000)], jurisdiction="testland")
    assert base.critical_illness == D(0)


def test_hospital_level_is_needed_only_where_a_ratio_depends_on_it(engine):
    # testland's ratio rows for employees do not look at the level: no level needed
    p = patient(scheme="employee")
    (s,) = engine.settle(p, [claim(kind="outpatient", in_scope=1000, hospital_level=None)], jurisdiction="testland")
    assert s.basic_pool == D(800)
    with pytest.raises(InvalidInput, match=r"claim.hospital_level=None: required to settle basic insurance"):
        engine.settle(patient(), [claim(in_scope=1000, hospital_level=None)], jurisdiction="testland")


def test_service_years_select_rows():
    from medinsure import Match, Patient

    m = Match(service_years_min=15, service_years_max=21)
    c = claim(in_scope=1)
    assert m.matches(Patient(id="P", scheme="employee", service_years=15), c)
    assert not m.matches(Patient(id="P", scheme="employee", service_years=22), c)
    assert not m.matches(Patient(id="P", scheme="employee"), c)
    with pytest.raises(InvalidInput, match=r"patient.service_years=-1"):
        Patient(id="P", scheme="employee", service_years=-1)


def test_an_engine_without_lines_gives_the_same_settlements(engine):
    claims = [claim(id="A", total=60000, in_scope=40000), claim(id="B", total=90000, in_scope=80000)]
    full = engine.settle(patient(), claims, jurisdiction="testland")
    fast = engine.without_lines().settle(patient(), claims, jurisdiction="testland")
    assert engine.lines
    assert all(s.lines for s in full)
    assert all(not s.lines for s in fast)
    for a, b in zip(full, fast, strict=True):
        assert a.components == b.components
        assert a.rule_versions == b.rule_versions
        assert a.accumulator_after == b.accumulator_after
    # A: (40,000 − 1,000) × 60% = 23,400 from the pool
    assert fast[0].basic_pool == full[0].basic_pool == D("23400.00")
