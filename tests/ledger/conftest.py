"""Every ledger test runs twice: on a SQLite file and on a PostgreSQL schema of its own.

The PostgreSQL runs need ``MEDINSURE_TEST_POSTGRES_URL`` (``.ci/setup-postgres.sh`` prints one).
Without it they are skipped — except under ``CI=true``, where a missing server, URL or driver
is a failure: CI must show both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from medinsure import Engine
from medinsure.ledger import Ledger, open_ledger
from support.ledger import need_postgres, postgres_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def new_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Makes empty ledger targets of one backend: SQLite files, or PostgreSQL schemas."""
    backend = request.param
    if backend == "postgresql":
        need_postgres()
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
