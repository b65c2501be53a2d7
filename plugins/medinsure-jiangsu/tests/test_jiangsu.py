"""Tests of medinsure-jiangsu: the medinsure conformance suite; the scenario files in cases/ run as tests too."""

from __future__ import annotations

from medinsure.testing import conformance_tests

# rule data valid, provenance on every value, scenario files passing, and the core properties
# (conservation, monotonicity, split-invariance, caps) under hypothesis for jiangsu's rules
TestConformance = conformance_tests("jiangsu")
