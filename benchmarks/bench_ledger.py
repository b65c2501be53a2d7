"""Settling a file into the ledger against settling it without one, in one run.

    python benchmarks/bench_ledger.py [--claims N] [--repeat N] [--commit-every N] [--memory N]

Builds ``--claims`` (20,000) Dalian claims of 2021 in date order, about three per person, as a
CSV file (``claims.py``, the claims of ``bench_throughput.py``). It times, interleaved, best of ``--repeat``
(5) runs of each, in this process:

1. ``medinsure settle FILE --format csv -o OUT``: the scalar command line, no ledger — the
   baseline;
2. ``medinsure settle FILE --ledger NEW.sqlite --format csv -o OUT``: the same file recorded
   into a new SQLite ledger (every claim, settlement record, audit row and accumulator);
3. with ``--commit-every N``: the same, committing every N claims.

It prints claims per second and each ledger run as a ratio to the baseline. Times are wall
clock: a ledger waits for its disk (each commit is synced), and that wait is part of its cost.

``--memory N`` also runs the ledger command in fresh processes on 10,000 and on ``N`` claims
and prints the growth of the peak resident memory per claim between the two.

The script uses only the command line, so it runs unchanged against earlier versions (put the
other version's ``src`` first on ``PYTHONPATH``) for a before-and-after comparison; figures,
never a pass or fail.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from claims import as_csv, build

from medinsure.cli import main as cli_main

_RSS = """
import contextlib, io, resource, sys
from medinsure.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
assert code == 0, code
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(argv: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli_main(argv)
    assert code == 0, code


def best_of(runs: dict[str, Callable[[], None]], repeat: int) -> dict[str, float]:
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):  # interleaved: a slow spell of the machine hits every path alike
        for name, job in runs.items():
            t = time.perf_counter()
            job()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def peak_rss(argv: list[str]) -> int:
    """Peak resident memory (bytes) of a fresh process running ``medinsure argv``."""
    done = subprocess.run([sys.executable, "-c", _RSS, *argv], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1]) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--commit-every", type=int, help="also time the ledger committing every N claims")
    parser.add_argument("--memory", type=int, help="peak memory growth per claim up to N claims")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, python {sys.version.split()[0]}; wall time, best of {args.repeat} interleaved runs")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        claims = tmp / "claims.csv"
        as_csv(build(args.claims), claims)
        out = str(tmp / "out.csv")
        count = iter(range(1_000_000))

        def ledger(*extra: str) -> Callable[[], None]:
            def job() -> None:  # a new ledger every time: every claim is recorded
                target = str(tmp / f"l{next(count)}.sqlite")
                run(["settle", str(claims), "--ledger", target, "--format", "csv", "-o", out, *extra])

            return job

        runs = {
            "no ledger": lambda: run(["settle", str(claims), "--format", "csv", "-o", out]),
            "ledger": ledger(),
        }
        if args.commit_every:
            runs[f"ledger, commit every {args.commit_every}"] = ledger("--commit-every", str(args.commit_every))
        best = best_of(runs, args.repeat)
        print(f"{args.claims:,} claims, CSV in, CSV out")
        for name, seconds in best.items():
            ratio = seconds / best["no ledger"]
            print(f"  {name:<34}{args.claims / seconds:>10,.0f} claims/s   {ratio:5.2f}× the time of no ledger")

        if args.memory:
            small = 10_000
            sizes = {}
            for n in (small, args.memory):
                path = tmp / f"memory-{n}.csv"
                as_csv(build(n), path)
                sizes[n] = peak_rss(
                    ["settle", str(path), "--ledger", str(tmp / f"memory-{n}.sqlite"), "--format", "csv", "-o", out]
                )
                path.unlink()
            growth = (sizes[args.memory] - sizes[small]) / (args.memory - small)
            print(
                f"peak memory: {sizes[small] / 2**20:,.0f} MiB at {small:,} claims,"
                f" {sizes[args.memory] / 2**20:,.0f} MiB at {args.memory:,}: {growth:,.0f} bytes per claim"
            )


if __name__ == "__main__":
    main()
