"""The annual accumulator: one per person and calendar year, replayed exactly from a settlement's delta."""

from __future__ import annotations

import pytest

from medinsure import Accumulator, InvalidInput
from support import D, claim, patient, presettled


def test_accumulator_of_another_person_year_is_refused(engine):
    with pytest.raises(InvalidInput, match=r"accumulator='P2/2020': belongs to another person-year"):
        engine.settle_claim(
            patient(), claim(in_scope=1000), jurisdiction="testland", accumulator=Accumulator.empty("P2", 2020)
        )


def test_accumulators_reset_each_calendar_year(engine):
    results = engine.settle(
        patient(),
        [presettled(30000, discharged="2020-12-31"), presettled(30000, discharged="2021-01-01")],
        jurisdiction="testland",
    )
    assert [s.critical_illness for s in results] == [D(6000), D(6000)]
    assert results[1].accumulator_before.year == 2021
    assert results[1].accumulator_before.bases["critical_illness"] == D(0)


def test_a_settlement_replays_onto_the_accumulator_it_was_settled_against(engine):
    (s,) = engine.settle(patient(), [presettled(30000)], jurisdiction="testland")
    assert s.applied_to(s.accumulator_before) == s.accumulator_after
    with pytest.raises(InvalidInput, match="computed against a different accumulator state"):
        s.applied_to(s.accumulator_after)
