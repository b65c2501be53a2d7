from __future__ import annotations

import functools

import pytest

import testplugin
from medinsure import Engine


@functools.cache
def _engine() -> Engine:
    return Engine.from_plugins(testplugin)


@pytest.fixture
def engine() -> Engine:
    """An engine over the test-only plugin alone, never the installed ones."""
    return _engine()


def pytest_medinsure_engine(config: pytest.Config) -> Engine:
    """Scenario files below tests/ run against the test-only jurisdictions."""
    return _engine()
