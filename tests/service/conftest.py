"""Real servers for the service's tests, each started once per test session on a loopback port.

- ``api``: the installed plugins, the test-only ones and the faulty one; a SQLite ledger; a
  bearer token. Most tests call it.
- ``limited``: the installed plugins and the test-only one; no ledger, no token; two workers; a
  4,096-byte body limit and a one-second time limit; person ids may be shown.

The service needs the ``service`` extra (in ``dev``); without it these tests are skipped, except
under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

try:
    import httpx
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # pragma: no cover - the dev extra installs them
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip(f"the service extra is not installed ({exc})", allow_module_level=True)

from support.ledger import need_postgres, postgres_schema
from support.service import Server, server

TOKEN = "test-token-0123456789abcdef"


@attrs.frozen
class Running:
    server: Server
    ledger: Path | None
    token: str | None

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, *, token: bool = True) -> httpx.Client:
        return self.server.client(self.token if token else None)


@pytest.fixture(scope="session")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("token") / "token"
    path.write_text(TOKEN + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory, token_file: Path) -> Iterator[Running]:
    ledger = tmp_path_factory.mktemp("api") / "ledger.sqlite"
    options = ["--ledger", str(ledger), "--token-file", str(token_file)]
    with server(*options, plugins=["-p", "testplugin", "-p", "support.faulty"]) as running:
        yield Running(running, ledger, TOKEN)


@pytest.fixture(scope="session")
def limited() -> Iterator[Running]:
    options = ["--workers", "2", "--max-body", "4096", "--timeout", "1", "--allow-show-ids"]
    with server(*options, plugins=["-p", "testplugin"]) as running:
        yield Running(running, None, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty ledger: a SQLite file, or a PostgreSQL schema of its own (skipped without a server)."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    need_postgres()
    with postgres_schema() as url:
        yield url
