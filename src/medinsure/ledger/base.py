"""The ledger: settled claims and annual accumulators kept in a database.

:class:`Ledger` holds everything that does not depend on the database; :mod:`.sqlite` and
:mod:`.postgres` give it transactions, locks and identifiers. The rules it keeps:

- **Atomic per claim.** A claim's settlement, its audit rows and its person-year's accumulator
  are written in one transaction.
- **Idempotent by claim id.** A claim id already in the ledger with the same content (patient,
  claim fields, jurisdiction: compared by fingerprint) returns the stored settlement and writes
  nothing; with different content it is refused (:class:`~medinsure.errors.ClaimConflict`).
- **Settlement order = arrival order.** Within a person-year, claims are settled in the order
  the ledger first received them (``seq``). A late claim — a manual application, care in
  another province settled weeks later — is settled into the policy year of its service date,
  after the claims already there; claims already settled are not reopened by it.
- **Reversal** re-settles the later claims of the person-year, in their order, from the
  accumulator as it was before the reversed claim; **correction** replaces a claim's content and
  keeps its place in the order (its ``seq``), then re-settles the claims after it. Each change
  adds settlement versions and adjustments; nothing is overwritten.
- **Locks per person-year.** Writers of one person-year run one after the other; readers never
  wait.
- **Many claims at once.** :meth:`Ledger.record_many` records a file's claims in one
  transaction (all or nothing), or in groups of ``commit_every`` claims (each group whole or
  not at all), with the statements of many claims sent together.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from typing import Any, ClassVar, Protocol, TypeVar

import attrs

from medinsure.errors import (
    ClaimConflict,
    ClaimReversed,
    ConcurrentWrite,
    InvalidInput,
    LedgerError,
    MedinsureError,
    UnknownClaim,
    naming,
)
from medinsure.io.masking import IdMasker
from medinsure.io.national import derived_setl_id
from medinsure.ledger import codec
from medinsure.ledger.schema import LEDGER_MARKER, MIGRATIONS, SCHEMA_VERSION, TABLES, ddl
from medinsure.model import Claim, Patient
from medinsure.money import fmt
from medinsure.rules.names import COMPONENTS
from medinsure.settlement.accumulator import Accumulator
from medinsure.settlement.engine import Engine
from medinsure.settlement.result import Settlement
from medinsure.settlement.years import PersonYears

__all__ = [
    "Adjustment",
    "Difference",
    "DryRun",
    "Entry",
    "Event",
    "Ledger",
    "Recorded",
    "Report",
    "SettlementIds",
    "Submission",
]

log = logging.getLogger("medinsure.ledger")

T = TypeVar("T")
_RETRIES = 5
#: Claims whose statements are sent together when a file is recorded in one transaction.
_GROUP = 256
#: Values in one ``IN (…)`` list.
_IN = 500
PersonYear = tuple[str, int]


class Tx(Protocol):
    """A transaction of a backend; SQL uses ``?`` placeholders."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def run(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run ``sql`` once for each of ``rows`` (sent together)."""


# --- what the ledger gives back ----------------------------------------------------------------


@attrs.frozen
class Adjustment:
    """How much one component of one claim changed in one event (new version − previous)."""

    event_id: int
    claim_id: str
    from_version: int
    to_version: int
    component: str
    amount: Decimal


@attrs.frozen
class Event:
    """A settle, reverse or correct, with the adjustments and settlement versions it wrote."""

    event_id: int
    kind: str
    claim_id: str
    reason: str
    recorded_at: str
    adjustments: tuple[Adjustment, ...] = ()
    versions: tuple[tuple[str, int], ...] = ()
    #: The claim's national ``setl_id`` (None only before the claim's first settlement).
    setl_id: str | None = None


@attrs.frozen
class SettlementIds:
    """The national platform's ids of a recorded claim."""

    setl_id: str
    claim_id: str
    mdtrt_id: str
    psn_no: str


@attrs.frozen
class Entry:
    """A claim as the ledger holds it now: its place, current content, version and settlement.

    ``settlement`` is None for a reversed claim.
    """

    claim_id: str
    seq: int
    person_id: str
    year: int
    jurisdiction: str
    version: int
    submission: int
    status: str
    claim: Claim
    settlement: Settlement | None

    @property
    def reversed(self) -> bool:
        return self.status == "reversed"


@attrs.frozen
class Difference:
    """Something ``verify`` found stored otherwise than it recomputes it."""

    person_id: str
    year: int | None
    claim_id: str | None
    what: str
    stored: str
    recomputed: str

    def describe(self, masker: IdMasker) -> str:
        where = f"person {masker(self.person_id)}" + (f", year {self.year}" if self.year is not None else "")
        if self.claim_id is not None:
            where += f", claim {self.claim_id}"
        text = f"{where}: {self.what}: stored {self.stored}, recomputed {self.recomputed}"
        return masker.text(text, [self.person_id])


@attrs.frozen
class Recorded:
    """What :meth:`Ledger.record` gives: the settlement, and whether this call recorded it."""

    settlement: Settlement
    new: bool


@attrs.frozen
class Submission:
    """A claim to record with :meth:`Ledger.record_many`: patient, claim and jurisdiction.

    ``where`` names the claim for its errors (a file and row, say): when it is given, an error
    about this claim is raised as an :class:`~medinsure.errors.InputError` that starts with it.
    """

    patient: Patient
    claim: Claim
    jurisdiction: str
    where: str = ""


@attrs.frozen
class _Pending:
    """A submission with its canonical content (as data and as text), fingerprint and person-year."""

    submission: Submission
    data: dict[str, Any]
    text: str
    fingerprint: str
    key: PersonYear


