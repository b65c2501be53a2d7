"""The settlement's arithmetic in integer fen: hand-computed values, one claim equal to many at once,
and agreement with the same arithmetic done in Decimal yuan."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medinsure import Schedule, Tier
from medinsure.settlement import formulas
from medinsure.settlement.formulas import Tiers
from support import decimal_annual

FEN = Decimal("0.01")
DALIAN = Schedule(  # Dalian's residents' critical illness in 2021 (seed 000)
    threshold=Decimal(20000),
    tiers=(
        Tier(Decimal(0), Decimal(50000), Decimal("0.60")),
        Tier(Decimal(50000), Decimal(100000), Decimal("0.65")),
        Tier(Decimal(100000), None, Decimal("0.70")),
    ),
)
LIAONING = Schedule(  # the province's tiers, measured on the annual total (seed 003)
    threshold=Decimal(10000),
    basis="absolute",
    tiers=(
        Tier(Decimal(10000), Decimal(50000), Decimal("0.60")),
        Tier(Decimal(50000), Decimal(100000), Decimal("0.70")),
        Tier(Decimal(100000), None, Decimal("0.80")),
    ),
    cap=Decimal(400000),
)


def fen(yuan: int | str) -> int:
    return int(Decimal(str(yuan)) * 100)


# -- hand-computed ---------------------------------------------------------------------------------


def test_rates_are_exact_fractions():
    assert formulas.rate_parts(Decimal("0.65")) == (65, 2)
    assert formulas.rate_parts(Decimal("0.600")) == (6, 1)
    assert formulas.rate_parts(Decimal("1")) == (1, 0)
    assert formulas.rate_parts(Decimal("0")) == (0, 0)
    assert formulas.rate_parts(Decimal("0.1234567")) == (1234567, 7)


def test_half_up_to_the_fen():
    assert formulas.at_rate(5, 1, 1) == 1  # 0.5 fen → 1 fen
    assert formulas.at_rate(4, 1, 1) == 0  # 0.4 fen → 0
    assert formulas.at_rate(fen("33333.33"), 6, 1) == fen("20000.00")  # 19,999.998 → 20,000.00


def test_basic_insurance_of_one_claim():
    # (40,000 − 1,000) × 60% = 23,400, within a cap of 100,000 of which 90,000 were paid: 10,000
    deductible = formulas.deductible_applied(fen(40000), fen(1000))
    share = formulas.pool_share(fen(40000), deductible, 60, 2)
    assert share == fen(23400)
    pool = formulas.within_cap(share, fen(100000), fen(90000))
    assert pool == fen(10000)
    # the pool paid on 10,000 ÷ 60% = 16,666.67 of the 39,000 above the deductible: 22,333.33 above the cap
    assert formulas.above_cap(fen(39000), pool, share, 60, 2) == fen("22333.33")
    assert formulas.above_cap(fen(39000), share, share, 60, 2) == 0  # the cap did not bind
    assert formulas.deductible_applied(fen(500), fen(1000)) == fen(500)  # at most the in-scope cost


def test_the_annual_function_of_the_domain_examples():
    dalian = Tiers.of(DALIAN)
    # worked example 1: 15,000 then 60,000 then 80,000 of self-pay in 2021
    assert [formulas.annual(dalian, fen(x)) for x in (15000, 75000, 155000)] == [0, fen(33250), fen(87000)]
    # worked example 3: 120,000 in Liaoning → 40,000 × 60% + 50,000 × 70% + 20,000 × 80% = 75,000
    assert formulas.annual(Tiers.of(LIAONING), fen(120000)) == fen(75000)
    assert formulas.annual(Tiers.of(LIAONING), fen(10_000_000)) == fen(400000)  # the annual cap
    assert formulas.benefit_payment(fen(33250), 0, fen(10000)) == fen(10000)  # at most what is owed


def test_a_combined_cap_limit():
    assert formulas.combined_limit(fen(300000), 95, 2) == fen(285000)


# -- one claim and many claims give the same amounts --------------------------------------------------

amounts = st.integers(0, 10**11)
rates = st.integers(0, 10**6).map(lambda n: (n, 6))


@settings(max_examples=300)
@given(st.lists(st.tuples(amounts, amounts, amounts, rates), min_size=1, max_size=30))
def test_every_formula_gives_each_claim_what_it_gives_the_claim_alone(rows):
    in_scope = np.array([r[0] for r in rows], dtype=np.int64)
    deductible = np.array([r[1] for r in rows], dtype=np.int64)
    cap = np.array([r[2] for r in rows], dtype=np.int64)
    n = np.array([r[3][0] for r in rows], dtype=np.int64)
    ded = formulas.deductible_applied(in_scope, deductible)
    share = formulas.pool_share(in_scope, ded, n, 6)
    pool = formulas.within_cap(share, cap, cap // 3)
    over = formulas.above_cap(in_scope - ded, pool, share, n, 6)
    for i, (s, d, c, (rate, k)) in enumerate(rows):
        one_ded = formulas.deductible_applied(s, d)
        one_share = formulas.pool_share(s, one_ded, rate, k)
        one_pool = formulas.within_cap(one_share, c, c // 3)
        assert (int(ded[i]), int(share[i]), int(pool[i])) == (one_ded, one_share, one_pool)
        assert int(over[i]) == formulas.above_cap(s - one_ded, one_pool, one_share, rate, k)


@settings(max_examples=300)
@given(st.lists(st.integers(0, 10**11), min_size=1, max_size=30), st.sampled_from([DALIAN, LIAONING]))
def test_the_annual_function_of_many_bases_is_that_of_each(bases, schedule):
    tiers = Tiers.of(schedule)
    many = formulas.annual(tiers, np.array(bases, dtype=np.int64))
    assert [int(v) for v in many] == [formulas.annual(tiers, b) for b in bases]


# -- the same arithmetic in Decimal yuan --------------------------------------------------------------


@settings(max_examples=300)
@given(st.integers(0, 10**11), st.integers(0, 10**7), st.integers(0, 10**11), st.integers(0, 10**11))
def test_integer_fen_equal_decimal_yuan(in_scope_fen, rate_n, base_fen, paid_fen):
    rate = Decimal(rate_n).scaleb(-7)
    n, k = formulas.rate_parts(rate)
    in_scope = Decimal(in_scope_fen).scaleb(-2)
    share = formulas.pool_share(in_scope_fen, 0, n, k)
    assert Decimal(share).scaleb(-2) == (in_scope * rate).quantize(FEN, rounding=ROUND_HALF_UP)
    if rate > 0 and paid_fen < share:
        exact = (in_scope - Decimal(paid_fen).scaleb(-2) / rate).quantize(FEN, rounding=ROUND_HALF_UP)
        assert Decimal(formulas.above_cap(in_scope_fen, paid_fen, share, n, k)).scaleb(-2) == max(exact, 0)
    for schedule in (DALIAN, LIAONING):
        got = formulas.annual(Tiers.of(schedule), base_fen)
        assert Decimal(got).scaleb(-2) == decimal_annual(schedule, Decimal(base_fen).scaleb(-2))


@pytest.mark.parametrize("value", [0, 1, 10**11])
def test_one_claim_stays_a_python_int(value):
    assert type(formulas.annual(Tiers.of(DALIAN), value)) is int
    assert type(formulas.pool_share(value, 0, 65, 2)) is int
