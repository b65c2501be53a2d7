"""The ``medinsure`` command line.

Each command is one documented Python call as well:

| command | Python |
| --- | --- |
| ``settle FILE`` | :func:`medinsure.io.records.settle_file` + :func:`medinsure.io.writers.write_settlements` |
| ``presettle FILE`` | the same, recording nothing; with ``--ledger``, :meth:`medinsure.ledger.Ledger.presettle` |
| ``explain FILE`` | :func:`medinsure.io.records.settle_file` + :func:`medinsure.io.sheets.render_text` / ``render_html`` |
| ``check PATH...`` | :func:`medinsure.io.scenarios.check_paths` |
| ``plugins`` | :func:`medinsure.plugins.host.list_plugins` |
| ``rules CODE`` | :func:`medinsure.rules.describe.rules_as_dict` |
| ``serve`` | :func:`medinsure.service.app.create_app` on uvicorn (:mod:`medinsure.cli.serve`) |

Exit codes: 0 success; 1 a scenario expectation failed (``check``); 2 bad input, bad rule
data or a plugin that cannot be loaded, with a one-line reason naming the file, row or case,
field and value (add ``--debug`` for a traceback).

The commands that settle (``settle``, ``explain``, ``check``, ``compare``, ``reverse``,
``correct``, ``ledger verify``) take ``--strict`` (refuse any settlement resting on an
unverified or carried-forward value) and ``--strict=carried-forward`` (only the latter); see
:mod:`medinsure.settlement.trust`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from medinsure import __version__
from medinsure.cli import compare as compare_cli
from medinsure.cli import kit
from medinsure.cli import ledger as ledger_cli
from medinsure.cli import serve as serve_cli
from medinsure.cli.output import (
    INPUT_FORMATS,
    emit,
    input_file,
    listed_names,
    replace_atomically,
    write_as_asked,
    write_atomically,
)
from medinsure.cli.progress import Progress
from medinsure.errors import MedinsureError, UsageError
from medinsure.io.scenarios import check_paths
from medinsure.plugins.discovery import import_plugin_modules
from medinsure.settlement.engine import Engine
from medinsure.settlement.trust import STRICT_MODES

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="medinsure", description="Settle Chinese public medical-insurance claims.")
    parser.add_argument("--version", action="version", version=f"medinsure {__version__}")
    common = _Parser(add_help=False)
    common.add_argument(
        "-p",
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="also load this plugin module (repeatable)",
    )
    common.add_argument("--no-entry-points", action="store_true", help="do not load the installed plugins")
    common.add_argument(
        "--strict-plugins",
        action="store_true",
        help="fail when any installed plugin fails to load (by default it is set aside and named)",
    )
    common.add_argument("--allow", metavar="NAMES", help="load only these installed plugins (comma-separated)")
    common.add_argument("--block", metavar="NAMES", help="never load these installed plugins (comma-separated)")
    common.add_argument("--debug", action="store_true", help="show a traceback on errors")
    settling = _Parser(add_help=False, parents=[common])
    settling.add_argument(
        "--strict",
        choices=STRICT_MODES,
        metavar="[=carried-forward]",
        help="refuse any settlement resting on an unverified or carried-forward value"
        " (--strict=carried-forward: only on a carried-forward one)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    settle = sub.add_parser("settle", parents=[settling], help="settle the claims of a scenario, CSV or Parquet file")
    _claim_file_options(settle)
    settle.add_argument(
        "--amounts-only",
        action="store_true",
        help="csv/json: each claim's amounts and plugin, without its lines and rule versions (fast)",
    )
    ledger_cli.add_settle_options(settle)

    presettle = sub.add_parser(
        "presettle",
        parents=[settling],
        help="pre-settle (2206 / 2303): compute what settle would give, record nothing",
    )
    _claim_file_options(presettle)
    presettle.add_argument("--ledger", metavar="PATH|URL", help="pre-settle against this ledger's recorded claims")
    presettle.set_defaults(dry_run=True)

    explain = sub.add_parser("explain", parents=[settling], help="print the discharge settlement sheet of each claim")
    explain.add_argument("file", metavar="FILE", help="a scenario or CSV file, or - (standard input)")
    explain.add_argument(
        "--input-format", choices=tuple(INPUT_FORMATS), help="the format of standard input (FILE -); default yaml"
    )
    explain.add_argument("--jurisdiction", metavar="CODE")
    explain.add_argument("--claim", metavar="ID", help="only this claim (the claims before it still accumulate)")
    explain.add_argument("--lang", choices=("zh", "en"), default="zh")
    explain.add_argument(
        "--copy",
        choices=("patient", "audit"),
        default="audit",
        help="patient: the 出院结算单 handed to the patient; audit: every step with its rule and source",
    )
    explain.add_argument("--html", metavar="OUT", help="write an HTML document to OUT instead (A4 when printed)")
    explain.add_argument("--pdf", metavar="OUT", help="print the sheets to a PDF file (needs Chromium)")
    explain.add_argument("--show-ids", action="store_true", help="do not mask person ids")
    explain.add_argument("--lines", metavar="LINES", help="a CSV file of fee lines joined to FILE's claims")

    check = sub.add_parser("check", parents=[settling], help="run scenario files and compare expected amounts")
    check.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    check.add_argument("-v", "--verbose", action="store_true", help="also list the cases that pass")

    sub.add_parser("plugins", parents=[common], help="list the installed plugins and their jurisdictions")

    rules = sub.add_parser("rules", parents=[common], help="print a jurisdiction's rule tables with sources")
    rules.add_argument("code", metavar="CODE")
    rules.add_argument("--year", type=int, metavar="Y", help="only the values in force during year Y")
    rules.add_argument("--format", choices=("table", "json"), default="table")
    kit.add_parser(sub)
    ledger_cli.add_commands(sub, common, settling)
    compare_cli.add_parser(sub, settling)
    serve_cli.add_parser(sub, settling)
    return parser


def _claim_file_options(parser: argparse.ArgumentParser) -> None:
    """FILE and the output options of ``settle`` and ``presettle``."""
    parser.add_argument(
        "file",
        metavar="FILE",
        help="scenario file (.yaml, .yml, .json), flat claim file (.csv, .parquet), or - (standard input)",
    )
    parser.add_argument("--jurisdiction", metavar="CODE", help="settle every claim under this jurisdiction")
    parser.add_argument(
        "--format",
        choices=("table", "json", "csv", "jsonl"),
        default="table",
        help="jsonl: one JSON object a line, each written as soon as its claim is settled",
    )
    parser.add_argument("--national-fields", action="store_true", help="add the national platform's field names")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write to OUT (created only when every claim settles); OUT.parquet: amounts as int64 _fen columns",
    )
    parser.add_argument(
        "--input-format", choices=tuple(INPUT_FORMATS), help="the format of standard input (FILE -); default yaml"
    )
    parser.add_argument("--show-ids", action="store_true", help="do not mask person ids in the table")
    parser.add_argument("--lines", metavar="LINES", help="a CSV file of fee lines joined to FILE's claims by claim_id")


def _engine(args: argparse.Namespace) -> Engine:
    strict = getattr(args, "strict", None)
    plain = not (args.plugin or args.no_entry_points or args.block or args.strict_plugins)
    if plain and args.allow is None:
        shared = Engine.shared()  # the installed plugins: one engine per process
        return shared if strict is None else shared.with_strict(strict)
    return Engine.from_plugins(
        *import_plugin_modules(args.plugin),
        entry_points=not args.no_entry_points,
        allow=None if args.allow is None else listed_names(args.allow),
        block=listed_names(args.block),
        isolate=not args.strict_plugins,
        strict=strict,
    )


def _settle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from medinsure.io.records import count_records, settle_file

    engine = _engine(args)
    if _batch_settles(args):
        failed = _settle_batch(args, engine, out)
        if failed is None:
            return 0
        if _parquet_output(args):
            for _settlement in settle_file(args.file, engine=engine, jurisdiction=args.jurisdiction):
                pass  # the scalar path names the first bad row in its own words
            raise failed
    settlements = settle_file(args.file, engine=engine, jurisdiction=args.jurisdiction, lines=args.lines)
    progress = Progress(err, count_records(args.file) if err.isatty() else None)
    if args.command == "presettle" and args.format == "table":
        print("Pre-settlement (2206 outpatient / 2303 inpatient): nothing recorded.\n", file=out)

    def write(handle: TextIO) -> None:
        write_as_asked(args, settlements, handle, progress)

    try:
        emit(args.output, out, write, stream=args.format == "jsonl")
    finally:
        progress.close()
    return 0


def _parquet_output(args: argparse.Namespace) -> bool:
    """Whether ``-o`` names a Parquet file (which only the batch path writes)."""
    return bool(args.output) and Path(args.output).suffix.lower() == ".parquet"


def _batch_settles(args: argparse.Namespace) -> bool:
    """Whether the output needs amounts only, so that the batch path can settle a flat file."""
    if args.command != "settle" or args.lines or args.national_fields:
        return False  # a pre-settlement's header, fee lines and national fields: the scalar path
    if Path(args.file).suffix.lower() not in (".csv", ".parquet"):
        return False
    if _parquet_output(args):
        return True
    return args.format == "table" or (bool(args.amounts_only) and args.format != "jsonl")


def _settle_batch(args: argparse.Namespace, engine: Engine, out: TextIO) -> MedinsureError | None:
    """Settle a flat file with the batch path and write the amounts; the error when it cannot.

    Without the ``research`` extra, or when the file has an error, the scalar path settles the
    file instead: it names the first bad row as it always does.
    """
    try:
        from medinsure.research.batch import settle_frame
        from medinsure.research.frames import read_frame, settled, write_frame, write_settled
    except ImportError:
        return MedinsureError(f"{args.file}: the batch path needs the research extra")
    try:
        claims = read_frame(args.file)
        table = settled(claims, settle_frame(claims, engine=engine, jurisdiction=args.jurisdiction), args.jurisdiction)
    except MedinsureError as exc:
        return exc
    if _parquet_output(args):
        replace_atomically(args.output, lambda tmp: write_frame(table.reset_index(drop=True), tmp))
        return None

    def write(handle: TextIO) -> None:
        write_settled(table, handle, format=args.format, mask=not args.show_ids)
        if args.format == "table":  # amounts only: the values carried forward are named once, below
            for text in table.attrs["medinsure"].get("carried_forward", ()):
                handle.write(f"    carried forward: {text}; unverified for the claims resting on it\n")

    emit(args.output, out, write)
    return None


def _explain(args: argparse.Namespace, out: TextIO) -> int:
    from medinsure.io.printing import print_pdf
    from medinsure.io.records import settle_file
    from medinsure.io.sheets import jurisdiction_names, render_document, render_text

    engine = _engine(args)
    chosen = []
    for settlement in settle_file(args.file, engine=engine, jurisdiction=args.jurisdiction, lines=args.lines):
        if args.claim is None or settlement.claim.id == args.claim:
            chosen.append(settlement)
    if args.claim is not None and not chosen:
        raise MedinsureError(f"--claim {args.claim!r}: no claim with this id in {args.file}")
    mask = not args.show_ids
    names = jurisdiction_names(engine)
    options = {"lang": args.lang, "mask": mask, "copy": args.copy, "names": names}
    if args.html or args.pdf:
        page = render_document(chosen, **options)
        if args.pdf:
            print_pdf(page, args.pdf)
        if args.html:

            def write_page(handle: TextIO) -> None:
                handle.write(page)

            write_atomically(args.html, write_page)
        return 0
    print("\n\n".join(render_text(s, **options) for s in chosen), file=out)
    return 0


def _plugins(args: argparse.Namespace, out: TextIO) -> int:
    from medinsure.rules.describe import coverage

    engine = _engine(args)
    reg = engine.registry
    if not reg.codes and not reg.failures:
        print("no jurisdiction plugins installed", file=out)
        return 0
    if reg.codes:
        head = (
            f"{'jurisdiction':<14}{'name':<12}{'parent':<12}{'plugin':<22}{'version':<10}{'raw costs':<12}"
            "verified values"
        )
        print(head, file=out)
    for code in reg.codes:
        j = reg.jurisdiction(code)
        plugin, version = reg.plugin_of(code)
        raw_costs, verified = coverage(engine.rules(code)).describe()
        print(
            f"{code:<14}{j.name:<12}{j.parent or '-':<12}{plugin:<22}{version:<10}{raw_costs:<12}{verified}", file=out
        )
    for plugin, reason in sorted(reg.failures.items()):
        print(f"FAILED plugin {plugin}: {reason}", file=out)
    for code, reason in sorted(reg.unavailable.items()):
        print(f"UNAVAILABLE jurisdiction {code}: {reason}", file=out)
    return 0


def _rules(args: argparse.Namespace, out: TextIO) -> int:
    from medinsure.rules.describe import rules_as_dict, rules_as_text

    engine = _engine(args)
    rules = engine.rules(args.code)
    if args.format == "json":
        json.dump(rules_as_dict(rules, year=args.year), out, ensure_ascii=False, indent=2)
        print(file=out)
    else:
        print(rules_as_text(rules, year=args.year), file=out)
    return 0


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    if argv is None:
        argv = sys.argv[1:]
    # a bare --strict means --strict=unverified, so that `--strict FILE` keeps FILE an argument
    argv = ["--strict=unverified" if arg == "--strict" else arg for arg in argv]
    try:
        args = _parser().parse_args(argv)
    except UsageError as exc:
        print(exc, file=err)
        return 2
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    try:
        if hasattr(args, "file") and args.file == "-":  # standard input, kept in a temporary file meanwhile
            with input_file(args.file, getattr(args, "input_format", None)) as path:
                args.file = str(path)
                try:
                    return _dispatch(args, out, err)
                except MedinsureError as exc:
                    raise MedinsureError(str(exc).replace(str(path), "standard input")) from None
        if getattr(args, "input_format", None) is not None:
            with input_file(args.file, args.input_format):
                pass  # refuses --input-format for a named file
        return _dispatch(args, out, err)
    except MedinsureError as exc:
        if args.debug:
            raise
        print(f"medinsure {args.command}: {exc}", file=err)
        return 2
    except OSError as exc:
        if args.debug:
            raise
        print(f"medinsure {args.command}: {exc.filename or ''}: {exc.strerror or exc}", file=err)
        return 2


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command in ledger_cli.COMMANDS or (args.command == "settle" and (args.ledger or args.dry_run)):
        return ledger_cli.run(args, _engine, out, err)
    if args.command == "presettle" and args.ledger:
        return ledger_cli.run(args, _engine, out, err)
    if args.command == "check":
        return check_paths(_engine(args), args.paths, out, err, verbose=args.verbose)
    if args.command in ("settle", "presettle"):
        return _settle(args, out, err)
    if args.command == "explain":
        return _explain(args, out)
    if args.command == "plugins":
        return _plugins(args, out)
    if args.command == "rules":
        return _rules(args, out)
    if args.command == "new-plugin":
        return kit.run(args, out)
    if args.command == "compare":
        progress = Progress(err, unit="claim settlements")
        try:
            return compare_cli.run(args, _engine(args), out, progress)
        finally:
            progress.close()
    if args.command == "serve":
        return serve_cli.run(args, err)
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
