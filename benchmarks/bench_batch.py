"""Throughput and memory of the batch path, against baselines measured in the same run.

    python benchmarks/bench_batch.py [--claims N] [--sample N] [--jurisdiction CODE]

Builds a synthetic population of pre-settled claims (the basic settlement given, as insurers
receive them from the national platform; 1,000,000 by default) as a frame with int64 fen
columns, and prints claims per second of:

- the batch path, ``medinsure.batch.settle_frame`` (rules per group, grouped sums, fallback);
- the scalar engine, on a sample, extrapolated;
- a naive pure-Python ``Decimal`` loop doing only the tier arithmetic of one benefit;
- bare numpy doing the same arithmetic (grouped cumulative sums and the tier function);

and the batch path's peak memory per claim (tracemalloc, above the input frame). The batch and
numpy figures are the best of ``--repeat`` runs (a shared machine is noisy). Figures, never
a pass or fail: compare them between commits on the same machine. By default it uses the
test-only jurisdiction of tests/ so it runs without any plugin.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from medinsure import Claim, Engine, Patient
from medinsure.batch import settle_frame

THRESHOLD, TIERS = 2_000_000, ((0, 5_000_000, 60), (5_000_000, 10_000_000, 65), (10_000_000, None, 70))


def build(n: int, jurisdiction: str, year: int, seed: int = 7) -> pd.DataFrame:
    """``n`` pre-settled inpatient claims of residents and employees, 1 to 6 per person."""
    rng = np.random.default_rng(seed)
    per_person = rng.integers(1, 7, size=n)
    person = np.repeat(np.arange(n), per_person)[:n]
    in_scope = rng.integers(100_00, 20_000_000, size=n, dtype=np.int64)
    pool = (in_scope * rng.integers(40, 90, size=n)) // 100
    scheme = np.where(person % 2 == 0, "resident", "employee")
    days = np.sort(rng.integers(0, 365, size=n))
    days = np.datetime64(f"{year}-01-01") + days.astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "jurisdiction": pd.Categorical([jurisdiction] * n),
            "patient_id": pd.Series(person).map("P{}".format),
            "scheme": pd.Categorical(scheme),
            "claim_id": pd.Series(np.arange(n)).map("C{}".format),
            "kind": pd.Categorical(["inpatient"] * n),
            "discharged": pd.Series(days).astype("datetime64[s]"),
            "total_fen": in_scope + rng.integers(0, 100_000, size=n),
            "in_scope_fen": in_scope,
            "basic_pool_fen": pool,
            "basic_in_scope_self_pay_fen": in_scope - pool,
        }
    )


def annual(base: Decimal) -> Decimal:
    total = Decimal(0)
    measured = base - Decimal(THRESHOLD) / 100
    for start, end, pct in TIERS:
        s = Decimal(start) / 100
        top = measured if end is None else min(measured, Decimal(end) / 100)
        if top > s:
            total += (top - s) * Decimal(pct) / 100
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def naive(frame: pd.DataFrame) -> list[Decimal]:
    """Only the tier arithmetic, in Decimal: accumulate a base per person and take F(after) − F(before)."""
    out, last, acc = [], None, Decimal(0)
    for person, self_pay in zip(frame["patient_id"], frame["basic_in_scope_self_pay_fen"], strict=True):
        if person != last:
            last, acc = person, Decimal(0)
        before = acc
        acc += Decimal(int(self_pay)) / 100
        out.append(annual(acc) - annual(before))
    return out


def bare_numpy(person: np.ndarray, self_pay: np.ndarray) -> np.ndarray:
    """The same arithmetic with numpy on int64 fen: grouped cumulative sum, F(after) − F(before)."""
    start = np.empty(len(person), dtype=bool)
    start[0] = True
    np.not_equal(person[1:], person[:-1], out=start[1:])
    cs = np.cumsum(self_pay)
    prev = cs - self_pay
    gid = np.cumsum(start) - 1
    before = prev - prev[np.flatnonzero(start)][gid]
    after = before + self_pay

    def f(base: np.ndarray) -> np.ndarray:
        measured = base - THRESHOLD
        total = np.zeros(len(base), dtype=np.int64)
        for lo, hi, pct in TIERS:
            seg = measured - lo if hi is None else np.minimum(measured - lo, hi - lo)
            total += np.maximum(seg, 0) * pct
        return (total + 50) // 100

    return f(after) - f(before)


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>14,.0f} claims/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="claims for the scalar and naive loops")
    parser.add_argument("--jurisdiction", default="testland", help="an installed code, or testland (tests/)")
    parser.add_argument("--year", type=int, default=2021)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the batch and numpy paths (best kept)")
    args = parser.parse_args()
    if args.jurisdiction in ("testland", "testcity"):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        import testplugin

        engine = Engine.from_plugins(testplugin)
    else:
        engine = Engine.from_installed()
    print(
        f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}"
    )
    t = time.perf_counter()
    frame = build(args.claims, args.jurisdiction, args.year)
    print(f"built {args.claims:,} pre-settled claims of {args.jurisdiction} in {time.perf_counter() - t:.1f} s")

    settle_frame(frame.head(1000), engine=engine)  # warm up
    batch = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = settle_frame(frame, engine=engine)
        batch = min(batch, time.perf_counter() - t)
    fallback = result.attrs["medinsure"]["fallback_rows"]

    person = pd.factorize(frame["patient_id"])[0]
    self_pay = frame["basic_in_scope_self_pay_fen"].to_numpy()
    numpy_time = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        bare_numpy(person, self_pay)
        numpy_time = min(numpy_time, time.perf_counter() - t)

    sample = frame.head(args.sample)
    people: dict[str, tuple[Patient, list[Claim]]] = {}
    for row in sample.itertuples(index=False):
        patient = people.get(row.patient_id, (Patient(id=row.patient_id, scheme=row.scheme), []))
        patient[1].append(
            Claim.from_mapping(
                {
                    "id": row.claim_id,
                    "kind": "inpatient",
                    "discharged": row.discharged.date(),
                    "total": Decimal(int(row.total_fen)) / 100,
                    "basic": {
                        "pool": Decimal(int(row.basic_pool_fen)) / 100,
                        "in_scope_self_pay": Decimal(int(row.basic_in_scope_self_pay_fen)) / 100,
                    },
                }
            )
        )
        people[row.patient_id] = patient
    t = time.perf_counter()
    for patient, claims in people.values():
        engine.settle(patient, claims, jurisdiction=args.jurisdiction)
    scalar = time.perf_counter() - t
    t = time.perf_counter()
    naive(sample)
    naive_time = time.perf_counter() - t

    tracemalloc.start()
    settle_frame(frame, engine=engine)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    n, s = args.claims, args.sample
    print(f"batch path        {rate(n, batch)}   ({batch:.2f} s; {fallback:,} rows by the scalar fallback)")
    print(
        f"bare numpy        {rate(n, numpy_time)}   (tier arithmetic only; batch is {batch / numpy_time:.1f}x slower)"
    )
    print(
        f"scalar engine     {rate(s, scalar)}   (sample of {s:,}; batch is {batch and (n / batch) / (s / scalar):,.0f}x faster)"
    )
    print(f"naive Decimal     {rate(s, naive_time)}   (tier arithmetic only, sample of {s:,})")
    computed = frame.drop(columns=["basic_pool_fen", "basic_in_scope_self_pay_fen"]).assign(
        hospital_level=pd.Categorical.from_codes(np.arange(n) % 4, ["tertiary", "secondary", "primary", "community"])
    )
    t = time.perf_counter()
    again = settle_frame(computed, engine=engine)
    full = time.perf_counter() - t
    share = again.attrs["medinsure"]["fallback_rows"] / n
    print(
        f"batch, basic too  {rate(n, full)}   (the same claims without their basic settlement; {share:.2%} by the fallback)"
    )
    print(f"peak memory       {peak / n:>14,.0f} bytes/claim (batch path, above the input frame)")
    print(f"input frame       {frame.memory_usage(deep=True).sum() / n:>14,.0f} bytes/claim")


if __name__ == "__main__":
    main()
