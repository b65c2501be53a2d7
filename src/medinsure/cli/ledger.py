"""The ledger's part of the command line.

- ``medinsure settle FILE --ledger L [--dry-run] [--commit-every N]``: settle a scenario or CSV
  file into a ledger (``expect:`` is ignored), in one transaction: a bad claim anywhere in it,
  a conflict, even one another writer makes meanwhile, and nothing of the file is recorded.
  With ``--commit-every N``, the file is pre-settled against the ledger first (so bad input
  still records nothing), then recorded in transactions of N claims; a claim another writer
  records meanwhile can then stop it with the groups before recorded, and running the file
  again resumes it. Output is the same as without a ledger; a claim already recorded prints
  its stored settlement. ``--dry-run`` prints the pre-settlement and records nothing.
- ``medinsure presettle FILE --ledger L``: the same as ``settle --ledger L --dry-run``
  (interfaces 2206 / 2303).
- ``medinsure reverse CLAIM_ID --ledger L [--reason TEXT]``, or by the platform's ids
  ``medinsure reverse --setl-id S [--mdtrt-id M] [--psn-no P] --ledger L`` (2208 / 2305).
- ``medinsure correct FILE --ledger L [--reason TEXT]``: the claims of the file replace the
  claims of the same id.
- ``medinsure ledger show PERSON [--year Y] --ledger L``
- ``medinsure ledger verify --ledger L``: exit 0 when nothing differs, 1 otherwise.

Person ids are masked in the settlement sheets, tables, messages and errors these commands
print, unless ``--show-ids`` is given. JSON output (``--format json``) is data for programs
and carries ids as they are, the same as without a ledger.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from decimal import Decimal
from functools import partial
from typing import Any, TextIO, TypeVar

from medinsure.cli.output import emit, write_as_asked
from medinsure.cli.progress import Progress
from medinsure.errors import InputError, LedgerError, MedinsureError, UnknownClaim, naming
from medinsure.io.masking import IdMasker
from medinsure.io.national import interface
from medinsure.io.records import count_records, read_records
from medinsure.ledger import Event, Ledger, Submission, open_ledger
from medinsure.model import Claim, Patient
from medinsure.money import fmt
from medinsure.rules.names import FUNDS
from medinsure.settlement.engine import Engine
from medinsure.settlement.result import Settlement

__all__ = ["COMMANDS", "add_commands", "add_settle_options", "run"]

#: The commands this module adds (``settle --ledger`` is routed here as well).
COMMANDS = ("reverse", "correct", "ledger")

T = TypeVar("T")
MakeEngine = Callable[[argparse.Namespace], Engine]


def _ledger_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--ledger",
        required=required,
        metavar="PATH|URL",
        help="the ledger: a SQLite file, or a postgresql:// URL (needs medinsure[postgresql])",
    )
    parser.add_argument("--show-ids", action="store_true", help="print person ids unmasked")


def add_settle_options(settle: argparse.ArgumentParser) -> None:
    """Add ``--ledger`` and ``--dry-run`` to the ``settle`` command (which has ``--show-ids``)."""
    settle.add_argument(
        "--ledger",
        metavar="PATH|URL",
        help="settle into a ledger: a SQLite file, or a postgresql:// URL (needs medinsure[postgresql])",
    )
    settle.add_argument(
        "--dry-run", action="store_true", help="with --ledger: pre-settle against the ledger, record nothing"
    )
    settle.add_argument(
        "--commit-every",
        type=_positive,
        metavar="N",
        help="with --ledger: commit every N claims instead of the whole file at once (other writers go"
        " on in between; an error stops it with the groups before recorded, and running the file again"
        " resumes it)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of claims, 1 or more, not {text!r}")
    return value


def add_commands(sub: Any, common: argparse.ArgumentParser, settling: argparse.ArgumentParser | None = None) -> None:
    """Add ``reverse``, ``correct`` and ``ledger show|verify`` to the command line.

    ``settling`` (the common options and ``--strict``) is given to the commands that settle.
    """
    settling = settling or common
    options = argparse.ArgumentParser(add_help=False)
    _ledger_options(options, required=True)

    reverse = sub.add_parser("reverse", parents=[settling, options], help="reverse a claim recorded in a ledger")
    reverse.add_argument("claim_id", metavar="CLAIM_ID", nargs="?", help="the claim id (or give --setl-id)")
    reverse.add_argument("--setl-id", metavar="S", help="the platform's setl_id of the settlement to reverse")
    reverse.add_argument("--mdtrt-id", metavar="M", help="with --setl-id: the mdtrt_id it was recorded with")
    reverse.add_argument("--psn-no", metavar="P", help="with --setl-id: the psn_no it was recorded with")
    reverse.add_argument("--reason", default="", metavar="TEXT", help="why (kept in the audit trail)")

    correct = sub.add_parser(
        "correct", parents=[settling, options], help="replace recorded claims by the claims of the same id in FILE"
    )
    correct.add_argument("file", metavar="FILE")
    correct.add_argument("--jurisdiction", metavar="CODE", help="settle every case under this jurisdiction")
    correct.add_argument("--reason", default="", metavar="TEXT", help="why (kept in the audit trail)")

    ledger = sub.add_parser("ledger", help="inspect a ledger: show a person's years, verify the whole ledger")
    commands = ledger.add_subparsers(dest="ledger_command", required=True, metavar="SUBCOMMAND")
    show = commands.add_parser(
        "show", parents=[common, options], help="a person's claims, accumulators and audit trail"
    )
    show.add_argument("person", metavar="PERSON")
    show.add_argument("--year", type=int, metavar="YEAR", help="only this policy year")
    commands.add_parser(
        "verify", parents=[settling, options], help="recompute every person-year; exit 1 when anything differs"
    )


def run(args: argparse.Namespace, make_engine: MakeEngine, out: TextIO, err: TextIO | None = None) -> int:
    """Run a ledger command (or ``settle --ledger``); errors have person ids masked.

    A progress bar goes to ``err`` when it is a terminal.
    """
    masker = IdMasker(show=args.show_ids)
    ids: set[str] = set()
    progress = Progress(err or sys.stderr, None)
    try:
        if args.command in ("settle", "presettle"):
            if progress.active:
                progress.close()
                progress = Progress(err or sys.stderr, count_records(args.file))
            return _settle(args, make_engine, out, masker, ids, progress)
        if args.command == "reverse":
            return _reverse(args, make_engine, out, masker, ids)
        if args.command == "correct":
            return _correct(args, make_engine, out, masker, ids)
        if args.ledger_command == "show":
            ids.add(args.person)
            return _show(args, make_engine, out, masker)
        return _verify(args, make_engine, out, masker, progress)
    except MedinsureError as exc:
        message = masker.text(str(exc), ids)
        if message == str(exc):
            raise
        raise MedinsureError(message) from None
    finally:
        progress.close()


# --- settle, correct -------------------------------------------------------------------------


def _at(where: str, action: Callable[[], T]) -> T:
    """Run ``action``; an error becomes a one-line InputError naming the file and row or case."""
    with naming(where):
        return action()


def _items(file: str, jurisdiction: str | None, ids: set[str], lines: str | None = None) -> Iterator[Submission]:
    """The claims of a scenario or CSV file, validated, as they are read."""
    for record in read_records(file, lines=lines):
        if record.patient.get("id") is not None:
            ids.add(str(record.patient["id"]))
        code = jurisdiction or record.jurisdiction
        if not code:
            raise InputError(record.where, "no jurisdiction: give a jurisdiction column or --jurisdiction")
        patient = _at(record.where, partial(Patient.from_mapping, record.patient))
        claim = _at(record.where, partial(Claim.from_mapping, record.claim))
        yield Submission(patient, claim, code, record.where)


def _open(args: argparse.Namespace, make_engine: MakeEngine, masker: IdMasker, *, create: bool) -> Ledger:
    return open_ledger(args.ledger, make_engine(args), create=create, masker=masker)


def _presettle(ledger: Ledger, submissions: Iterator[Submission]) -> Generator[Settlement, None, None]:
    with ledger.dry_run() as dry:
        for sub in submissions:
            yield _at(sub.where, partial(dry.settle, sub.patient, sub.claim, jurisdiction=sub.jurisdiction))


def _settle(
    args: argparse.Namespace,
    make_engine: MakeEngine,
    out: TextIO,
    masker: IdMasker,
    ids: set[str],
    progress: Progress,
) -> int:
    if not args.ledger:
        raise MedinsureError("--dry-run: needs --ledger (a pre-settlement is made against a ledger)")
    every = getattr(args, "commit_every", None)
    if every is not None and args.dry_run:
        raise MedinsureError("--commit-every: goes with recording (not with --dry-run or presettle)")
    lines = getattr(args, "lines", None)
    committed = 0  # with --commit-every: the claims yielded so far are recorded
    with _open(args, make_engine, masker, create=not args.dry_run) as ledger:

        def record() -> Generator[Settlement, None, None]:
            nonlocal committed
            if every is not None:  # bad input anywhere, and no group is recorded
                for _ in _presettle(ledger, _items(args.file, args.jurisdiction, ids, lines)):
                    pass
            submissions = _items(args.file, args.jurisdiction, ids, lines)
            recording = ledger.record_many(submissions, commit_every=every)
            with closing(recording):
                for recorded in recording:
                    committed += 1
                    yield recorded.settlement

        def write(handle: TextIO) -> None:
            if args.dry_run:
                settlements = _presettle(ledger, _items(args.file, args.jurisdiction, ids, lines))
                if args.format == "table":
                    print(
                        f"Pre-settlement against ledger {ledger.location} (2206 outpatient / 2303 inpatient):"
                        " nothing recorded.\n",
                        file=handle,
                    )
            else:
                settlements = record()
            with closing(settlements):
                # the same output as settle without a ledger; whole or not at all, to -o OUT when given
                write_as_asked(args, settlements, handle, progress)

        try:
            emit(args.output, out, write)
        except MedinsureError as exc:
            if every is not None and committed:
                before = f"the {committed:,} claims before it are" if committed > 1 else "the claim before it is"
                raise MedinsureError(
                    f"{exc} ({before} recorded, in groups of {every}: run the file again once it is fixed;"
                    " recorded claims are returned as they are)"
                ) from None
            raise
    return 0


def _correct(args: argparse.Namespace, make_engine: MakeEngine, out: TextIO, masker: IdMasker, ids: set[str]) -> int:
    items = list(_items(args.file, args.jurisdiction, ids))
    with _open(args, make_engine, masker, create=False) as ledger:

        def check(item: Submission) -> None:
            """Every corrected claim is recorded already, and settles on its own."""
            if ledger.entry(item.claim.id) is None:
                raise UnknownClaim(item.claim.id)
            ledger.engine.settle_claim(item.patient, item.claim, jurisdiction=item.jurisdiction)

        for item in items:
            _at(item.where, partial(check, item))
        for item in items:
            event = _at(
                item.where,
                partial(ledger.correct, item.patient, item.claim, jurisdiction=item.jurisdiction, reason=args.reason),
            )
            if event is None:
                print(f"Claim {item.claim.id}: as recorded, nothing to correct.", file=out)
            else:
                head = f"Corrected claim {item.claim.id} (person {masker(item.patient.id)}, year {item.claim.year})"
                print(_describe_event(head, event), file=out)
    return 0


# --- reverse, show, verify ---------------------------------------------------------------------


def _reverse(args: argparse.Namespace, make_engine: MakeEngine, out: TextIO, masker: IdMasker, ids: set[str]) -> int:
    if (args.claim_id is None) == (args.setl_id is None):
        raise MedinsureError("reverse: give a CLAIM_ID or --setl-id (one of them)")
    if args.setl_id is None and (args.mdtrt_id or args.psn_no):
        raise MedinsureError("reverse: --mdtrt-id and --psn-no go with --setl-id")
    if args.psn_no:
        ids.add(args.psn_no)
    with _open(args, make_engine, masker, create=False) as ledger:
        if args.setl_id is not None:
            found = ledger.ids(setl_id=args.setl_id)
            claim_id = found.claim_id if found is not None else args.setl_id
        else:
            claim_id = args.claim_id
        entry = ledger.entry(claim_id) if args.setl_id is None or found is not None else None
        if entry is not None:
            ids.add(entry.person_id)
        if args.setl_id is not None:
            event = ledger.reverse_settlement(
                args.setl_id, mdtrt_id=args.mdtrt_id, psn_no=args.psn_no, reason=args.reason
            )
        else:
            if entry is None:
                raise UnknownClaim(claim_id)
            event = ledger.reverse(claim_id, reason=args.reason)
    assert entry is not None
    head = (
        f"Reversed claim {claim_id} (person {masker(entry.person_id)}, year {entry.year};"
        f" setl_id {event.setl_id}, {interface(entry.claim.kind, 'reverse')} reversal)"
    )
    print(_describe_event(head, event), file=out)
    return 0


def _describe_event(head: str, event: Event) -> str:
    lines = [f"{head}: ledger event {event.event_id}" + (f", reason: {event.reason}" if event.reason else "")]
    lines.extend(_adjustment_lines(event, indent="  "))
    return "\n".join(lines)


def _adjustment_lines(event: Event, indent: str) -> Iterator[str]:
    changed = {a.claim_id for a in event.adjustments}
    for a in event.adjustments:
        yield f"{indent}{a.claim_id:<12} v{a.from_version}→v{a.to_version}  {a.component:<20}{a.amount:>+16,.2f}"
    for claim_id, version in event.versions:
        if claim_id not in changed:
            yield f"{indent}{claim_id:<12} v{version - 1}→v{version}  settled again, amounts unchanged"


def _show(args: argparse.Namespace, make_engine: MakeEngine, out: TextIO, masker: IdMasker) -> int:
    person = args.person
    with _open(args, make_engine, masker, create=False) as ledger:
        years = [args.year] if args.year is not None else ledger.years(person)
        shown = [(y, ledger.entries(person, y), ledger.accumulator(person, y), ledger.events(person, y)) for y in years]
    shown = [s for s in shown if s[1]]
    if not shown:
        year = f" in {args.year}" if args.year is not None else ""
        raise LedgerError(f"person={masker(person)!r}: the ledger holds no claims of this person{year}")
    lines = [f"Person {masker(person)}"]
    for y, entries, acc, events in shown:
        reversed_ = sum(1 for e in entries if e.reversed)
        lines.append("")
        lines.append(
            f"Year {y}: {len(entries)} claims"
            + (f", {reversed_} reversed" if reversed_ else "")
            + ", in settlement order"
        )
        amounts = [e.settlement.amounts() if e.settlement is not None else {} for e in entries]
        # the funds paid to someone this year, then the totals
        columns = [c for c in FUNDS if any(a.get(c) for a in amounts)] + ["fund_total", "patient_total"]
        lines.append(
            f"  {'seq':>5}  {'claim':<12}{'discharged':<12}{'ver':>4}  {'status':<9}"
            + "".join(f"{c:>19}" for c in columns)
        )
        for e, a in zip(entries, amounts, strict=True):
            lines.append(
                f"  {e.seq:>5}  {e.claim_id:<12}{e.claim.discharged.isoformat():<12}{e.version:>4}  {e.status:<9}"
                + "".join(f"{fmt(a.get(c, Decimal('0.00'))):>19}" for c in columns)
            )
        lines.append(f"  Accumulator: in-scope {fmt(acc.in_scope)}, basic pool {fmt(acc.basic_pool)},")
        lines.append(f"    {acc.admissions} admissions, {acc.claims} claims")
        for key in sorted(acc.bases):
            lines.append(f"    base {key}: {fmt(acc.bases[key])}, paid {fmt(acc.paid[key])}")
        lines.append("  Audit trail:")
        kinds = {e.claim_id: e.claim.kind for e in entries}
        for event in events:
            reason = f" — {event.reason}" if event.reason else ""
            step = ""
            if event.kind in ("settle", "reverse") and event.claim_id in kinds:
                step = f" ({interface(kinds[event.claim_id], event.kind)}, setl_id {event.setl_id})"
            lines.append(f"    event {event.event_id} {event.recorded_at} {event.kind} {event.claim_id}{step}{reason}")
            lines.extend(_adjustment_lines(event, indent="      "))
    print("\n".join(lines), file=out)
    return 0


def _verify(
    args: argparse.Namespace, make_engine: MakeEngine, out: TextIO, masker: IdMasker, progress: Progress
) -> int:
    with _open(args, make_engine, masker, create=False) as ledger:
        report = ledger.verify(progress=progress)
    for difference in report.differences:
        print(f"DIFF {difference.describe(masker)}", file=out)
    summary = f"{report.person_years} person-years, {report.claims} claims, {report.events} events"
    if report.ok:
        print(f"{summary}: no difference", file=out)
        return 0
    print(f"{summary}: {len(report.differences)} differences", file=out)
    return 1
