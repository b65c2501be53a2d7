"""What a jurisdiction plugin's own test suite needs, public so that it runs anywhere.

- :func:`conformance_tests` (:mod:`.conformance`): a pytest class checking rule data,
  provenance, scenario files and the core properties of one jurisdiction;
- :class:`Harness` (:mod:`.harness`): an engine over named installed plugins, and helpers to
  find a benefit or row and settle claims given as mappings; :func:`yuan`, :func:`presettled`,
  :func:`raw_costs`;
- :func:`batch_equality_tests`, :func:`populations`, :func:`assert_same_as_scalar`
  (:mod:`.batch`, the research extra): the batch path equals the scalar engine;
- :mod:`.pytest_plugin`: scenario files below a ``cases`` folder run as tests.

The names are imported on first use, so that pytest can load the scenario-file plugin
without hypothesis, and the core without pytest.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Harness",
    "assert_same_as_scalar",
    "batch_equality_tests",
    "conformance_tests",
    "every_value",
    "populations",
    "presettled",
    "property_year",
    "raw_costs",
    "yuan",
]

_WHERE = {
    "Harness": "harness",
    "presettled": "harness",
    "raw_costs": "harness",
    "yuan": "harness",
    "conformance_tests": "conformance",
    "every_value": "conformance",
    "property_year": "conformance",
    "assert_same_as_scalar": "batch",
    "batch_equality_tests": "batch",
    "populations": "batch",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"medinsure.testing.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'medinsure.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
