"""The settlement service's HTTP overhead: one-claim stateless settles, over HTTP and in process.

The same claims, one claim per request, are settled

- in process by ``Engine.settle`` (the baseline);
- in process the way the service does it: the JSON body read by ``CaseRequest.from_mapping``,
  settled, and the answer written by ``settlement_record`` and ``json.dumps``;
- over HTTP by ``POST /v1/settle`` to a ``medinsure serve`` started here on a loopback port,
  by one client on one kept-alive connection;
- over HTTP by several clients at once (threads, one connection each), for throughput.

It prints requests per second and the median and 99th-percentile latency of each, and their
ratios (the HTTP overhead), never a pass or fail: compare ratios between commits on the same
machine. The passes are interleaved ``--repeat`` times and the best of each is kept.

    python benchmarks/bench_service.py [--claims N] [--repeat N] [--clients N] [--workers N]
                                       [--jurisdiction CODE]

By default it uses the test-only jurisdiction of tests/ so it runs without any plugin.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from medinsure import Claim, Engine, Patient
from medinsure.io.writers import settlement_record
from medinsure.service import operations
from medinsure.service.requests import CaseRequest

TESTS = Path(__file__).resolve().parent.parent / "tests"


def bodies(n: int, code: str, seed: int = 14) -> list[dict[str, Any]]:
    """``n`` one-claim requests of different persons (inpatient, 2021, a random level and cost)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        in_scope = rnd.randint(100_00, 20_000_000)
        claim = {
            "id": f"B{i}",
            "kind": "inpatient",
            "discharged": f"2021-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            "hospital_level": rnd.choice(["tertiary", "secondary", "primary", "community"]),
            "total": f"{(in_scope + rnd.randint(0, 100_000)) / 100:.2f}",
            "in_scope": f"{in_scope / 100:.2f}",
        }
        patient = {"id": f"P{i}", "scheme": rnd.choice(["resident", "employee"])}
        out.append({"jurisdiction": code, "patient": patient, "claims": [claim]})
    return out


def timed(run_one: Callable[[Any], Any], items: list[Any]) -> tuple[float, list[float]]:
    """Total seconds and each call's seconds."""
    latencies = []
    started = time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        run_one(item)
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - started, latencies


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, workers: int, plugin_args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "medinsure.cli", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        [*command, "--log-level", "warning", *plugin_args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


class Client:
    """One kept-alive connection posting settle requests."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.connect()
        # http.client sends the headers and the body in two writes: without this, Nagle's algorithm
        # holds the body back until the server's delayed acknowledgement (some 40 ms)
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def settle(self, body: bytes) -> None:
        self.conn.request("POST", "/v1/settle", body=body, headers={"Content-Type": "application/json"})
        response = self.conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"POST /v1/settle answered {response.status}: {payload[:300]!r}")


def concurrent(port: int, payloads: list[bytes], clients: int) -> tuple[float, list[float]]:
    """The payloads shared among ``clients`` threads; total seconds and every latency."""
    shares = [payloads[i::clients] for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    connections = [Client(port) for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def work(k: int) -> None:
        start.wait()
        latencies[k] = timed(connections[k].settle, shares[k])[1]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    total = time.perf_counter() - t0
    for c in connections:
        c.conn.close()
    return total, [x for part in latencies for x in part]


def summary(total: float, latencies: list[float]) -> tuple[float, float, float]:
    """Requests per second, median and 99th-percentile latency (ms)."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(latencies) / total, statistics.median(ordered) * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=2000, help="one-claim requests per pass")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved passes of each (the best is kept)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the throughput pass")
    parser.add_argument("--workers", type=int, default=2, help="server workers")
    parser.add_argument("--jurisdiction", default=None, help="an installed jurisdiction (default: the test-only one)")
    args = parser.parse_args()
    if args.jurisdiction:
        engine, code, plugin_args = Engine.from_installed(), args.jurisdiction, []
    else:
        sys.path.insert(0, str(TESTS))
        import testplugin

        engine, code = Engine.from_plugins(testplugin), "testland"
        plugin_args = ["--no-entry-points", "-p", "testplugin"]
    requests = bodies(args.claims, code)
    objects = [(Patient.from_mapping(b["patient"]), [Claim.from_mapping(c) for c in b["claims"]]) for b in requests]
    payloads = [json.dumps(b).encode() for b in requests]

    def engine_call(item: tuple[Patient, list[Claim]]) -> None:
        engine.settle(item[0], item[1], jurisdiction=code)

    def service_call(payload: bytes) -> None:
        case = CaseRequest.from_mapping(json.loads(payload))
        json.dumps([settlement_record(s) for s in operations.settle(engine, case)], ensure_ascii=False)

    port = free_port()
    server = start_server(port, args.workers, plugin_args)
    best: dict[str, tuple[float, list[float]]] = {}

    def keep(name: str, result: tuple[float, list[float]]) -> None:
        if name not in best or statistics.median(result[1]) < statistics.median(best[name][1]):
            best[name] = result

    try:
        client = Client(port)
        timed(client.settle, payloads[:200])  # warm-up: connections, plan caches of every worker
        concurrent(port, payloads[:200], args.clients)
        for _ in range(args.repeat):  # interleaved: a shared machine has slow spells
            keep("engine", timed(engine_call, objects))
            keep("service in process", timed(service_call, payloads))
            keep("http", timed(client.settle, payloads))
            keep("http concurrent", concurrent(port, payloads, args.clients))
        client.conn.close()
    finally:
        server.terminate()
        server.wait(timeout=30)

    rows = {
        "engine.settle, in process": summary(*best["engine"]),
        "read + settle + JSON, in process": summary(*best["service in process"]),
        "POST /v1/settle, 1 client": summary(*best["http"]),
        f"POST /v1/settle, {args.clients} clients": summary(*best["http concurrent"]),
    }
    print(f"one-claim settles: {args.claims} a pass ({code}); server: {args.workers} workers; best of {args.repeat}")
    print(f"{'':36}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, (rps, p50, p99) in rows.items():
        print(f"{name:36}{rps:10,.0f}{p50:10.3f}{p99:10.3f}")
    engine_rps, engine_p50, _ = rows["engine.settle, in process"]
    http_rps, http_p50, _ = rows["POST /v1/settle, 1 client"]
    many_rps = rows[f"POST /v1/settle, {args.clients} clients"][0]
    print(f"ratio p50 latency, HTTP (1 client) / engine      : {http_p50 / engine_p50:8.1f}")
    print(f"ratio req/s, engine / HTTP (1 client)            : {engine_rps / http_rps:8.1f}")
    print(f"ratio req/s, engine / HTTP ({args.clients} clients)          : {engine_rps / many_rps:8.1f}")


if __name__ == "__main__":
    main()
