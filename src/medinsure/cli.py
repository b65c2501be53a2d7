"""The ``medinsure`` command line.

Exit codes: 0 success; 1 a scenario expectation failed (``check``); 2 bad input, bad rule
data or a plugin that cannot be loaded, with a one-line reason naming the file, case, field
and value (add ``--debug`` for a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from medinsure import __version__
from medinsure.cases import check_paths, load_cases
from medinsure.engine import Engine
from medinsure.errors import InvalidInput, MedinsureError, ScenarioError
from medinsure.ledger import cli as ledger_cli
from medinsure.model import Claim, Patient

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medinsure", description="Settle Chinese public medical-insurance claims.")
    parser.add_argument("--version", action="version", version=f"medinsure {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-p",
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="also load this plugin module (repeatable)",
    )
    common.add_argument("--no-entry-points", action="store_true", help="do not load the installed plugins")
    common.add_argument("--allow", metavar="NAMES", help="load only these installed plugins (comma-separated)")
    common.add_argument("--block", metavar="NAMES", help="never load these installed plugins (comma-separated)")
    common.add_argument("--debug", action="store_true", help="show a traceback on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", parents=[common], help="run scenario files and compare expected amounts")
    check.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    check.add_argument("-v", "--verbose", action="store_true", help="also list the cases that pass")

    settle = sub.add_parser("settle", parents=[common], help="settle the claims of a scenario file")
    settle.add_argument("file", metavar="FILE")
    settle.add_argument("--jurisdiction", metavar="CODE", help="settle every case under this jurisdiction")
    settle.add_argument("--format", choices=("text", "json"), default="text")
    ledger_cli.add_settle_options(settle)

    sub.add_parser("plugins", parents=[common], help="list the installed plugins and their jurisdictions")

    rules = sub.add_parser("rules", parents=[common], help="print a jurisdiction's rule tables with sources")
    rules.add_argument("code", metavar="CODE")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    ledger_cli.add_commands(sub, common)
    return parser


def _engine(args: argparse.Namespace) -> Engine:
    modules = []
    for name in args.plugin:
        try:
            modules.append(importlib.import_module(name))
        except ImportError as exc:
            raise MedinsureError(f"--plugin {name!r}: cannot import: {exc}") from None
    return Engine.from_plugins(
        *modules,
        entry_points=not args.no_entry_points,
        allow=None if args.allow is None else [n.strip() for n in args.allow.split(",") if n.strip()],
        block=[n.strip() for n in (args.block or "").split(",") if n.strip()],
    )


def _settle(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    cases = load_cases(args.file)
    results: list[dict[str, Any]] = []
    for case in cases:
        code = args.jurisdiction or case.jurisdiction
        try:
            patient = Patient.from_mapping(case.patient)
            claims = []
            for i, raw in enumerate(case.claims):
                try:
                    claims.append(Claim.from_mapping(raw))
                except InvalidInput as exc:
                    raise exc.within(f"claims[{i}]") from None
            settlements = engine.settle(patient, claims, jurisdiction=code)
        except MedinsureError as exc:
            raise ScenarioError(case.file, str(exc), case=case.name, line=case.line) from None
        for s in settlements:
            if args.format == "json":
                results.append(s.to_dict())
            else:
                print(s.explain(), file=out)
                print(file=out)
    if args.format == "json":
        json.dump(results, out, ensure_ascii=False, indent=2)
        print(file=out)
    return 0


def _plugins(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    reg = engine.registry
    if not reg.codes:
        print("no jurisdiction plugins installed", file=out)
        return 0
    print(f"{'jurisdiction':<14}{'name':<14}{'parent':<12}{'plugin':<22}version", file=out)
    for code in reg.codes:
        j = reg.jurisdiction(code)
        plugin, version = reg.plugin_of(code)
        print(f"{code:<14}{j.name:<14}{j.parent or '-':<12}{plugin:<22}{version}", file=out)
    return 0


def _rules(args: argparse.Namespace, out: TextIO) -> int:
    from medinsure.docgen import rules_as_dict, rules_as_text

    engine = _engine(args)
    rules = engine.rules(args.code)
    if args.format == "json":
        json.dump(rules_as_dict(rules), out, ensure_ascii=False, indent=2)
        print(file=out)
    else:
        print(rules_as_text(rules), file=out)
    return 0


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    try:
        if args.command in ledger_cli.COMMANDS or (args.command == "settle" and (args.ledger or args.dry_run)):
            return ledger_cli.run(args, _engine, out)
        if args.command == "check":
            return check_paths(_engine(args), args.paths, out, err, verbose=args.verbose)
        if args.command == "settle":
            return _settle(args, out)
        if args.command == "plugins":
            return _plugins(args, out)
        if args.command == "rules":
            return _rules(args, out)
    except MedinsureError as exc:
        if args.debug:
            raise
        print(f"medinsure {args.command}: {exc}", file=err)
        return 2
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