@attrs.frozen
class Report:
    """The result of :meth:`Ledger.verify`."""

    person_years: int
    claims: int
    events: int
    differences: tuple[Difference, ...]

    @property
    def ok(self) -> bool:
        return not self.differences


@attrs.define
class _Stored:
    """A claim's current submission and current settlement version, as stored."""

    claim_id: str
    seq: int
    submission: int
    fingerprint: str
    jurisdiction: str
    person_id: str
    year: int
    content: str
    version: int
    status: str
    settled_person_id: str
    settled_year: int
    amounts: str
    record: str | None
    settled_event: int

    @property
    def key(self) -> PersonYear:
        return (self.person_id, self.year)

    @property
    def settled_key(self) -> PersonYear:
        return (self.settled_person_id, self.settled_year)

    def inputs(self) -> tuple[Patient, Claim, str]:
        data = json.loads(self.content)
        return Patient.from_mapping(data["patient"]), Claim.from_mapping(data["claim"]), data["jurisdiction"]

    def settlement(self) -> Settlement | None:
        return None if self.record is None else codec.decode_settlement(json.loads(self.record))


_CURRENT = """
SELECT c.claim_id, c.seq, b.version, b.fingerprint, b.jurisdiction, b.person_id, b.year, b.content,
       s.version, s.status, s.person_id, s.year, s.amounts, s.record, s.event_id
FROM ledger_claims c
JOIN ledger_submissions b ON b.claim_id = c.claim_id
 AND b.version = (SELECT MAX(version) FROM ledger_submissions WHERE claim_id = c.claim_id)
JOIN ledger_settlements s ON s.claim_id = c.claim_id
 AND s.version = (SELECT MAX(version) FROM ledger_settlements WHERE claim_id = c.claim_id)
"""


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter), read as they are needed."""
    group: list[T] = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


def _in(tx: Tx, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` whose ``IN ({})`` takes ``values``, asked in parts of :data:`_IN`."""
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(values), _IN):
        part = values[start : start + _IN]
        rows.extend(tx.rows(sql.format(", ".join("?" * len(part))), part))
    return rows


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _identify(
    patient: Any, claim: Any, jurisdiction: Any, *, fingerprint: bool = True
) -> tuple[dict[str, Any], str, PersonYear]:
    """A claim's content, its fingerprint (unless ``fingerprint=False``: empty) and its
    person-year (inputs checked first)."""
    if not isinstance(patient, Patient):
        raise InvalidInput("patient", patient, "expected a Patient (use Patient.from_mapping)")
    if not isinstance(claim, Claim):
        raise InvalidInput("claim", claim, "expected a Claim (use Claim.from_mapping)")
    if not isinstance(jurisdiction, str):
        raise InvalidInput("jurisdiction", jurisdiction, "expected a jurisdiction code")
    data = codec.content(patient, claim, jurisdiction)
    return data, codec.fingerprint(data) if fingerprint else "", (patient.id, claim.year)


