"""Properties of the pipeline, under hypothesis, on the test-only jurisdictions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from medinsure import Claim, Patient
from medinsure.money import round_fen
from support import decimal_annual, testland_engine

ENGINE = testland_engine()
FEN = Decimal("0.01")

fen_amounts = st.integers(min_value=0, max_value=30_000_000).map(lambda n: Decimal(n) * FEN)
days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2021, 12, 31))


@st.composite
def patients(draw: st.DrawFn) -> Patient:
    scheme = draw(st.sampled_from(["resident", "employee"]))
    return Patient(
        id="P",
        scheme=scheme,
        status=draw(st.sampled_from([None, "in_service", "retired"])) if scheme == "employee" else None,
        birth_date=draw(st.one_of(st.none(), st.dates(dt.date(1940, 1, 1), dt.date(2019, 12, 31)))),
        categories=draw(st.frozensets(st.sampled_from(["minimum_living", "low_income", "student"]))),
    )


@st.composite
def raw_claims(draw: st.DrawFn, year: int | None = None) -> Claim:
    in_scope = draw(fen_amounts)
    extra = draw(st.integers(0, 1_000_000).map(lambda n: Decimal(n) * FEN))
    class_b = draw(st.integers(0, 100_000).map(lambda n: Decimal(n) * FEN))
    day = draw(days) if year is None else draw(st.dates(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    return Claim(
        id=f"C{draw(st.integers(0, 10**12))}",
        kind=draw(st.sampled_from(["inpatient", "outpatient_dialysis", "outpatient_special", "outpatient"])),
        discharged=day,
        total=in_scope + class_b + extra,
        in_scope=in_scope,
        class_b_self_pay=class_b,
        hospital_level=draw(st.sampled_from(["tertiary", "secondary", "primary", "community"])),
        referral=draw(st.sampled_from(["none", "none", "referred_out"])),
        designated=draw(st.sampled_from([True, True, True, False])),
    )


def unique(claims: list[Claim]) -> list[Claim]:
    return [Claim(**{**_fields(c), "id": f"C{i}"}) for i, c in enumerate(claims)]


def _fields(c: Claim) -> dict:
    return {
        "id": c.id,
        "kind": c.kind,
        "discharged": c.discharged,
        "total": c.total,
        "in_scope": c.in_scope,
        "class_b_self_pay": c.class_b_self_pay,
        "hospital_level": c.hospital_level,
        "referral": c.referral,
        "designated": c.designated,
        "basic": c.basic,
    }


def presettled(i: int, self_pay: Decimal, day: dt.date = dt.date(2021, 6, 1), pool: Decimal = Decimal(0)) -> Claim:
    return Claim.from_mapping(
        {"id": f"C{i}", "kind": "inpatient", "discharged": day, "basic": {"pool": pool, "in_scope_self_pay": self_pay}}
    )


jurisdictions = st.sampled_from(["testland", "testcity"])


@settings(max_examples=150, deadline=None)
@given(patients(), st.lists(raw_claims(), min_size=1, max_size=6), jurisdictions)
def test_conservation_and_bounds(patient, claims, code):
    for s in ENGINE.settle(patient, unique(claims), jurisdiction=code):
        c = s.claim
        funds = s.basic_pool + s.critical_illness + s.burden_subsidy + s.large_amount + s.medical_assistance
        assert funds == s.fund_total
        assert s.fund_total + s.patient_total == c.total
        for name in (
            "deductible",
            "basic_pool",
            "critical_illness",
            "burden_subsidy",
            "large_amount",
            "medical_assistance",
        ):
            assert s[name] >= 0, name
        assert s.fund_total <= c.in_scope
        assert s.patient_total >= c.out_of_scope + c.class_b_self_pay
        assert s.in_scope_self_pay == c.in_scope - s.basic_pool - s.large_amount
        for value in s.amounts().values():
            assert value == value.quantize(FEN)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(fen_amounts, min_size=0, max_size=5), fen_amounts, fen_amounts, st.sampled_from(["resident", "employee"])
)
def test_more_self_pay_never_lowers_a_secondary_payment(earlier, last, more, scheme):
    patient = Patient(id="P", scheme=scheme)
    component = "critical_illness" if scheme == "resident" else "burden_subsidy"

    def last_payment(amount: Decimal) -> Decimal:
        claims = [presettled(i, a) for i, a in enumerate(earlier)] + [presettled(len(earlier), amount)]
        return ENGINE.settle(patient, claims, jurisdiction="testland")[-1][component]

    assert last_payment(last + more) >= last_payment(last)


@settings(max_examples=150, deadline=None)
@given(st.lists(fen_amounts, min_size=1, max_size=6), st.randoms(use_true_random=False), st.data())
def test_year_total_does_not_depend_on_split_or_order(amounts, rnd, data):
    for scheme, component, benefit in (
        ("resident", "critical_illness", "critical_illness"),
        ("employee", "burden_subsidy", "burden_subsidy"),
    ):
        patient = Patient(id="P", scheme=scheme)
        # re-split the same costs into a different number of claims, in another order
        pieces: list[Decimal] = []
        for a in amounts:
            cut = data.draw(st.integers(0, int(a / FEN))) * FEN
            pieces.extend([cut, a - cut])
        rnd.shuffle(pieces)
        one = ENGINE.settle(patient, [presettled(0, sum(amounts, Decimal(0)))], jurisdiction="testland")
        many = ENGINE.settle(patient, [presettled(i, a) for i, a in enumerate(amounts)], jurisdiction="testland")
        split = ENGINE.settle(patient, [presettled(i, a) for i, a in enumerate(pieces)], jurisdiction="testland")
        totals = {sum((s[component] for s in run), Decimal(0)) for run in (one, many, split)}
        assert len(totals) == 1
        schedule = ENGINE.rules("testland").find_table(f"{benefit}.schedule").rows[-1].versions[0].value
        assert totals == {decimal_annual(schedule, sum(amounts, Decimal(0)))}


@settings(max_examples=100, deadline=None)
@given(patients(), st.lists(raw_claims(year=2021), min_size=1, max_size=8), jurisdictions)
def test_caps_are_never_exceeded(patient, claims, code):
    rules = ENGINE.rules(code)
    results = ENGINE.settle(patient, unique(claims), jurisdiction=code)
    year = results[-1].accumulator_after
    pool_cap = rules.find_table("basic.pool_cap")
    cap_row = next(r for r in pool_cap.rows if r.when.scheme is None or patient.scheme in r.when.scheme)
    assert year.basic_pool <= cap_row.versions[-1].value
    for owner, benefit in rules.benefits:
        # the schedule that applies is the first row matching the patient (all claims are inpatient
        # or not; the cap belongs to the row the engine chose for this patient)
        for s in results:
            found = benefit.schedules.lookup(owner, patient, s.claim)
            if found is not None and found.value.cap is not None:
                assert s.accumulator_after.paid[benefit.key] <= found.value.cap
    if code == "testcity":
        rate = rules.find_table("eighty.rate").rows[0].versions[0].value
        for s in results:
            after = s.accumulator_after
            limit = round_fen(rate * after.in_scope)
            assert (
                s.critical_illness == 0
                or after.components["basic_pool"] + after.components["critical_illness"] <= limit
            )


@settings(max_examples=50, deadline=None)
@given(patients(), st.lists(raw_claims(), min_size=1, max_size=5), jurisdictions)
def test_settling_twice_gives_identical_results(patient, claims, code):
    claims = unique(claims)
    assert ENGINE.settle(patient, claims, jurisdiction=code) == ENGINE.settle(patient, claims, jurisdiction=code)


big_amounts = st.integers(min_value=300_000_00, max_value=800_000_00).map(lambda n: Decimal(n) * FEN)


@settings(max_examples=60, deadline=None)
@given(st.lists(big_amounts, min_size=4, max_size=6), st.sampled_from(["resident", "employee"]), st.randoms())
def test_annual_caps_bind_exactly_in_large_years(amounts, scheme, rnd):
    """Years of at least 1,200,000 in scope always reach the 300,000 caps: reached exactly, never passed.

    Residents: self-pay above 1,100,000 gives critical illness far above 300,000. Employees: the
    cost above the 200,000 pool cap is at least 950,000, 90% of it far above 300,000.
    """
    patient = Patient(id="P", scheme=scheme)
    days = sorted(dt.date(2021, rnd.randint(1, 12), rnd.randint(1, 28)) for _ in amounts)
    claims = [
        Claim(id=f"C{i}", kind="inpatient", discharged=day, total=a, in_scope=a, hospital_level="tertiary")
        for i, (a, day) in enumerate(zip(amounts, days, strict=True))
    ]
    results = ENGINE.settle(patient, claims, jurisdiction="testland")
    key = "critical_illness" if scheme == "resident" else "large_amount"
    paid = [s.accumulator_after.paid[key] for s in results]
    assert all(p <= Decimal(300000) for p in paid)
    assert paid[-1] == Decimal(300000)
    assert sum(s[key] for s in results) == Decimal(300000)
