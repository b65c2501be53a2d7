"""Support for the ledger tests: database targets, workloads, worker processes, the CLI as a process.

Worker functions live here (not in a test module) so that processes started with ``spawn``
can import them.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

import testplugin
from medinsure import Claim, Engine, Patient
from medinsure.ledger import ClaimReversed, Ledger, open_ledger
from medinsure.ledger.codec import canonical_json

TESTS = Path(__file__).parent.parent
PG_ENV = "MEDINSURE_TEST_POSTGRES_URL"
CLI = ["--no-entry-points", "-p", "testplugin"]

Item = tuple[dict[str, Any], dict[str, Any], str]  # patient mapping, claim mapping, jurisdiction


# --- targets ----------------------------------------------------------------------------------


def need_postgres() -> None:
    """Skip without a PostgreSQL URL or driver; under ``CI=true`` fail instead: CI must show both."""
    import pytest

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


def postgres_url(schema: str) -> str:
    base = os.environ[PG_ENV]
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test database; its URL; dropped afterwards."""
    import psycopg

    schema = f"ledger_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(os.environ[PG_ENV], autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield postgres_url(schema)
    finally:
        with psycopg.connect(os.environ[PG_ENV], autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def claim_counter(target: str) -> Iterator[Callable[[], int]]:
    """Counts the claims recorded so far, read without the library and without waiting for
    writers, through one connection kept open (a poll must be quick to stop a process in time)."""
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:

            def count_pg() -> int:
                if conn.execute("SELECT to_regclass('ledger_claims')").fetchone()[0] is None:  # type: ignore[index]
                    return 0
                return int(conn.execute("SELECT COUNT(*) FROM ledger_claims").fetchone()[0])  # type: ignore[index]

            yield count_pg
        return
    conn = sqlite3.connect(target, timeout=5, isolation_level=None)

    def count_sqlite() -> int:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM ledger_claims").fetchone()[0])
        except sqlite3.OperationalError:  # not created yet
            return 0

    try:
        yield count_sqlite
    finally:
        conn.close()


@contextmanager
def file_writer_probe(target: str) -> Iterator[Callable[[], bool]]:
    """Tells whether a file is being recorded in one transaction: whether a writer holds the
    ledger alone (SQLite's write lock; on PostgreSQL the ledger-wide advisory lock, whose two-key
    form shows in ``pg_locks`` with ``objsubid`` 2)."""
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:

            def held_pg() -> bool:
                row = conn.execute(
                    "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
                    " AND mode = 'ExclusiveLock' AND granted"
                ).fetchone()
                return bool(row and row[0])

            yield held_pg
        return
    conn = sqlite3.connect(target, timeout=0, isolation_level=None)

    def held_sqlite() -> bool:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # locked: a writer is inside its transaction
            return True
        conn.execute("ROLLBACK")
        return False

    try:
        yield held_sqlite
    finally:
        conn.close()


def tamper(target: str, sql: str) -> None:
    """Change the ledger's tables behind its back."""
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(sql)
    else:
        with sqlite3.connect(target) as conn:
            conn.execute(sql)


def engine() -> Engine:
    return Engine.from_plugins(testplugin)


# --- workloads --------------------------------------------------------------------------------


def _money(rng: random.Random, low: int, high: int) -> str:
    return str(Decimal(rng.randint(low * 100, high * 100)) / 100)


def workload(
    seed: int, persons: int, claims_per_year: int, years: tuple[int, ...] = (2020, 2021), start: int = 0
) -> list[Item]:
    """Claims of ``persons`` persons in testland, in file order (per person, per year).

    The persons depend on ``seed`` alone; claims are numbered from ``start``, so that a second
    workload of the same seed with another ``start`` gives the same persons more claims.

    Every basic pool stays below its annual cap (residents: at most 4 × 30,000 in scope at a
    ratio of at most 70% < 100,000; employees: 4 × 50,000 at 90% < 200,000), so each claim's
    basic pool does not depend on the order, and a person-year's totals are order-invariant.
    """
    rng = random.Random(seed * 1000 + start)
    items: list[Item] = []
    for p in range(persons):
        scheme = ("resident", "employee", "resident")[p % 3]
        patient: dict[str, Any] = {"id": f"2102{seed:04d}{p:06d}{p % 10}{seed % 1000:03d}", "scheme": scheme}
        if p % 3 == 2:
            patient["categories"] = ["minimum_living"]
        if scheme == "employee" and p % 2:
            patient["status"] = "retired"
        for year in years:
            for i in range(start, start + claims_per_year):
                kind = "outpatient_dialysis" if scheme == "employee" and i == 1 else "inpatient"
                in_scope = _money(rng, 2_000, 30_000 if scheme == "resident" else 50_000)
                claim = {
                    "id": f"S{seed}P{p}Y{year}N{i}",
                    "kind": kind,
                    "discharged": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "hospital_level": rng.choice(["tertiary", "secondary", "primary", "community"]),
                    "total": str(Decimal(in_scope) + Decimal(_money(rng, 0, 3_000))),
                    "in_scope": in_scope,
                }
                items.append((patient, claim, "testland"))
    return items


def scenario_text(items: list[Item]) -> str:
    """A scenario file with one case per person, claims in the order given."""
    cases: dict[str, dict[str, Any]] = {}
    for patient, claim, jurisdiction in items:
        case = cases.setdefault(
            patient["id"],
            {"name": f"person {len(cases) + 1}", "jurisdiction": jurisdiction, "patient": patient, "claims": []},
        )
        case["claims"].append(claim)
    return yaml.safe_dump(list(cases.values()), allow_unicode=True, sort_keys=False)


def settle_items(ledger: Ledger, items: list[Item], pause: float = 0) -> dict[str, str]:
    """Settle each item (``pause`` seconds apart); the canonical JSON of each settlement, by claim
    id. A claim reversed meanwhile (by another process) is left out."""
    out = {}
    for p, c, j in items:
        try:
            s = ledger.settle(Patient.from_mapping(p), Claim.from_mapping(c), jurisdiction=j)
        except ClaimReversed:
            continue
        out[c["id"]] = canonical_json(s.to_dict())
        time.sleep(pause)
    return out


def shuffled(items: list[Item], seed: int) -> list[Item]:
    order = list(items)
    random.Random(seed).shuffle(order)
    return order


def current_state(ledger: Ledger, items: list[Item]) -> dict[str, Any]:
    """What a run leaves: each claim's place among all claims, version, status and settlement,
    and each person-year's accumulator."""
    entries = {c["id"]: ledger.entry(c["id"]) for _, c, _ in items}
    order = sorted((e.seq, cid) for cid, e in entries.items() if e is not None)
    return {
        "order": [cid for _, cid in order],
        "claims": {
            cid: None
            if e is None
            else (e.version, e.status, None if e.settlement is None else canonical_json(e.settlement.to_dict()))
            for cid, e in entries.items()
        },
        "accumulators": {
            f"{p['id']}/{year}": canonical_json(ledger.accumulator(p["id"], year).to_dict())
            for p, c, _ in items
            for year in [int(c["discharged"][:4])]
        },
    }


def audit_trail(ledger: Ledger, items: list[Item]) -> list[Any]:
    """Every event of the persons of ``items``, without its id and time."""
    persons = sorted({p["id"] for p, _, _ in items})
    return [
        (e.kind, e.claim_id, e.reason, [attr_tuple(a)[1:] for a in e.adjustments], list(e.versions))
        for person in persons
        for e in ledger.events(person)
    ]


def attr_tuple(obj: Any) -> tuple[Any, ...]:
    import attrs

    return attrs.astuple(obj, recurse=False)


# --- worker processes -------------------------------------------------------------------------


def run_workers(jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]], timeout: float = 120) -> list[Any]:
    """Run each ``function(start, *args)`` in a process of its own (spawned, not forked);
    their results in order. ``start`` is a barrier: a worker opens its ledger, then waits
    there, so that all of them begin at the same moment."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [ctx.Process(target=_job, args=(i, fn, start, args, results)) for i, (fn, args) in enumerate(jobs)]
    for proc in procs:
        proc.start()
    out: dict[int, Any] = {}
    try:
        for _ in procs:
            index, ok, value = results.get(timeout=timeout)
            if not ok:
                raise AssertionError(f"worker {index} failed: {value}")
            out[index] = value
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
    return [out[i] for i in range(len(jobs))]


def _job(index: int, fn: Callable[..., Any], start: Any, args: tuple[Any, ...], results: Any) -> None:
    try:
        results.put((index, True, fn(start, *args)))
    except BaseException as exc:
        results.put((index, False, f"{type(exc).__name__}: {exc}"))


def worker_settle(start: Any, target: str, items: list[Item], seed: int, pause: float = 0.002) -> dict[str, str]:
    """Settle ``items`` in an order of this worker's own; what each settle returned.

    The short pause between claims (a batch job reads and checks its next claim) lets the
    writers take turns: SQLite's lock has no queue, and a process that commits back to back
    would otherwise settle nearly everything before the others wake from their back-off.
    """
    with open_ledger(target, engine()) as ledger:
        start.wait()
        return settle_items(ledger, shuffled(items, seed), pause)


def worker_reverse(start: Any, target: str, claim_ids: list[str], reason: str) -> list[str]:
    """Reverse claims, each as soon as it is recorded (while other workers settle)."""
    done = []
    with open_ledger(target, engine()) as ledger:
        start.wait()
        for claim_id in claim_ids:
            deadline = time.monotonic() + 60
            while ledger.entry(claim_id) is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(claim_id)
                time.sleep(0.005)
            ledger.reverse(claim_id, reason=reason)
            done.append(claim_id)
    return done


# --- the command line as a process ------------------------------------------------------------


def cli_process(*argv: str, stdout: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """``medinsure ARGV`` with the test-only plugin, as a process of its own."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-m", "medinsure.cli", *argv, *CLI],
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


def kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float = 60) -> None:
    """SIGKILL ``proc`` as soon as ``ready()``; fail if it ends before that."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            raise AssertionError(f"the process ended (exit {proc.returncode}) before it could be killed")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the process made no progress")
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def as_json(text: str) -> Any:
    return json.loads(text)
