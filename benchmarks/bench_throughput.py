"""The throughput ratios of the batch path, the command line and engine construction, in one run.

    python benchmarks/bench_throughput.py [--claims N] [--cli-claims N] [--repeat N] [--dask]

Builds ``--claims`` (1,000,000) Dalian claims of 2021 **in date order, as claims arrive**:
persons interleaved, text person and claim ids of fixed width, text birth dates, the basic
settlement given as int64 fen columns. It prints, each as a ratio to a baseline timed in the
same run, interleaved with it, the best of ``--repeat`` (7) runs of each:

1. ``settle_frame`` on that frame, and on the same claims grouped by person, against bare numpy
   doing the batch path's arithmetic for these claims (person codes and schemes given; in date
   order it sorts by person first, as any grouped computation must);
2. ``settle_frame`` after ``prepare``;
3. the CSV path: the claims as a CSV file (amounts in yuan, dates as text) read with Arrow's
   reader (``read_frame``; the read is reported on its own), then ``settle_frame`` on the text;
4. ``medinsure settle FILE --format csv --amounts-only -o OUT`` on ``--cli-claims`` (200,000)
   rows, end to end in this process, against the script ``pd.read_csv`` + ``settle_frame`` +
   ``to_csv`` on the same file; and the scalar command line on a sample;
5. building an engine over the installed plugins in a fresh process (``python -c``), best of
   ``--repeat``; and the second build in one process;
6. with ``--dask``: ``settle_dask`` on a local cluster of two worker processes against
   ``settle_frame``, as overhead per claim.

Times are the CPU time of this process (``--clock cpu``, the default), which other work on a
shared machine disturbs far less than the wall clock; ``--clock wall`` measures elapsed time.
(Arrow's CSV reader uses threads: its CPU time adds theirs.) Dask is timed on the wall clock,
its work being in other processes. Figures, never a pass or fail: compare the ratios (each
measured within one run), not the absolute figures, between runs.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from medinsure import Engine
from medinsure.cli import main as cli_main
from medinsure.research.batch import prepare, settle_frame

try:
    from medinsure.research.frames import read_frame

    AMOUNTS_ONLY = ["--amounts-only"]
except ImportError:  # an earlier version, for the figures before: Arrow's reader directly, full CSV output
    AMOUNTS_ONLY = []

    def read_frame(path: str | Path) -> pd.DataFrame:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = Path(path).read_text(encoding="utf-8").partition("\n")[0].split(",")
        options = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False)
        return pacsv.read_csv(path, convert_options=options).to_pandas(
            types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get
        )


sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import bare_numpy, benefit_plan
from claims import CODE, as_csv, build


def column(result: pd.DataFrame, name: str) -> np.ndarray:
    return result[f"{name}_fen" if f"{name}_fen" in result.columns else name].to_numpy()


def numpy_baseline(frame: pd.DataFrame, engine: Engine) -> Callable[[], dict[str, np.ndarray]]:
    """Bare numpy for these claims: person codes given; rows sorted by person (stable), the
    arithmetic on the sorted rows, the results put back in the input order."""
    person = pd.factorize(frame["patient_id"])[0]
    resident = (frame["scheme"] == "resident").to_numpy()
    plan = benefit_plan(engine, CODE, 2021)
    in_scope, pool, total = (frame[f"{c}_fen"].to_numpy() for c in ("in_scope", "basic_pool", "total"))
    grouped = bool((person[1:] >= person[:-1]).all())

    def run() -> dict[str, np.ndarray]:
        if grouped:
            return bare_numpy(person, resident, in_scope, pool, total, plan)
        order = np.argsort(person, kind="stable")
        out = bare_numpy(person[order], resident[order], in_scope[order], pool[order], total[order], plan)
        back = {}
        for name, values in out.items():
            back[name] = np.empty_like(values)
            back[name][order] = values
        return back

    return run


CLOCK: Callable[[], float] = time.process_time
ONCE = False


def best_of(
    runs: dict[str, Callable[[], object]], repeat: int, clock: Callable[[], float] | None = None
) -> tuple[dict[str, float], dict[str, object]]:
    clock = clock or CLOCK
    best = dict.fromkeys(runs, float("inf"))
    last: dict[str, object] = {}
    for _ in range(repeat):  # interleaved: a slow spell of the machine hits every path alike
        for name, run in runs.items():
            t = clock()
            last[name] = run()
            best[name] = min(best[name], clock() - t)
    return best, last


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f} claims/s"


def check_equal(numpy_out: dict[str, np.ndarray], result: pd.DataFrame, what: str) -> None:
    for name, values in numpy_out.items():
        assert (values == column(result, name)).all(), f"bare numpy and {what} differ in {name}"


def batch_ratios(args: argparse.Namespace, engine: Engine, frame: pd.DataFrame, tmp: Path) -> None:
    n = len(frame)
    grouped = frame.sort_values("patient_id", kind="stable", ignore_index=True)
    prepared = prepare(frame)
    csv_path = tmp / "claims.csv"
    as_csv(frame, csv_path)
    text = read_frame(csv_path)
    runs = {
        "date order": lambda: settle_frame(frame, engine=engine),
        "numpy, date order": numpy_baseline(frame, engine),
        "prepared": lambda: settle_frame(prepared, engine=engine),
        "grouped": lambda: settle_frame(grouped, engine=engine),
        "numpy, grouped": numpy_baseline(grouped, engine),
        "csv text": lambda: settle_frame(text, engine=engine),
        "csv read": lambda: read_frame(csv_path),
    }
    settle_frame(frame.head(1000), engine=engine)  # warm up
    best, last = best_of(runs, args.repeat)
    check_equal(last["numpy, date order"], last["date order"], "settle_frame")  # type: ignore[arg-type]
    check_equal(last["numpy, grouped"], last["grouped"], "settle_frame, grouped")  # type: ignore[arg-type]
    check_equal(last["numpy, date order"], last["csv text"], "settle_frame on CSV text")  # type: ignore[arg-type]
    fallback = last["date order"].attrs["medinsure"]["fallback_rows"]  # type: ignore[attr-defined]
    base, base_grouped = best["numpy, date order"], best["numpy, grouped"]
    print(f"\n{n:,} {CODE} claims of 2021 in date order (text ids, int64 fen; {fallback} rows by the fallback)")
    print(f"  bare numpy, date order           {rate(n, base)}   1.0")
    print(f"  settle_frame, date order         {rate(n, best['date order'])}   {best['date order'] / base:.2f}x")
    print(f"  settle_frame, prepare()d         {rate(n, best['prepared'])}   {best['prepared'] / base:.2f}x")
    print(f"  settle_frame, CSV text (no read) {rate(n, best['csv text'])}   {best['csv text'] / base:.2f}x")
    print(f"  read_frame (Arrow CSV reader)    {rate(n, best['csv read'])}   ({best['csv read']:.3f} s)")
    print(f"  bare numpy, grouped by person    {rate(n, base_grouped)}   1.0")
    print(f"  settle_frame, grouped by person  {rate(n, best['grouped'])}   {best['grouped'] / base_grouped:.2f}x")


def cli_ratios(args: argparse.Namespace, engine: Engine, tmp: Path) -> None:
    n = args.cli_claims
    path = tmp / "cli.csv"
    as_csv(build(n, seed=5), path)
    out_cli, out_script = tmp / "out-cli.csv", tmp / "out-script.csv"
    sink = io.StringIO()

    def command() -> None:
        code = cli_main(["settle", str(path), "--format", "csv", *AMOUNTS_ONLY, "-o", str(out_cli)], err=sink)
        assert code == 0, sink.getvalue()

    def script() -> None:
        claims = pd.read_csv(path, dtype=str, keep_default_na=False)
        settle_frame(claims, engine=engine).to_csv(out_script, index=False)

    best, _ = best_of({"command": command, "script": script}, args.repeat if AMOUNTS_ONLY else 1)
    sample = tmp / "sample.csv"
    pd.read_csv(path, dtype=str, keep_default_na=False).head(args.sample).to_csv(sample, index=False)
    t = CLOCK()
    assert cli_main(["settle", str(sample), "--format", "csv", "-o", str(tmp / "scalar.csv")], err=sink) == 0
    scalar = CLOCK() - t
    print(f"\nthe command line on {n:,} CSV rows, end to end")
    print(f"  read_csv + settle_frame + to_csv {rate(n, best['script'])}   1.0")
    label = "medinsure settle --amounts-only" if AMOUNTS_ONLY else "medinsure settle --format csv   "
    print(f"  {label}  {rate(n, best['command'])}   {best['command'] / best['script']:.2f}x")
    print(
        f"  medinsure settle --format csv    {rate(args.sample, scalar)}   "
        f"{(scalar / args.sample) / (best['script'] / n):.1f}x (scalar, with lines and rule versions; {args.sample:,} rows)"
    )


def construction(args: argparse.Namespace) -> None:
    clock = "process_time" if CLOCK is time.process_time else "perf_counter"
    code = (
        f"import time; from medinsure import Engine; t = time.{clock}(); Engine.from_installed();"
        f" a = time.{clock}() - t; t = time.{clock}(); Engine.from_installed();"
        f" print(a, time.{clock}() - t)"
    )
    first, second = [], []
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        first.append(float(out[0]))
        second.append(float(out[1]))
    print("\nengine construction over the installed plugins (best of fresh processes)")
    print(f"  first build in a process         {min(first) * 1000:8.1f} ms (median {np.median(first) * 1000:.1f} ms)")
    print(f"  a second build in that process   {min(second) * 1000:8.1f} ms (rule packs read once per process)")


def dask_overhead(args: argparse.Namespace, engine: Engine, frame: pd.DataFrame) -> None:
    import inspect

    import distributed

    from medinsure.research.distributed import collect, settle_dask

    global ONCE
    ONCE = "claim_ids_once" in inspect.signature(settle_dask).parameters  # not in earlier versions

    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster),
    ):
        print("\nDask, a local cluster of two worker processes")
        for n in (100_000, len(frame)):
            part = frame.head(n)
            runs = {
                "frame": lambda part=part: settle_frame(part, engine=engine),
                "dask": lambda part=part: collect(settle_dask(part, engine=engine, npartitions=4)),
            }
            if ONCE:
                runs["unchecked"] = lambda part=part: collect(
                    settle_dask(part, engine=engine, npartitions=4, claim_ids_once=False)
                )
            best, _ = best_of(runs, max(2, args.repeat // 2), time.perf_counter)
            extra = (best["dask"] - best["frame"]) / n * 1e6
            print(
                f"  {n:>9,} claims: settle_frame {rate(n, best['frame'])}, settle_dask {rate(n, best['dask'])}"
                f" ({best['dask'] / best['frame']:.1f}x; {extra:.1f} µs more per claim)"
            )
            if ONCE:
                print(
                    f"  {'':>9}         without the claim id check {rate(n, best['unchecked'])}"
                    f" ({best['unchecked'] / best['frame']:.1f}x)"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--cli-claims", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=5_000, help="rows for the scalar command line")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dask", action="store_true", help="also measure settle_dask on a local cluster")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="what a time is (default: CPU time)")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    print(
        f"{os.cpu_count()} cores, python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__};"
        f" {args.clock} time, best of {args.repeat} interleaved runs"
    )
    engine = Engine.from_installed()
    frame = build(args.claims)
    with tempfile.TemporaryDirectory() as tmp:
        batch_ratios(args, engine, frame, Path(tmp))
        cli_ratios(args, engine, Path(tmp))
    construction(args)
    if args.dask:
        dask_overhead(args, engine, frame)


if __name__ == "__main__":
    main()
