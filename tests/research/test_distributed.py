"""The Dask path on a local cluster gives the single-machine result, row for row."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from medinsure.testing.batch import populations

distributed = pytest.importorskip("distributed")

from medinsure.errors import InputError  # noqa: E402
from medinsure.research.batch import settle_frame  # noqa: E402
from medinsure.research.distributed import collect, settle_dask  # noqa: E402


def same_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Kept for the comparisons below: the ids must already be of the same dtype."""
    return frame


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_engine_travels_by_pickle(engine):
    copy = pickle.loads(pickle.dumps(engine))
    assert copy.jurisdictions == engine.jurisdictions


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(populations(("testland", "testcity"), (2020, 2021)))
def test_local_cluster_equals_single_machine(engine, client, population):
    expected = settle_frame(population, engine=engine).reset_index(drop=True)
    got = collect(settle_dask(population, engine=engine, npartitions=3))
    pd.testing.assert_frame_equal(got, expected, check_exact=True)  # dtypes included
    assert got.attrs == expected.attrs


def test_reform_on_the_cluster(engine, client):
    df = pd.DataFrame(
        [
            {"jurisdiction": "testland", "patient_id": f"P{i % 7}", "scheme": "resident", "claim_id": f"C{i}"}
            | {"kind": "inpatient", "discharged": "2021-06-01", "basic_pool": "0", "basic_in_scope_self_pay": "30000"}
            for i in range(40)
        ]
    )
    reform = {"testland": {"critical_illness.schedule": {"general": {"threshold": "15000"}}}}
    got = collect(settle_dask(df, engine=engine, overrides=reform, npartitions=4))
    expected = settle_frame(df, engine=engine, overrides=reform)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == expected.attrs
    assert got.attrs["medinsure"]["reform"] == "reform"
    assert got.loc[0, "critical_illness_fen"] == 900_000  # (30,000 − 15,000) × 60%


def test_one_person_written_two_ways_stays_in_one_partition(engine, client):
    # " P1 " and full-width "Ｐ１" are P1 (ids are read stripped, NFKC): the year's subsidy base
    # must accumulate over all of them
    row = {"jurisdiction": "testland", "scheme": "employee", "kind": "inpatient", "discharged": "2021-06-01"}
    df = pd.DataFrame(
        [row | {"patient_id": pid, "claim_id": f"C{i}", "basic_pool": "0", "basic_in_scope_self_pay": "8000"}
         for i, pid in enumerate(["P1", " P1 ", "\uff30\uff11", "\u3000P1", *(f"Q{i}" for i in range(12))])]
    )  # fmt: skip
    expected = settle_frame(df, engine=engine)
    # self-pay 8,000 a claim: the year reaches 10,000 on the second, then 40% of what is above
    assert list(expected["burden_subsidy_fen"][:4]) == [0, 240_000, 320_000, 320_000]
    for npartitions in (2, 5, 9):
        got = collect(settle_dask(df, engine=engine, npartitions=npartitions))
        pd.testing.assert_frame_equal(same_ids(got), same_ids(expected), check_exact=True)


def claims_of_persons(persons: list[str], claim_ids: list[object]) -> pd.DataFrame:
    row = {"jurisdiction": "testland", "scheme": "resident", "kind": "inpatient", "discharged": "2021-06-01"}
    return pd.DataFrame(
        [
            row | {"patient_id": p, "claim_id": c, "basic_pool": "0", "basic_in_scope_self_pay": "100"}
            for p, c in zip(persons, claim_ids, strict=True)
        ]
    )


@pytest.mark.parametrize(
    "claim_ids",
    [
        [f"C{i}" for i in range(9)] + ["C3"] + [f"C{i}" for i in range(10, 16)],
        [f"C{i}" for i in range(9)] + ["\uff23\uff13 "] + [f"C{i}" for i in range(10, 16)],  # full-width, padded
        [*range(9), 3, *range(10, 16)],
    ],
    ids=["text", "as-read", "integers"],
)
def test_a_claim_id_given_twice_for_two_persons_is_refused_as_settle_frame_refuses_it(engine, client, claim_ids):
    # sixteen persons, one claim each: the two rows of the claim id are two persons' and, on
    # most partitionings, in two partitions
    df = claims_of_persons([f"P{i}" for i in range(16)], claim_ids)
    with pytest.raises(InputError) as single:
        settle_frame(df, engine=engine)
    read = "3" if claim_ids[9] == 3 else "C3"
    assert str(single.value) == (
        f"row 9 (claim {claim_ids[9]!r}): claim.id={read!r}: claim id given twice in one file (first at row 3)"
    )
    for npartitions in (2, 5, 16):
        with pytest.raises(InputError) as spread:
            collect(settle_dask(df, engine=engine, npartitions=npartitions))
        assert str(spread.value) == str(single.value)
    unchecked = collect(settle_dask(df, engine=engine, npartitions=16, claim_ids_once=False))
    assert len(unchecked) == 16  # left out on request: two persons' claims, each settled


def test_the_first_repeat_of_the_input_is_named(engine, client):
    claim_ids = ["A", "B", "C", "D", "B", "E", "A", "F"]  # B repeats first (row 4), then A (row 6)
    df = claims_of_persons([f"P{i}" for i in range(8)], claim_ids)
    with pytest.raises(
        InputError, match=r"^row 4 \(claim 'B'\): claim.id='B': claim id given twice in one file \(first at row 1\)$"
    ):
        collect(settle_dask(df, engine=engine, npartitions=3))


def test_errors_name_the_row_of_the_input_not_of_the_partition(engine, client):
    df = claims_of_persons([f"P{i}" for i in range(10)], [f"C{i}" for i in range(10)])
    df.loc[7, "basic_in_scope_self_pay"] = "x"
    with pytest.raises(InputError) as single:
        settle_frame(df, engine=engine)
    with pytest.raises(InputError) as spread:
        collect(settle_dask(df, engine=engine, npartitions=4))
    assert str(spread.value) == str(single.value)
    assert str(spread.value).startswith("row 7 (claim 'C7'): claim.basic_in_scope_self_pay='x'")


def test_a_dask_input_names_partition_and_row(engine, client):
    import dask.dataframe as dd

    df = claims_of_persons([f"P{i}" for i in range(6)], ["A", "B", "C", "D", "E", "B"])
    claims = dd.from_pandas(df, npartitions=2, sort=False)  # rows 0–2 and 3–5
    with pytest.raises(
        InputError, match=r"^partition 1, row 2 \(claim 'B'\): .*given twice .*\(first at partition 0, row 1\)$"
    ):
        collect(settle_dask(claims, engine=engine))
