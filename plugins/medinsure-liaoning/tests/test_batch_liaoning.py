"""The batch path settles Liaoning's claims exactly as the scalar engine does."""

from __future__ import annotations

from medinsure.testing import batch_equality_tests

TestBatchEquality = batch_equality_tests("liaoning", years=(2025, 2026), tags=("", "surgery"), plugins=("liaoning",))
