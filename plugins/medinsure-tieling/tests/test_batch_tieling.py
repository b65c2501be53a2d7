"""The batch path settles Tieling's claims exactly as the scalar engine does, bonus rows included."""

from __future__ import annotations

import medinsure_liaoning
import medinsure_tieling
from hypothesis import HealthCheck, given, settings

from batch_population import CATEGORIES, assert_same_as_scalar, populations
from medinsure import Engine

ENGINE = Engine.from_plugins(medinsure_liaoning, medinsure_tieling)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(("tieling",), (2025, 2026), categories=(*CATEGORIES, "resident_first_tier")))
def test_batch_equals_scalar_engine(population):
    assert_same_as_scalar(ENGINE, population)
