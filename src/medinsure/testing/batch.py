"""The batch path equals the scalar engine: random populations of claims, and the property.

In a plugin's tests (the research extra installed)::

    from medinsure.testing import batch_equality_tests

    TestBatch = batch_equality_tests("dalian", years=(2021, 2022), tags=("", "surgery"))

:func:`populations` draws flat frames of claims as the command line reads them (persons
interleaved, padded ids, numbered claims, categorical columns, basic settlements given or
not); :func:`assert_same_as_scalar` checks that :func:`~medinsure.research.batch.settle_frame`
gives exactly what the scalar engine gives, row by row, or that both refuse the frame.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medinsure.errors import MedinsureError
from medinsure.money import fen_text
from medinsure.research.batch import prepare, settle_frame, settle_frame_scalar
from medinsure.settlement.engine import Engine

__all__ = ["CATEGORIES", "assert_same_as_scalar", "batch_equality_tests", "populations"]

KINDS = ("inpatient", "inpatient", "inpatient", "outpatient", "outpatient_special", "outpatient_dialysis", "pku")
LEVELS = ("tertiary", "secondary", "primary", "community")
CATEGORIES = ("minimum_living", "extreme_poverty", "low_income", "student")
CONDITIONS = ("childhood_blood_disease", "childhood_malignant_tumor", "pku")
CATEGORICAL = ("patient_id", "jurisdiction", "scheme", "kind", "hospital_level", "categories", "filed", "service_years")


@st.composite
def populations(
    draw: st.DrawFn,
    jurisdictions: tuple[str, ...],
    years: tuple[int, ...],
    tags: tuple[str, ...] = ("",),
    categories: tuple[str, ...] = CATEGORIES,
) -> pd.DataFrame:
    """A frame of flat claim rows: 1 to 6 persons of ``jurisdictions``, 1 to 7 claims each in ``years``."""
    rows = []
    for p in range(draw(st.integers(1, 6))):
        scheme = draw(st.sampled_from(("resident", "employee")))
        status = draw(st.sampled_from(("", "in_service", "retired"))) if scheme == "employee" else ""
        birth = draw(st.one_of(st.just(""), st.dates(dt.date(1930, 1, 1), dt.date(2024, 12, 31)).map(str)))
        categories_ = ",".join(draw(st.lists(st.sampled_from(categories), max_size=2, unique=True)))
        conditions = ",".join(draw(st.lists(st.sampled_from(CONDITIONS), max_size=1, unique=True)))
        service_years = draw(st.one_of(st.just(""), st.integers(0, 40).map(str)))
        code = draw(st.sampled_from(jurisdictions))
        for c in range(draw(st.integers(1, 7))):
            in_scope = draw(st.one_of(st.integers(0, 3_000_000), st.integers(0, 60_000_000)))
            extra = draw(st.integers(0, 2_000_000))
            class_b = draw(st.integers(0, extra))
            given = draw(st.booleans()) and draw(st.booleans())
            row = {
                "jurisdiction": code,
                "patient_id": f"P{p}",
                "scheme": scheme,
                "status": status,
                "birth_date": birth,
                "categories": categories_,
                "conditions": conditions,
                "service_years": service_years,
                "claim_id": f"P{p}C{c}",
                "kind": draw(st.sampled_from(KINDS)),
                "discharged": str(draw(st.dates(dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)))),
                "hospital_level": draw(st.sampled_from(LEVELS)),
                "referral": draw(st.sampled_from(("none", "none", "none", "referred_out"))),
                "location": draw(st.sampled_from(("local", "local", "local", "in_province"))),
                "filed": draw(st.sampled_from(("true", "true", "true", "false"))),
                "designated": draw(st.sampled_from(("true", "true", "true", "true", "false"))),
                "tags": draw(st.sampled_from(tags)),
                "total": fen_text(in_scope + extra),
                "in_scope": fen_text(in_scope),
                "class_b_self_pay": fen_text(class_b),
                "basic_pool": "",
                "basic_in_scope_self_pay": "",
            }
            if given:
                pool = draw(st.integers(0, in_scope))
                row["basic_pool"] = fen_text(pool)
                row["basic_in_scope_self_pay"] = fen_text(in_scope - pool)
            rows.append(row)
    if draw(st.booleans()):  # persons interleaved: each person's rows keep their order
        rows = [rows[i] for i in draw(st.permutations(range(len(rows))))]
    if draw(st.booleans()):  # the same person written with spaces around the id
        for row in rows:
            if draw(st.booleans()):
                row["patient_id"] = f" {row['patient_id']} "
    frame = pd.DataFrame(rows)
    if draw(st.booleans()):  # claims numbered, as in a database
        frame["claim_id"] = range(100, 100 + len(frame))
    # columns as categoricals (dictionary-encoded, as from Parquet), with an unused category
    for column in draw(st.sets(st.sampled_from(CATEGORICAL))):
        values = list(dict.fromkeys(frame[column]))
        frame[column] = pd.Categorical(frame[column], categories=[*values, "unused"])
    return frame


def assert_same_as_scalar(engine: Engine, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The batch result equals the scalar engine's, or both refuse the frame; so with ``prepare``."""
    try:
        expected = settle_frame_scalar(frame, engine=engine)
    except MedinsureError:
        expected = None
    if expected is None:
        for batch in (lambda: settle_frame(frame, engine=engine), lambda: settle_frame(prepare(frame), engine=engine)):
            try:
                batch()
            except MedinsureError:
                continue
            raise AssertionError("the scalar engine refused the frame, the batch settled it")
        return None
    got = settle_frame(frame, engine=engine)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    pd.testing.assert_frame_equal(settle_frame(prepare(frame), engine=engine), expected, check_exact=True)
    return got


def batch_equality_tests(
    code: str,
    *,
    years: Sequence[int],
    tags: Sequence[str] = ("",),
    categories: Sequence[str] = CATEGORIES,
    also: Sequence[str] = (),
    plugins: Sequence[str] | None = None,
    max_examples: int = 60,
) -> type:
    """A pytest class: random populations of jurisdiction ``code`` in ``years`` settle alike in
    the batch path and the scalar engine.

    ``tags`` and ``categories``: the claim tags (``""`` for none) and patient categories to draw;
    ``also``: other jurisdictions whose persons are drawn into the same population;
    ``plugins``: the installed plugins to load (default: every one).
    """

    @functools.cache
    def engine() -> Engine:
        return Engine.from_installed() if plugins is None else Engine.from_installed(allow=list(plugins))

    class BatchEquality:
        @settings(
            max_examples=max_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(populations((code, *also), tuple(years), tags=tuple(tags), categories=tuple(categories)))
        def test_batch_equals_scalar_engine(self, population: pd.DataFrame) -> None:
            assert_same_as_scalar(engine(), population)

    BatchEquality.__name__ = BatchEquality.__qualname__ = f"TestBatchEquality_{code}"
    BatchEquality.__doc__ = f"The batch path settles {code!r} exactly as the scalar engine does."
    return BatchEquality
