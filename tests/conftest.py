from __future__ import annotations

import pytest

from medinsure import Engine
from support import testland_engine


@pytest.fixture
def engine() -> Engine:
    """An engine over the test-only plugin alone, never the installed ones."""
    return testland_engine()


def pytest_medinsure_engine(config: pytest.Config) -> Engine:
    """Scenario files below tests/ run against the test-only jurisdictions."""
    return testland_engine()
