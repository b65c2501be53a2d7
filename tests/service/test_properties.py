"""Property-based tests generated from the OpenAPI document (schemathesis): no request makes a 500.

Schemathesis reads the document a server with a token serves (the same one, made here; a test of
test_openapi.py checks they are equal) and, for every operation, sends to a real server (the
installed plugins and the test-only one, a SQLite ledger, a bearer token) the document's
examples and requests generated from its schemas — schemathesis's coverage phase (the boundaries of every
schema, valid and not: about 2,000 requests) and 10 random ones per operation — then checks each
answer: no server error, a status the document lists, the content type it lists, and a body that
validates against its schema. It takes about 15 seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from medinsure.service.openapi import examples, openapi_document
from support.service import server

TOKEN = "fuzz-token-0123456789abcdef"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("fuzz")
    token = folder / "token"
    token.write_text(TOKEN, encoding="utf-8")
    options = ["--ledger", str(folder / "ledger.sqlite"), "--token-file", str(token), "--timeout", "20"]
    with server(*options, plugins=["-p", "testplugin"]) as running:
        yield running.url


schema = schemathesis.openapi.from_dict(openapi_document(token=True))


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_generated_request_makes_a_server_error(case: schemathesis.Case, fuzzed: str) -> None:
    case.call_and_validate(base_url=fuzzed, headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS, timeout=30)


def test_the_examples_of_the_document_settle(fuzzed: str) -> None:
    """The request examples are real: the server settles them (not only refuses them politely)."""
    with httpx.Client(base_url=fuzzed, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
        response = client.post("/v1/settle", json=examples()["settle_request"])
    assert response.status_code == 200
    assert response.json() == examples()["settlements"]
