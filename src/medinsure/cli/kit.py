"""``medinsure new-plugin``: the command-line face of :func:`medinsure.plugins.kit.new_plugin`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from medinsure.plugins.kit import new_plugin

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Add ``new-plugin`` to the command line's subcommands."""
    p = sub.add_parser("new-plugin", help="make a ready jurisdiction plugin package (rule pack, tests, README)")
    p.add_argument("code", metavar="CODE", help="the jurisdiction code, lower-case snake_case (e.g. tieling)")
    p.add_argument("--name", required=True, help="the jurisdiction's name (e.g. 铁岭市)")
    p.add_argument("--parent", metavar="CODE", help="the jurisdiction this one builds on (e.g. liaoning)")
    p.add_argument("--dir", metavar="DIR", help="where to write the package (default: ./medinsure-CODE)")
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """The ``new-plugin`` command: write the package and say what to do next."""
    files = new_plugin(args.code, args.name, parent=args.parent, directory=args.dir)
    root = Path(args.dir) if args.dir else Path(f"medinsure-{args.code.replace('_', '-')}")
    for path in files:
        print(f"created {path}", file=out)
    print(
        f"next: replace the example values in {root}/src/medinsure_{args.code}/rules.yaml, then"
        f" `pip install -e {root}` and `python -m pytest {root}/tests`",
        file=out,
    )
    return 0
