"""The batch path settles Yingkou's claims exactly as the scalar engine does."""

from __future__ import annotations

import medinsure_liaoning
import medinsure_yingkou
from hypothesis import HealthCheck, given, settings

from batch_population import assert_same_as_scalar, populations
from medinsure import Engine

ENGINE = Engine.from_plugins(medinsure_liaoning, medinsure_yingkou)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(("yingkou", "liaoning"), (2025, 2026), tags=("", "surgery")))
def test_batch_equals_scalar_engine(population):
    assert_same_as_scalar(ENGINE, population)
