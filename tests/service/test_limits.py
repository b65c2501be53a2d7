"""Limits and workers: bodies above the limit, requests that take too long, the engine once per
worker, a server without a ledger, a ledger that cannot be read.

``limited`` (conftest) has two workers, a 4,096-byte body limit, a one-second time limit, no
ledger, and lets callers see person ids.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from medinsure.io.masking import mask_id
from support.ledger import tamper
from support.service import server

P = "210203198001011234"
CASE = {
    "jurisdiction": "testland",
    "patient": {"id": P, "scheme": "resident"},
    "claims": [
        {"id": "L1", "kind": "inpatient", "discharged": "2020-03-15", "hospital_level": "primary", "total": 5000}
        | {"in_scope": 5000}
    ],
}


def problem(response, status: int, name: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:medinsure:problem:{name}"
    return body


def test_a_body_declared_larger_than_the_limit_is_refused_unread(limited):
    big = json.dumps({**CASE, "reference": "x" * 5000}).encode()
    with limited.client() as client:
        response = client.post("/v1/settle", content=big, headers={"Content-Type": "application/json"})
        found = problem(response, 413, "body-too-large")
        assert found["detail"] == f"body: {len(big):,} bytes, above the server's limit of 4,096 bytes (--max-body)"
        assert client.post("/v1/settle", json=CASE).status_code == 200  # a small one still passes


def test_a_streamed_body_is_cut_at_the_limit(limited):
    def chunks() -> Iterator[bytes]:
        yield b'{"jurisdiction": "testland", "reference": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    with limited.client() as client:
        response = client.post("/v1/settle", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers  # sent chunked: the server counted
    found = problem(response, 413, "body-too-large")
    assert found["detail"] == "body: more, above the server's limit of 4,096 bytes (--max-body)"


def test_a_request_slower_than_the_time_limit_is_ended(limited):
    body = json.dumps(CASE).encode()
    address = urlsplit(limited.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        head = (
            f"POST /v1/settle HTTP/1.1\r\nHost: {address.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Request-Id: slow-1\r\n\r\n"
        )
        started = time.monotonic()
        conn.sendall(head.encode() + body[:10])  # then nothing more: the body never comes whole
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
        waited = time.monotonic() - started
    head_text, _, text = answer.partition(b"\r\n\r\n")
    assert head_text.startswith(b"HTTP/1.1 503")
    assert b"content-type: application/problem+json" in head_text.lower()
    found = json.loads(text)
    assert found["type"] == "urn:medinsure:problem:timeout"
    assert found["request_id"] == "slow-1"
    assert found["detail"] == "the request took longer than the server's limit of 1 s (--timeout)"
    assert 0.9 < waited < 5


def test_each_worker_builds_its_engine_once(limited):
    built: dict[int, set[str]] = {}
    with limited.client() as client:
        for _ in range(40):
            # a new connection each time, so that both workers answer
            worker = client.get("/v1/health", headers={"Connection": "close"}).json()["worker"]
            built.setdefault(worker["pid"], set()).add(worker["engine_built"])
    assert 1 <= len(built) <= 2
    assert all(len(times) == 1 for times in built.values()), built


def test_without_a_ledger_nothing_is_recorded(limited):
    with limited.client() as client:
        assert client.get("/v1/health").json()["ledger"] is False
        for method, path in (
            ("POST", "/v1/presettle"),
            ("POST", "/v1/settlements"),
            ("GET", "/v1/settlements/L1"),
            ("POST", "/v1/settlements/L1/reverse"),
            ("GET", f"/v1/persons/{P}/years/2020"),
        ):
            found = problem(client.request(method, path, json=CASE), 404, "not-found")
            assert "start it with --ledger" in found["detail"]


def test_a_server_that_allows_it_shows_person_ids(limited):
    with limited.client() as client:
        masked = client.post("/v1/settle", headers={"Accept": "text/html"}, json=CASE).text
        shown = client.post("/v1/settle", params={"show_ids": "true"}, headers={"Accept": "text/html"}, json=CASE)
    assert mask_id(P) in masked
    assert P not in masked
    assert P in shown.text


def test_a_server_without_a_token_answers_without_one(limited):
    with limited.client() as client:
        assert client.get("/v1/jurisdictions").status_code == 200
        assert "security" not in client.get("/openapi.json").json()


def test_a_ledger_that_cannot_be_read_is_a_503_and_logged(tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    with server("--ledger", str(ledger)) as running:
        with running.client() as client:
            assert client.get("/v1/health").status_code == 200
        tamper(str(ledger), "DROP TABLE ledger_claims")  # behind the server's back
        with running.client() as client:
            response = client.post("/v1/settlements", json=CASE, headers={"X-Request-Id": "gone-1"})
            found = problem(response, 503, "ledger-unavailable")
            health = client.get("/v1/health")
        assert (
            found["detail"] == "the ledger cannot be read or written now; the server logged why under request id gone-1"
        )
        assert str(tmp_path) not in response.text
        assert response.headers["retry-after"] == "5"
        assert health.status_code == 503
        assert "[gone-1]" in running.log()


@pytest.mark.parametrize(("protocol", "nodelay"), [("NoDelayProtocol", 1), ("H11Protocol", 0)])
def test_connections_on_a_listener_like_uvicorns_workers_get_nagle_off(protocol, nodelay):
    """uvicorn's workers listen on a socket bound without naming TCP: asyncio leaves Nagle's
    algorithm on for its connections (a response's body then waits ~40 ms for the client's
    delayed acknowledgement); the service's protocol turns it off."""
    import asyncio

    import uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol
    from uvicorn.server import ServerState

    from medinsure.service.server import NoDelayProtocol

    chosen = {"NoDelayProtocol": NoDelayProtocol, "H11Protocol": H11Protocol}[protocol]
    config = uvicorn.Config(app=lambda *_: None, http=chosen, log_config=None)
    config.load()
    seen: list[int] = []

    class Probe(chosen):  # type: ignore[misc, valid-type]
        def connection_made(self, transport):
            super().connection_made(transport)
            seen.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    async def accept_one() -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as uvicorn binds it: proto 0
        listener.bind(("127.0.0.1", 0))
        state = ServerState()
        server = await asyncio.get_running_loop().create_server(
            lambda: Probe(config=config, server_state=state, app_state={}), sock=listener
        )
        _, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(accept_one())
    assert seen == [nodelay]
