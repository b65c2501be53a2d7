"""Throughput and memory of the batch path, against baselines measured in the same run.

    python benchmarks/bench_batch.py [--claims N] [--sample N] [--jurisdiction CODE]

Builds a synthetic population of pre-settled claims (the basic settlement given, as insurers
receive them from the national platform; 1,000,000 by default) as a frame with int64 fen
columns, and prints claims per second of:

- the batch path, ``medinsure.research.batch.settle_frame`` (rules per group, grouped sums, fallback),
  on the frame as built (text ids), after ``prepare`` and with coded ids (categorical persons,
  numbered claims);
- the scalar engine, on a sample, extrapolated;
- a naive pure-Python ``Decimal`` loop doing only the tier arithmetic of one benefit;
- bare numpy doing the batch path's arithmetic for these claims (every benefit's grouped
  cumulative sums and tier function, person codes given), checked to give the same amounts;

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

import attrs
import numpy as np
import pandas as pd

from medinsure import Claim, Engine, Patient
from medinsure.research.batch import prepare, settle_frame
from medinsure.rules.tables import Schedule

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


@attrs.frozen
class Tiers:
    """A schedule as integers: fen bounds and rates in millionths."""

    threshold: int
    tiers: tuple[tuple[int, int | None, int], ...]
    cap: int | None

    @classmethod
    def of(cls, schedule: Schedule) -> Tiers:
        fen = lambda d: int(d * 100)  # noqa: E731
        threshold = fen(schedule.threshold) if schedule.basis == "above_threshold" else 0
        tiers = tuple(
            (fen(t.start), None if t.end is None else fen(t.end), int(t.rate * 1_000_000)) for t in schedule.tiers
        )
        return cls(threshold, tiers, None if schedule.cap is None else fen(schedule.cap))

    def annual(self, base: np.ndarray) -> np.ndarray:
        total = np.zeros(len(base), dtype=np.int64)
        for lo, hi, n in self.tiers:
            seg = base - (self.threshold + lo)
            if hi is not None:
                np.minimum(seg, hi - lo, out=seg)
            np.maximum(seg, 0, out=seg)
            seg *= n
            total += seg
        total += 500_000
        total //= 1_000_000
        return total if self.cap is None else np.minimum(total, self.cap, out=total)


def benefit_plan(engine: Engine, code: str, year: int) -> list[tuple[str, str, dict[str, Tiers]]]:
    """Per benefit of ``code`` in settlement order: its base, component and schedule per scheme."""
    rules = engine.rules(code)
    claim = Claim.from_mapping(
        {"id": "c", "kind": "inpatient", "discharged": f"{year}-06-30", "in_scope": "1", "total": "1"}
    )
    plan = []
    for stage in ("over_cap", "self_pay", "residual"):
        for owner, benefit in rules.benefits:
            if benefit.base != stage or "inpatient" not in benefit.counts:
                continue
            by_scheme = {}
            for scheme in ("resident", "employee"):
                found = benefit.schedules.lookup(owner, Patient(id="p", scheme=scheme), claim)
                if scheme in benefit.schemes and found is not None:
                    by_scheme[scheme] = Tiers.of(found.value)
            plan.append((stage, benefit.component, by_scheme))
    return plan


def bare_numpy(
    person: np.ndarray, resident: np.ndarray, in_scope: np.ndarray, pool: np.ndarray, total: np.ndarray, plan: list
) -> dict[str, np.ndarray]:
    """The batch path's arithmetic for these claims, written out in numpy on int64 fen.

    Person codes are given and every person has one scheme; no checks, no rule lookups, no
    fallback: per benefit and scheme, a grouped cumulative sum of the base over that scheme's
    rows and ``F(after) - F(before)``, bounded by what is still owed.
    """
    n = len(person)
    rows_of = {}
    for scheme, mask in (("resident", resident), ("employee", ~resident)):
        rows = np.flatnonzero(mask)
        start = np.r_[True, person[rows][1:] != person[rows][:-1]]
        rows_of[scheme] = (rows, np.flatnonzero(start), np.cumsum(start) - 1)
    owed = in_scope - pool
    out = {"deductible": np.zeros(n, dtype=np.int64), "basic_pool": pool, "in_scope_self_pay": owed}
    fund_total = pool.copy()
    for stage, component, by_scheme in plan:
        if stage == "over_cap":  # pre-settled claims: nothing above the pool's cap
            continue
        paid = np.zeros(n, dtype=np.int64)
        for scheme, tiers in by_scheme.items():
            rows, starts, gid = rows_of[scheme]
            base = owed[rows]
            after = np.cumsum(base)
            after -= (after[starts] - base[starts])[gid]
            paid[rows] = tiers.annual(after) - tiers.annual(after - base)
        np.minimum(paid, owed, out=paid)
        owed = owed - paid
        out[component] = out[component] + paid if component in out else paid
        fund_total += paid
    out["fund_total"] = fund_total
    out["patient_total"] = total - fund_total
    return out


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>14,.0f} claims/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="claims for the scalar and naive loops")
    parser.add_argument("--jurisdiction", default="testland", help="an installed code, or testland (tests/)")
    parser.add_argument("--year", type=int, default=2021)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of the batch and numpy paths (best kept)")
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

    # the same claims with coded ids, as read from Parquet or Arrow: persons as a categorical
    # (dictionary-encoded) column and claims numbered
    coded = frame.assign(patient_id=frame["patient_id"].astype("category"), claim_id=np.arange(args.claims))
    person = pd.factorize(frame["patient_id"])[0]
    resident = (frame["scheme"] == "resident").to_numpy()
    plan = benefit_plan(engine, args.jurisdiction, args.year)
    columns = [frame[f"{c}_fen"].to_numpy() for c in ("in_scope", "basic_pool", "total")]
    t = time.perf_counter()
    prepared = prepare(frame)  # once, as a reform sweep or a comparison does
    prepare_time = time.perf_counter() - t
    runs = {
        "text": lambda: settle_frame(frame, engine=engine),
        "prepared": lambda: settle_frame(prepared, engine=engine),
        "coded": lambda: settle_frame(coded, engine=engine),
        "numpy": lambda: bare_numpy(person, resident, columns[0], columns[1], columns[2], plan),
    }
    settle_frame(frame.head(1000), engine=engine)  # warm up
    best = dict.fromkeys(runs, float("inf"))
    results = {}
    for _ in range(args.repeat):  # interleaved, so that a slow spell of the machine hits all three
        for name, run in runs.items():
            t = time.perf_counter()
            results[name] = run()
            best[name] = min(best[name], time.perf_counter() - t)
    batch, batch_coded, numpy_time = best["text"], best["coded"], best["numpy"]
    result = results["text"]
    fallback = result.attrs["medinsure"]["fallback_rows"]
    for name, values in results["numpy"].items():  # the same arithmetic: the same amounts
        for other in ("text", "prepared", "coded"):
            assert (values == results[other][f"{name}_fen"].to_numpy()).all(), (
                f"bare numpy and the batch path differ in {name}"
            )

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
    print(
        f"batch path        {rate(n, batch)}   ({batch:.3f} s; ids as text; {fallback:,} rows by the scalar fallback)"
    )
    print(
        f"batch, prepared   {rate(n, best['prepared'])}   ({best['prepared']:.3f} s; after prepare(), once:"
        f" {prepare_time:.3f} s; claim ids still text)"
    )
    print(f"batch, coded ids  {rate(n, batch_coded)}   ({batch_coded:.3f} s; persons categorical, claims numbered)")
    print(
        f"bare numpy        {rate(n, numpy_time)}   ({numpy_time:.3f} s; the same arithmetic, person codes given;"
        f" batch is {batch / numpy_time:.1f}x slower, {best['prepared'] / numpy_time:.1f}x prepared,"
        f" {batch_coded / numpy_time:.1f}x with coded ids)"
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
