"""The batch path settles Tieling's claims exactly as the scalar engine does, bonus rows included."""

from __future__ import annotations

from medinsure.testing.batch import CATEGORIES, batch_equality_tests

TestBatchEquality = batch_equality_tests(
    "tieling", years=(2025, 2026), categories=(*CATEGORIES, "resident_first_tier"), plugins=("liaoning", "tieling")
)