class Ledger(ABC):
    """Settled claims and annual accumulators in a database; open one with :func:`open_ledger`.

    A ledger object holds one database connection: use it from one thread, and one per process.
    Several processes may settle into the same database at once.
    """

    dialect: ClassVar[str]

    def __init__(self, engine: Engine, *, masker: IdMasker | None = None, create: bool = True) -> None:
        """Called by a backend once it is connected: prepares the connection and the tables."""
        self.engine = engine
        self.masker = masker or IdMasker()
        try:
            self._prepare(create)
            self._open_schema(create)
        except BaseException:
            self.close()
            raise

    # -- what a backend provides -------------------------------------------------------------------

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the ledger is, for messages (a path, or a URL without its password)."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Tx]:
        """A read-only transaction that sees one consistent state."""

    @abstractmethod
    def _write(self, keys: Iterable[PersonYear]) -> AbstractContextManager[Tx]:
        """A transaction holding the write locks of ``keys``; commits when the block ends normally."""

    @abstractmethod
    def _write_all(self) -> AbstractContextManager[Tx]:
        """A transaction that no other writer runs beside: a whole file recorded at once."""

    @abstractmethod
    def _next_seqs(self, tx: Tx, count: int) -> list[int]:
        """The next ``count`` arrival numbers, ascending (called with the write locks held)."""

    @abstractmethod
    def _insert_events(self, tx: Tx, rows: Sequence[tuple[str, str, str, str]]) -> list[int]:
        """Insert events ``(kind, claim_id, reason, recorded_at)``; their ids, in order."""

    @abstractmethod
    def _has_schema(self, tx: Tx) -> bool: ...

    @abstractmethod
    def _other_tables(self, tx: Tx) -> list[str]:
        """The tables the database (or schema) holds, to refuse one that is not a ledger."""

    @abstractmethod
    def _prepare(self, create: bool) -> None:
        """Set the connection up before the tables are looked at."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open_schema(self, create: bool) -> None:
        with self._write([("", 0)]) as tx:
            if not self._has_schema(tx):
                if not create:
                    raise LedgerError(f"ledger {self.location}: holds no medinsure ledger")
                others = self._other_tables(tx)
                if others:  # someone else's database: never add tables to it
                    shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
                    raise LedgerError(
                        f"ledger {self.location}: not a medinsure ledger (it holds other tables: {shown});"
                        " give a new file or an empty database"
                    )
                for statement in ddl(self.dialect):
                    tx.run(statement)
                tx.run("INSERT INTO ledger_meta (key, value) VALUES (?, ?)", ("schema", SCHEMA_VERSION))
                tx.run("INSERT INTO ledger_meta (key, value) VALUES (?, ?)", ("application", LEDGER_MARKER))
            marker = tx.rows("SELECT value FROM ledger_meta WHERE key = ?", ("application",))
            found = tx.rows("SELECT value FROM ledger_meta WHERE key = ?", ("schema",))
            if not marker and found and found[0][0] in MIGRATIONS:
                # a ledger of an earlier schema, from before the marker: it is ours, and gets it
                tx.run("INSERT INTO ledger_meta (key, value) VALUES (?, ?)", ("application", LEDGER_MARKER))
            elif not marker or marker[0][0] != LEDGER_MARKER:
                raise LedgerError(f"ledger {self.location}: not a medinsure ledger (its ledger_meta has no marker)")
            while found and found[0][0] in MIGRATIONS:
                self._migrate(tx, found[0][0])
                found = tx.rows("SELECT value FROM ledger_meta WHERE key = ?", ("schema",))
            if not found or found[0][0] != SCHEMA_VERSION:
                version = found[0][0] if found else None
                raise LedgerError(
                    f"ledger {self.location}: schema version {version!r} is not the one this medinsure reads"
                    f" ({SCHEMA_VERSION!r})"
                )

    def _migrate(self, tx: Tx, version: str) -> None:
        """Bring the tables of schema ``version`` to the next version (in the caller's transaction)."""
        target, statements = MIGRATIONS[version]
        for statement in statements:
            tx.run(statement)
        if version == "1":  # the national ids of every claim, from its first submission
            rows = tx.rows("SELECT claim_id, content FROM ledger_submissions WHERE version = 1 ORDER BY claim_id")
            for claim_id, text in rows:
                data = json.loads(text)
                claim = data["claim"]
                setl_id = claim.get("setl_id") or derived_setl_id(data["jurisdiction"], data["patient"]["id"], claim_id)
                tx.run(
                    "INSERT INTO ledger_setl_ids (setl_id, claim_id, mdtrt_id, psn_no) VALUES (?, ?, ?, ?)",
                    (setl_id, claim_id, claim.get("mdtrt_id") or claim_id, data["patient"]["id"]),
                )
        tx.run("UPDATE ledger_meta SET value = ? WHERE key = ?", (target, "schema"))
        log.info("ledger %s: schema %s brought to %s", self.location, version, target)

    # -- settling ----------------------------------------------------------------------------------

    def settle(self, patient: Patient, claim: Claim, *, jurisdiction: str) -> Settlement:
        """Settle one claim into its person-year and record it, or return it as already recorded.

        The settlement and the accumulator update commit together or not at all. The same claim
        id with the same content returns the stored settlement (its current version) and writes
        nothing; with other content it raises :class:`~medinsure.errors.ClaimConflict`; a reversed claim
        id raises :class:`~medinsure.errors.ClaimReversed`.
        """
        return self.record(patient, claim, jurisdiction=jurisdiction).settlement

    def record(self, patient: Patient, claim: Claim, *, jurisdiction: str) -> Recorded:
        """:meth:`settle`, saying whether this call recorded the claim or found it recorded."""
        (pending,) = self._pending([Submission(patient, claim, jurisdiction)], {})
        for _ in range(_RETRIES):
            with self._read() as tx:  # a claim recorded already is returned without a write lock
                stored = self._stored(tx, claim.id)
            if stored is not None:
                return Recorded(self._replay(stored, pending.fingerprint, pending.data), new=False)
            try:
                with self._write([pending.key]) as tx:
                    (recorded,) = self._record_group(tx, [pending])
            except ConcurrentWrite:
                continue  # another writer recorded this claim id meanwhile: read it again
            return recorded
        raise LedgerError(f"claim.id={claim.id!r}: not recorded after {_RETRIES} attempts (concurrent writers)")

    def record_many(
        self, submissions: Iterable[Submission], *, commit_every: int | None = None
    ) -> Generator[Recorded, None, None]:
        """Record claims in order, each as :meth:`record` would, and yield what each gave.

        Without ``commit_every``, all of them in **one transaction**, committed when the iteration
        ends: all or nothing. An error about any claim (invalid, refused, conflicting with the
        ledger), an interruption, or the caller stopping early, and none of them is recorded.
        Other writers wait for it (SQLite's write lock; on PostgreSQL a ledger-wide lock that
        every other writer takes shared), so a claim another process records meanwhile cannot
        slip in between.

        With ``commit_every=N``, a transaction per group of N claims: each group whole or not at
        all, other writers in between. An error stops the recording with the groups before it
        recorded (the claims yielded so far); recording the same claims again returns those as
        they are and records the rest.

        Either way the statements of many claims are sent together, and memory does not grow
        with the number of claims. A claim id given twice is refused.
        """
        if commit_every is not None and (
            isinstance(commit_every, bool) or not isinstance(commit_every, int) or commit_every < 1
        ):
            raise InvalidInput("commit_every", commit_every, "expected a number of claims, 1 or more")
        seen: dict[str, str] = {}  # claim id -> where it was first given
        if commit_every is None:
            with self._write_all() as tx:
                for group in _chunks(submissions, _GROUP):
                    yield from self._record_group(tx, self._pending(group, seen))
            return
        for group in _chunks(submissions, commit_every):
            pending = self._pending(group, seen)
            keys = {p.key for p in pending}
            for _ in range(_RETRIES):
                try:
                    with self._write(keys) as tx:
                        done = self._record_group(tx, pending)
                    break
                except ConcurrentWrite:
                    continue  # another writer recorded one of these claim ids meanwhile: again
            else:
                raise LedgerError(f"{len(pending)} claims: not recorded after {_RETRIES} attempts (concurrent writers)")
            yield from done

    def _pending(self, group: Sequence[Submission], seen: dict[str, str]) -> list[_Pending]:
        out = []
        for sub in group:
            with naming(getattr(sub, "where", "")):  # not yet known to be a Submission
                if not isinstance(sub, Submission):
                    raise InvalidInput("submission", sub, "expected a Submission (patient, claim, jurisdiction)")
                data, _, key = _identify(sub.patient, sub.claim, sub.jurisdiction, fingerprint=False)
                if sub.claim.id in seen:
                    first = seen[sub.claim.id]
                    raise InvalidInput(
                        "claim.id", sub.claim.id, "claim id given twice" + (f" (first at {first})" if first else "")
                    )
            seen[sub.claim.id] = sub.where.rpartition(": ")[2]
            text = _json(data)  # made once: the stored content and its fingerprint
            out.append(_Pending(sub, data, text, codec.fingerprint_of(text), key))
        return out

    def _record_group(self, tx: Tx, pending: list[_Pending]) -> list[Recorded]:
        """Record ``pending`` in the transaction ``tx`` (its locks held), in order."""
        ids = [p.submission.claim.id for p in pending]
        found = {row[0] for row in _in(tx, "SELECT claim_id FROM ledger_claims WHERE claim_id IN ({})", ids)}
        accumulators: dict[PersonYear, Accumulator] = {}
        new_keys = {p.key for p in pending if p.submission.claim.id not in found}
        for person_id, year, text in _in(
            tx,
            "SELECT person_id, year, accumulator FROM ledger_person_years WHERE person_id IN ({})",
            sorted({person for person, _ in new_keys}),
        ):
            if (person_id, year) in new_keys:
                accumulators[(person_id, year)] = codec.accumulator_from_dict(json.loads(text))
        out: list[Recorded] = []
        new: list[tuple[_Pending, Settlement, str]] = []
        for p in pending:
            sub = p.submission
            with naming(sub.where):
                if sub.claim.id in found:
                    stored = self._stored(tx, sub.claim.id)
                    assert stored is not None  # rows are never deleted
                    out.append(Recorded(self._replay(stored, p.fingerprint, p.data), new=False))
                    continue
                before = accumulators[p.key] if p.key in accumulators else Accumulator.empty(*p.key)
                settlement = self.engine.settle_claim(
                    sub.patient, sub.claim, jurisdiction=sub.jurisdiction, accumulator=before
                )
            accumulators[p.key] = settlement.accumulator_after
            setl_id = sub.claim.setl_id or derived_setl_id(sub.jurisdiction, sub.patient.id, sub.claim.id)
            new.append((p, settlement, setl_id))
            out.append(Recorded(settlement, new=True))
        if new:
            self._insert_new(tx, new)
        return out

    def _insert_new(self, tx: Tx, new: list[tuple[_Pending, Settlement, str]]) -> None:
        """The rows of newly settled claims: events, claims, submissions, settlements, ids."""
        setl_ids = [setl_id for _, _, setl_id in new]
        taken = dict(_in(tx, "SELECT setl_id, claim_id FROM ledger_setl_ids WHERE setl_id IN ({})", setl_ids))
        for p, _, setl_id in new:
            owner = taken.setdefault(setl_id, p.submission.claim.id)
            if owner != p.submission.claim.id:
                with naming(p.submission.where):
                    raise InvalidInput("claim.setl_id", setl_id, f"already the setl_id of claim {owner!r}")
        now = _now()
        events = self._insert_events(tx, [("settle", p.submission.claim.id, "", now) for p, _, _ in new])
        seqs = self._next_seqs(tx, len(new))
        claims, submissions, settlements, adjustments, ids = [], [], [], [], []
        last: dict[PersonYear, tuple[int, Accumulator]] = {}
        for (p, settlement, setl_id), event_id, seq in zip(new, events, seqs, strict=True):
            sub, claim_id = p.submission, p.submission.claim.id
            amounts = codec.amounts_of(settlement)
            claims.append((claim_id, seq, event_id))
            submissions.append((claim_id, event_id, p.fingerprint, sub.jurisdiction, *p.key, p.text))
            record = codec.canonical_json(codec.encode_settlement(settlement))
            settlements.append((claim_id, event_id, *p.key, _json(amounts), record))
            for component, diff in codec.component_differences({}, amounts).items():
                adjustments.append((event_id, claim_id, component, str(diff)))
            ids.append((setl_id, claim_id, sub.claim.treatment_id, sub.patient.id))
            last[p.key] = (event_id, settlement.accumulator_after)
        tx.many("INSERT INTO ledger_claims (claim_id, seq, first_event) VALUES (?, ?, ?)", claims)
        tx.many(
            "INSERT INTO ledger_submissions (claim_id, version, event_id, fingerprint, jurisdiction, person_id, year,"
            " content) VALUES (?, 1, ?, ?, ?, ?, ?, ?)",
            submissions,
        )
        tx.many(
            "INSERT INTO ledger_settlements (claim_id, version, event_id, submission, status, person_id, year,"
            " amounts, record) VALUES (?, 1, ?, 1, 'settled', ?, ?, ?, ?)",
            settlements,
        )
        tx.many(
            "INSERT INTO ledger_adjustments (event_id, claim_id, from_version, to_version, component, amount)"
            " VALUES (?, ?, 0, 1, ?, ?)",
            adjustments,
        )
        self._store_accumulators(tx, last)
        tx.many("INSERT INTO ledger_setl_ids (setl_id, claim_id, mdtrt_id, psn_no) VALUES (?, ?, ?, ?)", ids)
        for p, _, _ in new:
            log.info("settled claim %s (person %s, %d)", p.submission.claim.id, self.masker(p.key[0]), p.key[1])

    @contextmanager
    def dry_run(self) -> Iterator[DryRun]:
        """A pre-settlement (预结算): settle against the ledger's current state, record nothing.

        Claims settled in one dry run see each other, as they would in the ledger.
        """
        with self._read() as tx:
            yield DryRun(self, tx)

    def presettle(self, patient: Patient, claims: Iterable[Claim], *, jurisdiction: str) -> list[Settlement]:
        """The settlements ``claims`` would get now, in order; the ledger is left as it is."""
        with self.dry_run() as dry:
            return [dry.settle(patient, claim, jurisdiction=jurisdiction) for claim in claims]

    def reverse(self, claim_id: str, *, reason: str = "") -> Event:
        """Reverse a claim (a refund, a claim settled in error) and re-settle the claims after it.

        The claim gets a ``reversed`` version with no amounts; every later claim of its
        person-year is settled again, in order, from the accumulator as it was before the
        reversed claim, and gets a new version where its settlement changed.
        """
        reason = _reason(reason)
        for _ in range(_RETRIES):
            with self._read() as tx:
                stored = self._stored(tx, claim_id)
            if stored is None:
                raise UnknownClaim(claim_id)
            if stored.status == "reversed":
                raise ClaimReversed(claim_id, stored.settled_event)
            with self._write([stored.settled_key]) as tx:
                now = self._stored(tx, claim_id)
                assert now is not None  # rows are never deleted
                if now.status == "reversed":
                    raise ClaimReversed(claim_id, now.settled_event)
                if now.settled_key != stored.settled_key:
                    continue  # corrected into another person-year meanwhile: lock that one
                event_id = self._event(tx, "reverse", claim_id, reason)
                self._add_version(tx, event_id, now, None, now.settled_key)
                self._rebuild(tx, now.settled_key, now.seq, event_id)
                event = self._event_record(tx, event_id)
            log.info("reversed claim %s (person %s, %d)", claim_id, self.masker(now.person_id), now.year)
            return event
        raise LedgerError(f"claim.id={claim_id!r}: not reversed after {_RETRIES} attempts (concurrent writers)")

    def ids(self, *, setl_id: str | None = None, claim_id: str | None = None) -> SettlementIds | None:
        """The national ids of a recorded claim, found by its ``setl_id`` or its claim id."""
        column, value = ("setl_id", setl_id) if setl_id is not None else ("claim_id", claim_id)
        with self._read() as tx:
            rows = tx.rows(
                f"SELECT setl_id, claim_id, mdtrt_id, psn_no FROM ledger_setl_ids WHERE {column} = ?", (value,)
            )
        return SettlementIds(*rows[0]) if rows else None

    def reverse_settlement(
        self, setl_id: str, *, mdtrt_id: str | None = None, psn_no: str | None = None, reason: str = ""
    ) -> Event:
        """Reverse a settlement by the platform's ids (interfaces 2208 / 2305): see :meth:`reverse`.

        ``mdtrt_id`` and ``psn_no``, when given, must be those recorded with ``setl_id``.
        """
        ids = self.ids(setl_id=setl_id)
        if ids is None:
            raise LedgerError(f"setl_id={setl_id!r}: not in the ledger")
        for name, given, recorded in (("mdtrt_id", mdtrt_id, ids.mdtrt_id), ("psn_no", psn_no, ids.psn_no)):
            if given is not None and given != recorded:
                shown = (self.masker(given), self.masker(recorded)) if name == "psn_no" else (given, recorded)
                raise InvalidInput(name, shown[0], f"setl_id {setl_id} was recorded with {name} {shown[1]!r}")
        return self.reverse(ids.claim_id, reason=reason)

    def correct(self, patient: Patient, claim: Claim, *, jurisdiction: str, reason: str = "") -> Event | None:
        """Replace the content of claim ``claim.id`` and settle it again in its place.

        The corrected claim keeps the original's place in the settlement order (as if it had
        arrived right the first time); the claims after it in its person-year are re-settled.
        A correction may move the claim to another person or year: both person-years are
        re-settled from the claim's place. The same content as stored is no correction: None.
        """
        data, fingerprint, new_key = _identify(patient, claim, jurisdiction)
        reason = _reason(reason)
        for _ in range(_RETRIES):
            with self._read() as tx:
                stored = self._stored(tx, claim.id)
            if stored is None:
                raise UnknownClaim(claim.id)
            if stored.status == "reversed":
                raise ClaimReversed(claim.id, stored.settled_event)
            if stored.fingerprint == fingerprint:
                return None
            keys = sorted({stored.settled_key, new_key})
            with self._write(keys) as tx:
                now = self._stored(tx, claim.id)
                assert now is not None
                if now.status == "reversed":
                    raise ClaimReversed(claim.id, now.settled_event)
                if now.fingerprint == fingerprint:
                    return None
                if now.settled_key != stored.settled_key:
                    continue
                event_id = self._event(tx, "correct", claim.id, reason)
                tx.run(
                    "INSERT INTO ledger_submissions (claim_id, version, event_id, fingerprint, jurisdiction,"
                    " person_id, year, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (claim.id, now.submission + 1, event_id, fingerprint, jurisdiction, *new_key, _json(data)),
                )
                for key in keys:
                    self._rebuild(tx, key, now.seq, event_id, force=claim.id)
                event = self._event_record(tx, event_id)
            log.info("corrected claim %s (person %s, %d)", claim.id, self.masker(patient.id), claim.year)
            return event
        raise LedgerError(f"claim.id={claim.id!r}: not corrected after {_RETRIES} attempts (concurrent writers)")

    # -- reading -----------------------------------------------------------------------------------

    def entry(self, claim_id: str) -> Entry | None:
        """The claim as held now, or None when the ledger does not hold it."""
        with self._read() as tx:
            stored = self._stored(tx, claim_id)
        return None if stored is None else _entry(stored)

    def entries(self, person_id: str, year: int | None = None) -> list[Entry]:
        """The person's claims (reversed ones included), by year, then in settlement order."""
        with self._read() as tx:
            years = [year] if year is not None else self._years(tx, person_id)
            out: list[Entry] = []
            for y in years:
                out.extend(_entry(s) for s in self._members(tx, (person_id, y)) if s.key == (person_id, y))
        return out

    def years(self, person_id: str) -> list[int]:
        """The policy years in which the ledger holds claims of the person."""
        with self._read() as tx:
            return self._years(tx, person_id)

    def accumulator(self, person_id: str, year: int) -> Accumulator:
        """The person-year's accumulator now (empty when the ledger has nothing for it)."""
        with self._read() as tx:
            return self._accumulator(tx, (person_id, year))

    def settlement(self, claim_id: str) -> Settlement | None:
        """The claim's current settlement; None when unknown or reversed."""
        entry = self.entry(claim_id)
        return None if entry is None else entry.settlement

    def events(self, person_id: str, year: int | None = None) -> list[Event]:
        """The audit trail of the person (of one year): every event that wrote a version there."""
        sql = "SELECT DISTINCT event_id FROM ledger_settlements WHERE person_id = ?"
        params: list[Any] = [person_id]
        if year is not None:
            sql += " AND year = ?"
            params.append(year)
        with self._read() as tx:
            ids = sorted(row[0] for row in tx.rows(sql, params))
            return [self._event_record(tx, event_id) for event_id in ids]

    def dump(self) -> bytes:
        """Every row of every table, in a fixed order: equal bytes mean an unchanged ledger."""
        lines = []
        with self._read() as tx:
            for table, order in TABLES.items():
                for row in tx.rows(f"SELECT * FROM {table} ORDER BY {order}"):
                    lines.append(codec.canonical_json([table, list(row)]))
        return "\n".join(lines).encode("utf-8")

    # -- verification ------------------------------------------------------------------------------

    def verify(self, *, progress: Callable[[int], object] | None = None) -> Report:
        """Recompute every person-year from the stored claims and the audit trail.

        ``progress`` is called with the number of claims settled again so far.

        Checks that each submission's fingerprint matches its content; that settlement versions
        run 1, 2, … and name existing events; that each claim's adjustments add up to its current
        amounts; and, settling every person-year again from its first claim in settlement order,
        that each current settlement and each stored accumulator is what the engine gives now.
        """
        diffs: list[Difference] = []
        with self._read() as tx:
            stored = self._all(tx)
            events = {row[0] for row in tx.rows("SELECT event_id FROM ledger_events")}
            versions = tx.rows("SELECT claim_id, version, event_id, person_id, year FROM ledger_settlements")
            submissions = tx.rows(
                "SELECT claim_id, version, fingerprint, jurisdiction, person_id, year, content FROM ledger_submissions"
            )
            adjustments = tx.rows("SELECT claim_id, component, amount FROM ledger_adjustments")
            accumulators = {
                (p, y): json.loads(a)
                for p, y, a in tx.rows("SELECT person_id, year, accumulator FROM ledger_person_years")
            }
        by_id = {s.claim_id: s for s in stored}

        for claim_id, version, fingerprint, jurisdiction, person_id, year, text in submissions:
            data = json.loads(text)
            recomputed = (
                codec.fingerprint(data),
                data["jurisdiction"],
                data["patient"]["id"],
                int(data["claim"]["discharged"][:4]),
            )
            if recomputed != (fingerprint, jurisdiction, person_id, year):
                diffs.append(
                    Difference(
                        person_id, year, claim_id, f"submission {version}", repr(fingerprint), repr(recomputed[0])
                    )
                )

        seen: dict[str, list[int]] = {}
        for claim_id, version, event_id, person_id, year in versions:
            seen.setdefault(claim_id, []).append(version)
            if event_id not in events:
                diffs.append(Difference(person_id, year, claim_id, f"version {version}: event", str(event_id), "none"))
        for claim_id, numbers in seen.items():
            if sorted(numbers) != list(range(1, len(numbers) + 1)):
                s = by_id.get(claim_id)
                diffs.append(
                    Difference(
                        s.person_id if s else "?",
                        s.year if s else None,
                        claim_id,
                        "settlement versions",
                        str(sorted(numbers)),
                        str(list(range(1, len(numbers) + 1))),
                    )
                )

        totals: dict[str, dict[str, Decimal]] = {}
        for claim_id, component, amount in adjustments:
            per = totals.setdefault(claim_id, {})
            per[component] = per.get(component, Decimal("0.00")) + Decimal(amount)
        for s in stored:
            summed = {k: str(v) for k, v in totals.get(s.claim_id, {}).items()}
            for component, diff in codec.component_differences(summed, json.loads(s.amounts)).items():
                diffs.append(
                    Difference(
                        s.person_id,
                        s.year,
                        s.claim_id,
                        f"{component}: adjustments",
                        f"{fmt(Decimal(summed.get(component, '0.00')))}",
                        f"{fmt(Decimal(summed.get(component, '0.00')) + diff)}",
                    )
                )

        keys = sorted({s.key for s in stored} | {s.settled_key for s in stored} | set(accumulators))
        members: dict[PersonYear, list[_Stored]] = {}
        for s in stored:
            members.setdefault(s.key, []).append(s)
        done = 0
        for key in keys:
            diffs.extend(self._verify_person_year(key, members.get(key, []), accumulators.get(key)))
            done += len(members.get(key, []))
            if progress is not None:
                progress(done)
        return Report(len(keys), len(stored), len(events), tuple(diffs))

    def _verify_person_year(
        self, key: PersonYear, stored: list[_Stored], accumulator: Mapping[str, Any] | None
    ) -> list[Difference]:
        person_id, year = key
        diffs = []
        years = PersonYears(self.engine)
        for s in stored:
            if s.status != "settled" or s.key != key:
                continue
            if s.settled_key != s.key:
                where = f"{self.masker(s.settled_person_id)}/{s.settled_year}"
                diffs.append(
                    Difference(
                        person_id,
                        year,
                        s.claim_id,
                        "person-year of the settlement",
                        where,
                        f"{self.masker(person_id)}/{year}",
                    )
                )
            patient, claim, jurisdiction = s.inputs()
            try:
                fresh = years.settle(patient, claim, jurisdiction=jurisdiction)
            except MedinsureError as exc:
                diffs.append(Difference(person_id, year, s.claim_id, "settlement", "recorded", f"refused: {exc}"))
                return diffs
            if not codec.same_record(s.record, fresh):
                diffs.extend(_record_differences(s, fresh))
        acc = years.accumulator(person_id, year)
        flat_stored = codec.flatten(accumulator) if accumulator is not None else {}
        flat_fresh = codec.flatten(acc.to_dict()) if accumulator is not None or acc.claims else {}
        for name in sorted(set(flat_stored) | set(flat_fresh)):
            if flat_stored.get(name) != flat_fresh.get(name):
                diffs.append(
                    Difference(
                        person_id,
                        year,
                        None,
                        f"accumulator.{name}",
                        flat_stored.get(name, "none"),
                        flat_fresh.get(name, "none"),
                    )
                )
        return diffs

    # -- internals ---------------------------------------------------------------------------------

    def _stored(self, tx: Tx, claim_id: str) -> _Stored | None:
        rows = tx.rows(_CURRENT + " WHERE c.claim_id = ?", (claim_id,))
        return _Stored(*rows[0]) if rows else None

    def _members(self, tx: Tx, key: PersonYear) -> list[_Stored]:
        """Every claim whose current submission or any settlement version is in the person-year."""
        rows = tx.rows(
            _CURRENT + " WHERE c.claim_id IN (SELECT claim_id FROM ledger_submissions WHERE person_id = ? AND year = ?"
            " UNION SELECT claim_id FROM ledger_settlements WHERE person_id = ? AND year = ?) ORDER BY c.seq",
            (*key, *key),
        )
        return [_Stored(*row) for row in rows]

    def _all(self, tx: Tx) -> list[_Stored]:
        return [_Stored(*row) for row in tx.rows(_CURRENT + " ORDER BY c.seq")]

    def _years(self, tx: Tx, person_id: str) -> list[int]:
        rows = tx.rows("SELECT DISTINCT year FROM ledger_submissions WHERE person_id = ? ORDER BY year", (person_id,))
        return [row[0] for row in rows]

    def _accumulator(self, tx: Tx, key: PersonYear) -> Accumulator:
        rows = tx.rows("SELECT accumulator FROM ledger_person_years WHERE person_id = ? AND year = ?", key)
        return codec.accumulator_from_dict(json.loads(rows[0][0])) if rows else Accumulator.empty(*key)

    def _store_accumulators(self, tx: Tx, last: Mapping[PersonYear, tuple[int, Accumulator]]) -> None:
        """Store each person-year's accumulator, with the event that last changed it."""
        tx.many(
            "INSERT INTO ledger_person_years (person_id, year, accumulator, last_event) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (person_id, year) DO UPDATE SET accumulator = excluded.accumulator,"
            " last_event = excluded.last_event",
            [(*key, _json(acc.to_dict()), event) for key, (event, acc) in last.items()],
        )

    def _event(self, tx: Tx, kind: str, claim_id: str, reason: str) -> int:
        rows = tx.rows(
            "INSERT INTO ledger_events (kind, claim_id, reason, recorded_at) VALUES (?, ?, ?, ?) RETURNING event_id",
            (kind, claim_id, reason, _now()),
        )
        return int(rows[0][0])

    def _event_record(self, tx: Tx, event_id: int) -> Event:
        ((kind, claim_id, reason, recorded_at),) = tx.rows(
            "SELECT kind, claim_id, reason, recorded_at FROM ledger_events WHERE event_id = ?", (event_id,)
        )
        adjustments = tuple(
            Adjustment(event_id, c, f, t, component, Decimal(amount))
            for c, f, t, component, amount in tx.rows(
                "SELECT claim_id, from_version, to_version, component, amount FROM ledger_adjustments"
                " WHERE event_id = ?",
                (event_id,),
            )
        )
        order = {name: i for i, name in enumerate(COMPONENTS)}
        adjustments = tuple(sorted(adjustments, key=lambda a: (a.claim_id, order.get(a.component, 99))))
        versions = tx.rows(
            "SELECT claim_id, version FROM ledger_settlements WHERE event_id = ? ORDER BY claim_id", (event_id,)
        )
        setl = tx.rows("SELECT setl_id FROM ledger_setl_ids WHERE claim_id = ?", (claim_id,))
        return Event(
            event_id,
            kind,
            claim_id,
            reason,
            recorded_at,
            adjustments,
            tuple((c, v) for c, v in versions),
            setl[0][0] if setl else None,
        )

    def _add_version(
        self, tx: Tx, event_id: int, stored: _Stored, settlement: Settlement | None, key: PersonYear
    ) -> None:
        self._insert_version(
            tx,
            event_id,
            stored.claim_id,
            stored.version,
            json.loads(stored.amounts),
            stored.version + 1,
            stored.submission,
            settlement,
            key,
        )

    def _insert_version(
        self,
        tx: Tx,
        event_id: int,
        claim_id: str,
        from_version: int,
        old_amounts: Mapping[str, str],
        version: int,
        submission: int,
        settlement: Settlement | None,
        key: PersonYear,
    ) -> None:
        amounts = codec.amounts_of(settlement) if settlement is not None else {}
        record = None if settlement is None else codec.canonical_json(codec.encode_settlement(settlement))
        tx.run(
            "INSERT INTO ledger_settlements (claim_id, version, event_id, submission, status, person_id, year,"
            " amounts, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                claim_id,
                version,
                event_id,
                submission,
                "settled" if settlement is not None else "reversed",
                *key,
                _json(amounts),
                record,
            ),
        )
        for component, diff in codec.component_differences(old_amounts, amounts).items():
            tx.run(
                "INSERT INTO ledger_adjustments (event_id, claim_id, from_version, to_version, component, amount)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (event_id, claim_id, from_version, version, component, str(diff)),
            )

    def _rebuild(self, tx: Tx, key: PersonYear, from_seq: int, event_id: int, *, force: str | None = None) -> None:
        """Settle again, in order, the active claims of ``key`` from place ``from_seq`` on.

        The accumulator to start from is the one after the last active claim before
        ``from_seq``. A claim whose settlement comes out the same keeps its version, unless it is
        ``force`` (the corrected claim, whose new content always gets a version of its own).
        """
        active = [s for s in self._members(tx, key) if s.key == key and s.status == "settled"]
        before = [s for s in active if s.seq < from_seq]
        last = before[-1].settlement() if before else None
        years = PersonYears(self.engine, lambda *_: None if last is None else last.accumulator_after)
        for stored in active:
            if stored.seq < from_seq:
                continue
            patient, claim, jurisdiction = stored.inputs()
            settlement = years.settle(patient, claim, jurisdiction=jurisdiction)
            if (
                not codec.same_record(stored.record, settlement)
                or stored.settled_key != key
                or stored.claim_id == force
            ):
                self._add_version(tx, event_id, stored, settlement, key)
        self._store_accumulators(tx, {key: (event_id, years.accumulator(*key))})

    def _replay(self, stored: _Stored, fingerprint: str, data: Mapping[str, Any]) -> Settlement:
        if stored.status == "reversed":
            raise ClaimReversed(stored.claim_id, stored.settled_event)
        if stored.fingerprint != fingerprint:
            raise ClaimConflict(stored.claim_id, self._content_differences(json.loads(stored.content), data))
        settlement = stored.settlement()
        assert settlement is not None
        return settlement

    def _content_differences(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        a, b = codec.flatten(old), codec.flatten(new)
        out = []
        for name in sorted(set(a) | set(b), key=lambda n: (n != "jurisdiction", n)):
            if a.get(name) != b.get(name):
                stored, given = a.get(name, "none"), b.get(name, "none")
                if name == "patient.id":
                    stored, given = repr(self.masker(old["patient"]["id"])), repr(self.masker(new["patient"]["id"]))
                out.append((name, stored, given))
        return out


class DryRun:
    """A pre-settlement in progress: see :meth:`Ledger.dry_run`."""

    def __init__(self, ledger: Ledger, tx: Tx) -> None:
        self._ledger = ledger
        self._tx = tx
        self._years = PersonYears(ledger.engine, lambda *key: ledger._accumulator(tx, key))
        self._seen: set[str] = set()

    def settle(self, patient: Patient, claim: Claim, *, jurisdiction: str) -> Settlement:
        """What :meth:`Ledger.settle` would give for this claim after the earlier ones of the run."""
        data, fingerprint, _ = _identify(patient, claim, jurisdiction)
        if claim.id in self._seen:
            raise InvalidInput("claim.id", claim.id, "given twice in one pre-settlement")
        self._seen.add(claim.id)
        stored = self._ledger._stored(self._tx, claim.id)
        if stored is not None:
            return self._ledger._replay(stored, fingerprint, data)
        return self._years.settle(patient, claim, jurisdiction=jurisdiction)


def _entry(stored: _Stored) -> Entry:
    return Entry(
        claim_id=stored.claim_id,
        seq=stored.seq,
        person_id=stored.person_id,
        year=stored.year,
        jurisdiction=stored.jurisdiction,
        version=stored.version,
        submission=stored.submission,
        status=stored.status,
        claim=stored.inputs()[1],
        settlement=stored.settlement(),
    )


def _record_differences(stored: _Stored, fresh: Settlement) -> list[Difference]:
    old = json.loads(stored.amounts)
    new = codec.amounts_of(fresh)
    diffs = [
        Difference(
            stored.person_id,
            stored.year,
            stored.claim_id,
            component,
            f"{fmt(Decimal(old.get(component, '0.00')))}",
            f"{fmt(Decimal(new.get(component, '0.00')))}",
        )
        for component in codec.component_differences(old, new)
    ]
    if not diffs:
        record = json.loads(stored.record or "null") or {}
        fresh_record = codec.encode_settlement(fresh)
        parts = [k for k in fresh_record if record.get(k) != fresh_record[k]]
        diffs.append(
            Difference(
                stored.person_id,
                stored.year,
                stored.claim_id,
                "settlement record",
                f"differs in {', '.join(parts)}",
                "as the rules give it now",
            )
        )
    return diffs


def _json(data: Any) -> str:
    return codec.canonical_json(data)


def _reason(reason: Any) -> str:
    if not isinstance(reason, str):
        raise InvalidInput("reason", reason, "expected text")
    return reason.strip()
