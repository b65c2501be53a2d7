"""One rule for a basic settlement made elsewhere: its pool counts toward the year's cap, and a pool
the cap cut implies the cost above the cap, as the engine's own computation does.

testland, employees: deductible 1,000 (tertiary), ratio 80%, annual pool cap 200,000; the
large-amount subsidy pays 90% of the cost above the cap; the over-burden subsidy 40% of the
year's self-pay above 10,000.
"""

from __future__ import annotations

import pytest

import testplugin
from medinsure import Engine
from medinsure.errors import InvalidInput
from support import D, child_pack, claim, pack_plugin, patient


def employee() -> object:
    return patient(scheme="employee")


def test_a_given_pool_that_the_cap_cut_settles_as_the_computed_one(engine):
    raw = claim(in_scope=300000)
    # computed: (300,000 − 1,000) × 80% = 239,200, cut to the cap 200,000; above the cap
    # 299,000 − 200,000 ÷ 80% = 49,000, of which 90% = 44,100; self-pay 300,000 − 200,000
    # − 44,100 = 55,900; over-burden subsidy (55,900 − 10,000) × 40% = 18,360
    (computed,) = engine.settle(employee(), [raw], jurisdiction="testland")
    assert (computed.basic_pool, computed.large_amount, computed.burden_subsidy) == (D(200000), D(44100), D(18360))
    given = claim(in_scope=300000, basic={"pool": 200000, "in_scope_self_pay": 100000, "deductible": 1000})
    (s,) = engine.settle(employee(), [given], jurisdiction="testland")
    assert s.amounts() == computed.amounts()
    texts = [line.text for line in s.lines if line.component == "basic_pool"]
    assert "the given pool 200,000.00 reaches the annual cap 200,000.00, of which 200,000.00 remained" in texts
    assert (
        "cost above the annual cap implied by the given pool: (300,000.00 − 1,000.00) − 200,000.00 ÷ 80% = 49,000.00"
        in texts
    )
    assert "testland/basic.ratio[scheme=employee]@2020-01-01" in s.rule_versions


def test_a_given_pool_below_the_cap_reads_no_cap(engine):
    given = claim(in_scope=50000, basic={"pool": 39200, "in_scope_self_pay": 10800})
    (s,) = engine.settle(employee(), [given], jurisdiction="testland")
    assert s.large_amount == D(0)
    assert s.burden_subsidy == D(320)  # (10,800 − 10,000) × 40%
    assert not [v for v in s.rule_versions if "basic." in v]  # neither the cap nor the ratio is read
    assert s.warnings == ()


def test_given_pools_count_toward_the_cap_and_one_above_it_is_flagged(engine):
    first = claim(in_scope=200000, basic={"pool": 150000, "in_scope_self_pay": 50000})
    second = claim(in_scope=100000, discharged="2020-08-01", basic={"pool": 80000, "in_scope_self_pay": 20000})
    third = claim(in_scope=10000, discharged="2020-09-01")
    a, b, c = engine.settle(employee(), [first, second, third], jurisdiction="testland")
    # 150,000 + 80,000 = 230,000 against a cap of 200,000: taken as given, flagged, nothing implied
    assert b.basic_pool == D(80000)
    assert b.large_amount == D(0)
    assert b.warnings == (
        "the given pool 80,000.00 is above the 50,000.00 that remained of the annual cap 200,000.00; taken as given",
    )
    assert b.accumulator_after.basic_pool == D(230000)
    # the cap is spent: a claim the engine settles itself gets no pool, and its cost above the
    # deductible is above the cap: (10,000 − 1,000) × 90% = 8,100
    assert (c.basic_pool, c.large_amount) == (D(0), D(8100))
    assert a.warnings == ()


def test_a_given_pool_reaching_the_cap_needs_the_level_that_decides_the_ratio(engine):
    rules = engine.rules("testland")
    assert rules  # testland's employee ratio does not depend on the level: settled without one
    given = claim(
        in_scope=300000, hospital_level=None, basic={"pool": 200000, "in_scope_self_pay": 100000, "deductible": 1000}
    )
    assert engine.settle(employee(), [given], jurisdiction="testland")[0].large_amount == D(44100)
    # a resident's ratio does: but no benefit pays residents the cost above the cap, so no ratio is read
    resident = claim(in_scope=150000, hospital_level=None, basic={"pool": 100000, "in_scope_self_pay": 50000})
    assert engine.settle(patient(), [resident], jurisdiction="testland")[0].large_amount == D(0)


