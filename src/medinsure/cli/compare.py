"""``medinsure compare``: the command-line face of :func:`medinsure.research.comparison.compare`.

Kept apart from :mod:`medinsure.cli` (which only registers and dispatches it) and free of
heavy imports, so that the core command line works without the ``research`` extra.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from medinsure.cli.output import listed_names
from medinsure.errors import MedinsureError, naming
from medinsure.settlement.engine import Engine

__all__ = ["add_parser", "run"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register the ``compare`` subcommand."""
    p = sub.add_parser("compare", parents=[common], help="compare jurisdictions and reforms on a claim file")
    p.add_argument("file", metavar="FILE", help="flat claim file (.csv or .parquet)")
    p.add_argument("--jurisdictions", metavar="CODES", help="comma-separated codes (default: the file's own)")
    p.add_argument(
        "--reform", action="append", default=[], metavar="[NAME=]FILE", help="a reform YAML file (repeatable)"
    )
    p.add_argument("--catastrophic", metavar="YUAN", default="20000", help="catastrophic threshold per person-year")
    p.add_argument("--plot", metavar="OUT.png", help="draw reimbursement curves and payment distributions")
    p.add_argument(
        "--claims",
        metavar="OUT",
        help="also write the per-claim table: .csv with amounts in yuan, .parquet with int64 _fen columns",
    )
    p.add_argument("--metadata", metavar="OUT.json", help="also write each scenario's provenance as JSON")


def run(args: argparse.Namespace, engine: Engine, out: TextIO, progress: Any = None) -> int:
    """Run ``compare``; returns the exit code. ``progress`` is called with the claims settled so far."""
    try:
        from medinsure.research import comparison as research
    except ImportError as exc:  # pragma: no cover - the extra is part of dev installs
        raise MedinsureError(f"compare needs the research extra (pip install 'medinsure[research]'): {exc}") from None
    from medinsure.rules.reforms import Reform

    reforms = {}
    for spec in args.reform:
        name, _, path = spec.rpartition("=")
        reform = Reform.from_yaml(path, name=name or None) if Path(path).exists() else None
        if reform is None:
            raise MedinsureError(f"--reform {spec!r}: no such file")
        with naming(path):
            reform.tables(engine)  # its values checked against the rules now, naming the file
        reforms[reform.name] = reform
    codes = None if not args.jurisdictions else listed_names(args.jurisdictions)
    comparison = research.compare(
        args.file,
        jurisdictions=codes,
        reforms=reforms,
        engine=engine,
        catastrophic_threshold=args.catastrophic,
        progress=progress,
    )
    print(research.summary_text(comparison), file=out)
    if args.claims:
        research.write_claims(comparison, args.claims)
    if args.metadata:
        comparison.write_metadata(args.metadata)
    if args.plot:
        from medinsure.research.plotting import plot

        plot(comparison, args.plot)
    return 0
