"""Dated tables: the version in force, values carried forward past their source, claims before the first value."""

from __future__ import annotations

import pytest

from medinsure import RuleNotInForce
from support import D, claim, patient


def test_value_carried_forward_past_its_source_is_flagged(engine):
    (s,) = engine.settle(patient(), [claim(in_scope=11000, discharged="2023-05-01")], jurisdiction="testland")
    assert s.basic_pool == D(6500)  # (11,000 − 1,000) × 65%, the 2021 value
    assert s.carried_forward == ("testland/basic.ratio[scheme=resident, hospital_level=tertiary]@2021-01-01",)
    assert "carried forward past its source's last date 2021-12-31: unverified for this claim" in s.explain()


def test_claim_before_the_first_value_is_refused_with_a_clear_error(engine):
    with pytest.raises(
        RuleNotInForce, match=r"no version in force on 2019-12-31: the first known value starts 2020-01-01"
    ):
        engine.settle(patient(), [claim(in_scope=1000, discharged="2019-12-31")], jurisdiction="testland")