def test_a_missing_level_is_an_error_only_when_the_ratio_decides():
    # a child of testland whose employees' ratio depends on the hospital level
    rows = [
        {"when": {"scheme": "employee", "hospital_level": level}, "versions": [version]}
        for level, version in (
            ("tertiary", {"value": "0.80", "from": "2020-01-01", "source": "s", "verified": True}),
            ("secondary", {"value": "0.90", "from": "2020-01-01", "source": "s", "verified": True}),
        )
    ]
    ratio = {
        "kind": "rate",
        "rows": [*rows, {"versions": [{"value": "0.70", "from": "2020-01-01", "source": "s", "verified": True}]}],
    }
    engine = Engine.from_plugins(testplugin, pack_plugin(child_pack(tables={"basic.ratio": ratio})))
    given = claim(
        in_scope=300000, hospital_level=None, basic={"pool": 200000, "in_scope_self_pay": 100000, "deductible": 1000}
    )
    with pytest.raises(
        InvalidInput, match=r"claim.hospital_level=None: required: the given pool reaches the annual cap"
    ):
        engine.settle(employee(), [given], jurisdiction="child")
    below = claim(in_scope=300000, hospital_level=None, basic={"pool": 100000, "in_scope_self_pay": 200000})
    assert engine.settle(employee(), [below], jurisdiction="child")[0].basic_pool == D(100000)


def test_the_batch_path_settles_a_given_pool_reaching_the_cap_as_the_engine_does(engine):
    import pandas as pd

    from medinsure.testing import assert_same_as_scalar

    rows = [
        {"claim_id": "C1", "basic_pool": "150000", "basic_in_scope_self_pay": "50000", "in_scope": "200000"},
        {"claim_id": "C2", "basic_pool": "50000", "basic_in_scope_self_pay": "100000", "in_scope": "150000"},
    ]
    frame = pd.DataFrame(
        [
            {
                "jurisdiction": "testland",
                "patient_id": "P1",
                "scheme": "employee",
                "kind": "inpatient",
                "discharged": f"2020-0{i + 3}-01",
                "hospital_level": "tertiary",
                "total": row["in_scope"],
                **row,
            }
            for i, row in enumerate(rows)
        ]
    )
    result = assert_same_as_scalar(engine, frame)
    assert result is not None
    # C2 brings the year to the 200,000 cap: above it (150,000 − 0) − 50,000 ÷ 80% = 87,500; × 90%
    assert list(result["large_amount_fen"]) == [0, 7875000]
    assert result.attrs["medinsure"]["fallback_rows"] == 2


def test_a_given_pool_above_the_cap_is_settled_in_the_batch_path_and_checked_in_strict_mode(engine):
    import attrs
    import pandas as pd

    from medinsure.testing import assert_same_as_scalar

    frame = pd.DataFrame(
        [
            {
                "jurisdiction": "testland",
                "patient_id": "P1",
                "scheme": "employee",
                "claim_id": f"C{i}",
                "kind": "inpatient",
                "discharged": f"2020-0{i + 3}-01",
                "hospital_level": "tertiary",
                "total": "150000",
                "in_scope": "150000",
                "basic_pool": "120000",
                "basic_in_scope_self_pay": "30000",
            }
            for i in range(2)
        ]
    )
    # 240,000 given against the 200,000 cap: flagged, no amount changes, no scalar fallback
    result = assert_same_as_scalar(engine, frame)
    assert result is not None
    assert result.attrs["medinsure"]["fallback_rows"] == 0
    # with the cap unverified, strict mode refuses the flagged claim in both paths
    cap = engine.rules("testland").find_table("basic.pool_cap")
    unverified = attrs.evolve(
        cap,
        rows=tuple(
            attrs.evolve(
                row,
                versions=tuple(
                    attrs.evolve(v, provenance=attrs.evolve(v.provenance, verified=False, note="a test"))
                    for v in row.versions
                ),
            )
            for row in cap.rows
        ),
    )
    strict = engine.with_overrides("testland", unverified).with_strict(True)
    assert assert_same_as_scalar(strict, frame) is None  # both refuse
    assert assert_same_as_scalar(strict, frame.iloc[:1]) is not None  # below the cap: the cap is not read
