"""Claims settled in order with one accumulator per person and year: the loop every caller uses."""

from __future__ import annotations

from medinsure import Accumulator
from medinsure.settlement.years import PersonYears
from support import D, patient, presettled


def test_each_person_year_accumulates_on_its_own(engine):
    years = PersonYears(engine)
    p1, p2 = patient(id="P1"), patient(id="P2")
    # critical illness above 20,000 of the year's self-pay, 60% (tests/data/testland.yaml)
    assert years.settle(p1, presettled(15000), jurisdiction="testland").critical_illness == 0
    assert years.settle(p2, presettled(15000), jurisdiction="testland").critical_illness == 0
    assert years.settle(p1, presettled(10000), jurisdiction="testland").critical_illness == D(3000)
    next_year = presettled(10000, discharged="2021-02-01")
    assert years.settle(p1, next_year, jurisdiction="testland").critical_illness == 0
    assert years.accumulator("P1", 2020).bases["critical_illness"] == D(25000)
    assert years.accumulator("P2", 2020).bases["critical_illness"] == D(15000)
    assert years.accumulator("P3", 2020) == Accumulator.empty("P3", 2020)


def test_a_person_year_starts_where_it_is_told(engine):
    before = engine.settle(patient(), [presettled(18000)], jurisdiction="testland")[-1].accumulator_after
    years = PersonYears(engine, lambda person, year: before if (person, year) == ("P1", 2020) else None)
    assert years.settle(patient(), presettled(7000), jurisdiction="testland").critical_illness == D(3000)
    assert years.settle(patient(id="P2"), presettled(7000), jurisdiction="testland").critical_illness == 0
