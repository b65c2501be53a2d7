"""Support for the service's tests: a real server in a process of its own, and the OpenAPI examples.

:func:`server` starts ``medinsure serve`` on a free loopback port (the test-only plugin, or the
installed ones), waits until ``/v1/health`` answers, and stops it with SIGTERM afterwards; its
standard error (the server's log) is kept for the test to read. :func:`make_examples` makes the
examples of the OpenAPI document from real calls of the service's operations.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx

from medinsure import Engine
from medinsure.errors import ClaimConflict, MedinsureError, RequestError
from medinsure.io.data import read_data_file
from medinsure.io.masking import IdMasker
from medinsure.io.writers import settlement_record
from medinsure.ledger import open_ledger
from medinsure.rules.describe import rules_as_dict
from medinsure.service import operations
from medinsure.service.problems import problem_of
from medinsure.service.requests import CaseRequest
from support import as_json

TESTS = Path(__file__).parent.parent
ROOT = TESTS.parent
TEST_PLUGIN = ["--no-entry-points", "-p", "testplugin"]
EXAMPLES = ROOT / "src" / "medinsure" / "service" / "examples.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@attrs.frozen
class Server:
    """A running ``medinsure serve``: its base URL, its process and the file of its log."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, token: str | None = None, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kw)


def serve_command(*options: str) -> list[str]:
    return [sys.executable, "-m", "medinsure.cli", "serve", *options]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}


@contextmanager
def server(*options: str, plugins: list[str] | None = None, timeout: float = 60) -> Iterator[Server]:
    """``medinsure serve OPTIONS`` on a free port of 127.0.0.1 until the block ends."""
    with servers(1, *options, plugins=plugins, timeout=timeout) as (running,):
        yield running


@contextmanager
def servers(count: int, *options: str, plugins: list[str] | None = None, timeout: float = 60) -> Iterator[list[Server]]:
    """``count`` servers of the same options, started at the same time, each on a port of its own."""
    plugins = TEST_PLUGIN if plugins is None else plugins
    with tempfile.TemporaryDirectory(prefix="medinsure-serve-") as folder, ExitStack() as stack:
        running = []
        for i in range(count):
            started = _start(Path(folder) / f"server-{i}.log", [*options, *plugins])
            stack.callback(stop, started.process)
            running.append(started)
        for started in running:
            _wait_until_up(started, timeout)
        yield running


def _start(log_path: Path, argv: list[str]) -> Server:
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            serve_command("--port", str(port), *argv), env=environment(), stdout=log, stderr=subprocess.STDOUT
        )
    return Server(f"http://127.0.0.1:{port}", process, log_path)


def _wait_until_up(running: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while running.process.poll() is None:
        try:
            if httpx.get(f"{running.url}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"medinsure serve did not answer within {timeout} s:\n{running.log()}")
        time.sleep(0.05)
    raise AssertionError(f"medinsure serve ended (exit {running.process.returncode}):\n{running.log()}")


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> int:
    """SIGTERM, then SIGKILL if it has not ended within ``timeout`` seconds; its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


# --- the examples of the OpenAPI document ------------------------------------------------------------


def dalian_request() -> dict[str, Any]:
    """The case of ``examples/dalian-2021.yaml`` as a request body (without its expectations)."""
    (case,) = read_data_file(ROOT / "examples" / "dalian-2021.yaml")
    return {key: as_json(value) for key, value in case.items() if key != "expect"}


REQUEST_ID = "6f1c2a0b9e8d4c7fa1b2c3d4e5f60718"
WHEN = "2025-01-02T03:04:05.000000+00:00"


def _problem(exc: BaseException, instance: str) -> dict[str, Any]:
    return problem_of(exc, request_id=REQUEST_ID).to_dict(instance=instance, request_id=REQUEST_ID)


def _trimmed_rules(rules: dict[str, Any]) -> dict[str, Any]:
    def table(t: dict[str, Any]) -> dict[str, Any]:
        return {**t, "rows": t["rows"][:1]}

    return {
        **rules,
        "tables": [table(t) for t in rules["tables"][:1]],
        "benefits": [{**b, "schedules": table(b["schedules"])} for b in rules["benefits"][:1]],
        "eligibility": rules["eligibility"][:1],
        "combined_caps": rules["combined_caps"][:1],
    }


def make_examples() -> dict[str, Any]:
    """The examples, from the installed Dalian plugin and a ledger of the Dalian case."""
    engine = Engine.from_installed()
    request = dalian_request()
    case = CaseRequest.from_mapping(request)
    settlements = operations.settle(engine, case)
    records = [settlement_record(s) for s in settlements]
    bad = {**request, "claims": [request["claims"][0], {**request["claims"][1], "in_scope": 200000}]}
    problems: dict[str, Any] = {}
    try:
        CaseRequest.from_mapping(bad)
    except MedinsureError as exc:
        problems["422"] = _problem(exc, "/v1/settle")
    with tempfile.TemporaryDirectory() as folder, open_ledger(Path(folder) / "ledger.sqlite", engine) as ledger:
        operations.record(ledger, case)
        changed = {**request, "claims": [{**request["claims"][0], "total": 39000}]}
        try:
            operations.record(ledger, CaseRequest.from_mapping(changed, accumulators=False))
        except ClaimConflict as exc:
            problems["409"] = _problem(exc, "/v1/settlements")
        event = {
            **operations.event_record(ledger.reverse("A1", reason="refund: settled in error")),
            "recorded_at": WHEN,
        }
        person = request["patient"]["id"]
        year = operations.person_year(ledger, person, 2021, national=False)
    year["events"] = [{**e, "recorded_at": WHEN} for e in year["events"]]
    year = operations.masked(year, IdMasker(), [person])
    for status, detail in (
        (400, "invalid JSON: Expecting ',' delimiter"),
        (401, "a bearer token is needed: Authorization: Bearer TOKEN"),
        (403, "show_ids=true: this server masks person ids (start it with --allow-show-ids)"),
        (404, "claim.id='A9': not in the ledger"),
        (405, "GET /v1/settle: the path does not take this method"),
        (410, "claim.id='A1': reversed (the person-year's audit trail has when)"),
        (413, "body: 2,000,000 bytes, above the server's limit of 1,048,576 bytes (--max-body)"),
        (415, "Content-Type 'text/plain': expected application/json"),
        (503, "the request took longer than the server's limit of 30 s (--timeout)"),
    ):
        problems[str(status)] = _problem(RequestError(status, "", detail), "/v1/settle")
    problems["500"] = _problem(RuntimeError("example"), "/v1/settle")
    return {
        "settle_request": request,
        "settlements": records,
        "sheet": '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>出院结算单 A1</title>…</html>',
        "reverse_request": {"reason": "refund: settled in error"},
        "event": event,
        "person_year": year,
        "health": {
            "status": "ok",
            "version": "0.1.0",
            "jurisdictions": engine.jurisdictions,
            "ledger": True,
            "worker": {"pid": 4242, "engine_built": WHEN},
        },
        "jurisdictions": operations.jurisdictions(engine),
        "rules": _trimmed_rules(rules_as_dict(engine.rules("dalian"), year=2021)),
        "problems": dict(sorted(problems.items())),
    }


def write_examples() -> None:
    EXAMPLES.write_text(json.dumps(make_examples(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":  # python tests/support/service.py: write the examples again
    write_examples()
