"""The batch path settles Dalian's claims exactly as the scalar engine does."""

from __future__ import annotations

import pandas as pd

from medinsure import Engine, Reform
from medinsure.research import settle_frame
from medinsure.testing import batch_equality_tests

ENGINE = Engine.from_installed(allow=["liaoning", "dalian"])

TestBatchEquality = batch_equality_tests(
    "dalian", years=(2021, 2022, 2025), tags=("", "surgery"), plugins=("liaoning", "dalian")
)


def worked_example() -> pd.DataFrame:
    """Domain worked example 1: a Dalian adult resident's three 2021 admissions (basic settled)."""
    return pd.DataFrame(
        [
            {"jurisdiction": "dalian", "patient_id": "P1", "scheme": "resident", "claim_id": f"C{i}"}
            | {"kind": "inpatient", "discharged": f"2021-0{i + 3}-15", "basic_pool": "0"}
            | {"basic_in_scope_self_pay": amount}
            for i, amount in enumerate(("15000", "60000", "80000"))
        ]
    )


def test_worked_example_and_a_lower_threshold():
    base = settle_frame(worked_example(), engine=ENGINE)
    assert list(base["critical_illness_fen"]) == [0, 3_325_000, 5_375_000]  # 33,250 and 53,750
    reform = Reform.from_mapping({"dalian": {"critical_illness.schedule": {"general": {"threshold": 15000}}}})
    got = settle_frame(worked_example(), engine=ENGINE, overrides=reform)
    # F(75,000) = 50,000 × 60% + 10,000 × 65% = 36,500; F(155,000) = 30,000 + 32,500 + 40,000 × 70% = 90,500
    assert list(got["critical_illness_fen"]) == [0, 3_650_000, 5_400_000]
    assert got.attrs["medinsure"]["jurisdictions"]["dalian"]["overrides"] == ["critical_illness.schedule"]
