"""Every ledger test runs twice: on a SQLite file and on a PostgreSQL schema of its own.

The PostgreSQL runs need ``MEDINSURE_TEST_POSTGRES_URL`` (``.ci/setup-postgres.sh`` prints one).
Without it they are skipped — except under ``CI=true``, where a missing server, URL or driver
is a failure: CI must show both databases.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from medinsure import Engine
from medinsure.ledger import Ledger, open_ledger
from support.ledger import PG_ENV, postgres_schema


def _need_postgres() -> None:
    in_ci = os.environ.get("CI", "").lower() == "true"
    if not os.environ.get(PG_ENV):
        if in_ci:
            pytest.fail(f"CI=true and {PG_ENV} is not set: the PostgreSQL ledger tests must run in CI")
        pytest.skip(f"{PG_ENV} is not set (run .ci/setup-postgres.sh)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        if in_ci:
            pytest.fail("CI=true and psycopg is not installed: pip install -e '.[dev]'")
        pytest.skip("psycopg is not installed")


@pytest.fixture(params=["sqlite", "postgresql"])
def new_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Makes empty ledger targets of one backend: SQLite files, or PostgreSQL schemas."""
    backend = request.param
    if backend == "postgresql":
        _need_postgres()
    with ExitStack() as stack:

        def make() -> str:
            if backend == "sqlite":
                return str(tmp_path_factory.mktemp("ledger") / "ledger.sqlite")
            return stack.enter_context(postgres_schema())

        yield make


@pytest.fixture
def target(new_target: Callable[[], str]) -> str:
    """An empty ledger target (a path or a URL)."""
    return new_target()


@pytest.fixture
def ledger(target: str, engine: Engine) -> Iterator[Ledger]:
    with open_ledger(target, engine) as opened:
        yield opened
