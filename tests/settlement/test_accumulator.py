"""The annual accumulator: one per person and calendar year, replayed exactly from a settlement's delta."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medinsure import Accumulator, InvalidInput
from medinsure.settlement.accumulator import Amounts
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


def test_an_accumulator_reads_back_what_it_writes(engine):
    (s,) = engine.settle(patient(), [presettled(30000)], jurisdiction="testland")
    after = s.accumulator_after
    assert Accumulator.from_mapping(after.to_dict()) == after
    # only the person and the year are needed; what is missing is zero
    assert Accumulator.from_mapping({"person_id": "P1", "year": "2020"}) == Accumulator.empty("P1", 2020)
    with_stay = Accumulator(person_id="P1", year=2020, open_stays=(("MDT-1", D(1000)),))
    assert with_stay.to_dict()["open_stays"] == {"MDT-1": "1000.00"}
    assert Accumulator.from_mapping(with_stay.to_dict()) == with_stay


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": 2020}, r"acc\.person_id=None: required"),
        ({"person_id": "P1", "year": True}, r"acc\.year=True: expected a whole number \(1 to 9999\)"),
        ({"person_id": "P1", "year": 2020, "claims": -1}, r"acc\.claims=-1: expected a whole number \(at least 0\)"),
        ({"person_id": "P1", "year": 2020, "in_scope": 1.5}, r"acc\.in_scope=1\.5: float is not accepted"),
        ({"person_id": "P1", "year": 2020, "paid": {"Big": 1}}, r"acc\.paid='Big': a name is lower-case"),
        ({"person_id": "P1", "year": 2020, "components": {"tips": 1}}, r"acc\.components\.tips=1: unknown component"),
        ({"person_id": "P1", "year": 2020, "bases": {"critical_illness": "-5"}}, r"must not be negative"),
        ({"person_id": "P1", "year": 2020, "colour": "red"}, r"acc\.colour='red': unknown key"),
        (["P1", 2020], r"acc=\['P1', 2020\]: expected a mapping"),
        ({"person_id": "P1", "year": 2020, "open_stays": {"MDT-1": "x"}}, r"acc\.open_stays\.MDT-1='x': not a number"),
    ],
)
def test_a_bad_accumulator_names_the_field_and_value(data, message):
    with pytest.raises(InvalidInput, match=message):
        Accumulator.from_mapping(data, owner="acc")


def test_settling_from_a_given_accumulator_continues_the_year(engine):
    # self-pay 15,000 then 25,000 in one call, or the second from the first's accumulator as data:
    # base 15,000 → 40,000; F(40,000) = 20,000 × 60% = 12,000
    first, second = engine.settle(patient(), [presettled(15000), presettled(25000)], jurisdiction="testland")
    given = Accumulator.from_mapping(first.accumulator_after.to_dict())
    (again,) = engine.settle(patient(), [presettled(25000)], jurisdiction="testland", accumulator=given)
    assert again.critical_illness == second.critical_illness == D(12000)


@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "critical", "subsidy", "zz"]),
        st.integers(-(10**6), 10**6).map(lambda fen: D(fen) / 100),
    )
)
def test_amounts_read_as_the_mapping_they_were_made_from(given_amounts):
    amounts = Amounts(given_amounts)
    kept = {k: v for k, v in given_amounts.items() if v}
    assert dict(amounts) == kept
    assert list(amounts.items()) == sorted(kept.items())
    assert list(amounts.values()) == [v for _, v in sorted(kept.items())]
    assert amounts.items() == kept.items()  # a set of pairs, as a dict's items are
    assert len(amounts.items()) == len(amounts.values()) == len(kept)
    for key, value in kept.items():
        assert (key, value) in amounts.items()
        assert (key, value + 1) not in amounts.items()
        assert value in amounts.values()
