"""The batch path settles Jiangsu's claims exactly as the scalar engine does, refusals included."""

from __future__ import annotations

from medinsure.testing.batch import batch_equality_tests

TestBatchEquality = batch_equality_tests("jiangsu", years=(2025, 2026), plugins=("jiangsu",))
