"""Throughput of the scalar engine, against a baseline measured in the same run.

The baseline is a naive pure-Python loop doing only the tier arithmetic of one benefit with
Decimal; the engine does the whole pipeline with a full trace (lines, rule versions,
accumulators). The script prints claims per second of each and their ratio, never a pass or
fail: compare ratios between commits on the same machine.

    python benchmarks/bench_engine.py [--claims N] [--repeat N] [--jurisdiction CODE]

Each is timed ``--repeat`` times, interleaved, and the best run of each is kept. Times are
the CPU time of the process (a shared machine disturbs it far less than the wall clock).
``--no-lines`` settles with ``Engine.without_lines()`` as well.

By default it uses the test-only jurisdiction of tests/ so it runs without any plugin.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
import tracemalloc
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from medinsure import Claim, Engine, Patient


def build(n: int, seed: int = 7) -> list[tuple[Patient, list[Claim]]]:
    rnd = random.Random(seed)
    people = []
    made = 0
    person = 0
    while made < n:
        k = min(rnd.randint(1, 6), n - made)
        scheme = rnd.choice(["resident", "employee"])
        patient = Patient(id=f"P{person}", scheme=scheme)
        claims = []
        for i in range(k):
            in_scope = Decimal(rnd.randint(100_00, 20_000_000)) / 100
            claims.append(
                Claim(
                    id=f"P{person}C{i}",
                    kind="inpatient",
                    discharged=dt.date(2021, rnd.randint(1, 12), rnd.randint(1, 28)),
                    total=in_scope + Decimal(rnd.randint(0, 100_000)) / 100,
                    in_scope=in_scope,
                    hospital_level=rnd.choice(["tertiary", "secondary", "primary", "community"]),
                )
            )
        claims.sort(key=lambda c: c.discharged)
        people.append((patient, claims))
        made += k
        person += 1
    return people


def naive_tiers(people: list[tuple[Patient, list[Claim]]]) -> None:
    """Only the tier arithmetic: accumulate a base per person and take F(after) − F(before)."""
    threshold = Decimal(20000)
    tiers = (
        (Decimal(0), Decimal(50000), Decimal("0.60")),
        (Decimal(50000), Decimal(100000), Decimal("0.65")),
        (Decimal(100000), None, Decimal("0.70")),
    )
    fen = Decimal("0.01")

    def f(x: Decimal) -> Decimal:
        above = x - threshold
        total = Decimal(0)
        for lo, hi, r in tiers:
            top = above if hi is None else min(above, hi)
            if top > lo:
                total += (top - lo) * r
        return total.quantize(fen, rounding=ROUND_HALF_UP)

    for _patient, claims in people:
        base = Decimal(0)
        for claim in claims:
            after = base + claim.in_scope
            _ = f(after) - f(base)
            base = after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (the best is kept)")
    parser.add_argument("--jurisdiction", default=None, help="an installed jurisdiction (default: the test-only one)")
    parser.add_argument("--no-lines", action="store_true", help="also time an engine without lines of explanation")
    args = parser.parse_args()
    if args.jurisdiction:
        engine, code = Engine.from_installed(), args.jurisdiction
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        import testplugin

        engine, code = Engine.from_plugins(testplugin), "testland"
    people = build(args.claims)
    n = sum(len(c) for _, c in people)

    def settle_all(chosen: Engine = engine) -> None:
        for patient, claims in people:
            chosen.settle(patient, claims, jurisdiction=code)

    fast = engine.without_lines() if args.no_lines else None
    naive = scalar = quick = float("inf")
    for _ in range(args.repeat):  # interleaved, best kept: a shared machine has slow spells
        t0 = time.process_time()
        naive_tiers(people)
        naive = min(naive, time.process_time() - t0)
        t0 = time.process_time()
        settle_all()
        scalar = min(scalar, time.process_time() - t0)
        if fast is not None:
            t0 = time.process_time()
            settle_all(fast)
            quick = min(quick, time.process_time() - t0)

    tracemalloc.start()  # a separate pass: tracing slows the code it measures
    settle_all()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"claims: {n} ({code})")
    print(f"baseline, naive Decimal tier loop : {n / naive:12,.0f} claims/s")
    print(f"scalar engine, full trace         : {n / scalar:12,.0f} claims/s")
    print(f"ratio engine / baseline           : {naive / scalar:12.3f}")
    if fast is not None:
        print(f"scalar engine, without lines      : {n / quick:12,.0f} claims/s ({scalar / quick:.2f}x the full trace)")
    print(f"peak traced memory while settling : {peak:12,} bytes (results dropped after each person)")


if __name__ == "__main__":
    main()
