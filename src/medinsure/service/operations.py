"""What the endpoints do, apart from HTTP: settle, pre-settle, record, reverse, look up.

Each function takes the engine or a ledger and a request already read
(:class:`~medinsure.service.requests.CaseRequest`), and returns settlements or plain data.
The JSON of a settlement is always :func:`medinsure.io.writers.settlement_record`'s, the one
place that builds it.

A worker process keeps its ledger connections in :class:`LedgerThreads`: a few threads, each
owning one connection for its life, so that a connection is only ever used by the thread
that opened it, and a worker never holds more than ``size`` of them.

A recorded settlement is known by its claim id and by the national platform's ``setl_id``
(given with the claim, or derived from it): :func:`recorded_id` is the id a new settlement is
known by, :func:`find_entry` turns an id in a path into the ledger's entry, and a claim given
again under a ``setl_id`` another claim holds is a conflict, as a claim id given again with
other content is.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from medinsure.errors import (
    ClaimConflict,
    ClaimReversed,
    ConcurrentWrite,
    InvalidInput,
    LedgerError,
    MedinsureError,
    RequestError,
    UnknownClaim,
)
from medinsure.io.masking import IdMasker
from medinsure.io.writers import settlement_record
from medinsure.ledger import Entry, Event, Ledger, Recorded, codec, open_ledger
from medinsure.model import Claim, is_plain_text
from medinsure.rules.describe import coverage
from medinsure.service.requests import CaseRequest, Reversal, claim_at
from medinsure.settlement.engine import Engine
from medinsure.settlement.result import Settlement
from medinsure.settlement.years import PersonYears

__all__ = [
    "LedgerThreads",
    "event_record",
    "find_entry",
    "jurisdictions",
    "masked",
    "person_year",
    "presettle",
    "record",
    "recorded_id",
    "reverse",
    "settle",
]

T = TypeVar("T")


# --- settling without a ledger --------------------------------------------------------------


def _check_accumulators(engine: Engine, request: CaseRequest) -> None:
    """Every benefit key of the accumulators is one of the jurisdiction's benefits."""
    if not request.accumulators:
        return
    keys = sorted({b.key for _, b in engine.rules(request.jurisdiction).benefits})
    for i, acc in enumerate(request.accumulators):
        for part in ("bases", "paid"):
            for key in getattr(acc, part):
                if key not in keys:
                    raise InvalidInput(
                        f"accumulators[{i}].{part}.{key}",
                        str(getattr(acc, part)[key]),
                        f"not a benefit of {request.jurisdiction} (benefits: {', '.join(keys) or 'none'})",
                    )


def settle(engine: Engine, request: CaseRequest) -> list[Settlement]:
    """Settle the request's claims in order, each year from its accumulator (empty if none given)."""
    engine.rules(request.jurisdiction)  # an unknown jurisdiction is the request's error, not a claim's
    _check_accumulators(engine, request)
    start = {acc.year: acc for acc in request.accumulators}
    years = PersonYears(engine, lambda _person, year: start.get(year))
    return _each(request, lambda claim: years.settle(request.patient, claim, jurisdiction=request.jurisdiction))


def _each(request: CaseRequest, settle_one: Callable[[Claim], T]) -> list[T]:
    out = []
    for i, claim in enumerate(request.claims):
        try:
            out.append(settle_one(claim))
        except (ClaimConflict, ClaimReversed):
            raise  # about the ledger's record of the claim: a 409 of its own
        except MedinsureError as exc:
            raise claim_at(i, exc) from exc
    return out


# --- the ledger -------------------------------------------------------------------------------


def recorded_id(claim: Claim) -> str:
    """The id a settlement recorded for ``claim`` is known by in paths and ``Location``.

    The platform's ``setl_id`` where the claim gives one, else the claim id.
    """
    return claim.setl_id or claim.id


def find_entry(ledger: Ledger, settlement_id: str) -> Entry:
    """The ledger's entry of the settlement ``settlement_id`` names: a claim id or a ``setl_id``.

    A claim id is looked up first; an id that is no claim's id is looked up as a ``setl_id``
    (recorded with the claim, or derived from it when the claim gave none). 404 when neither.
    """
    if is_plain_text(settlement_id):
        entry = ledger.entry(settlement_id)
        if entry is not None:
            return entry
        ids = ledger.ids(setl_id=settlement_id)
        if ids is not None:
            entry = ledger.entry(ids.claim_id)
            if entry is not None:
                return entry
    raise UnknownClaim(settlement_id)


def _same_setl_id(ledger: Ledger, claim: Claim) -> None:
    """A claim under a ``setl_id`` another recorded claim holds is that settlement given again:
    with another claim id it is a conflict naming the fields that differ."""
    if claim.setl_id is None:
        return
    ids = ledger.ids(setl_id=claim.setl_id)
    if ids is None or ids.claim_id == claim.id:
        return
    stored = ledger.entry(ids.claim_id)
    old = codec.flatten({"claim": codec.claim_mapping(stored.claim)}) if stored is not None else {}
    new = codec.flatten({"claim": codec.claim_mapping(claim)})
    differences = [
        (name, old.get(name, "none"), new.get(name, "none"))
        for name in sorted(set(old) | set(new), key=lambda n: (n != "claim.id", n))
        if old.get(name) != new.get(name)
    ]
    raise ClaimConflict(ids.claim_id, differences)


def reverse(ledger: Ledger, entry: Entry, reversal: Reversal) -> Event:
    """Reverse a recorded settlement; the platform's ids given with it must be those recorded."""
    if reversal.mdtrt_id is None and reversal.psn_no is None:
        return ledger.reverse(entry.claim_id, reason=reversal.reason)
    ids = ledger.ids(claim_id=entry.claim_id)
    assert ids is not None  # every recorded claim has its ids
    return ledger.reverse_settlement(
        ids.setl_id, mdtrt_id=reversal.mdtrt_id, psn_no=reversal.psn_no, reason=reversal.reason
    )


def presettle(ledger: Ledger, request: CaseRequest) -> list[Settlement]:
    """A pre-settlement against the ledger: what each claim would get now; nothing is recorded."""
    ledger.engine.rules(request.jurisdiction)
    for claim in request.claims:
        _same_setl_id(ledger, claim)
    with ledger.dry_run() as dry:
        return _each(request, lambda claim: dry.settle(request.patient, claim, jurisdiction=request.jurisdiction))


def record(ledger: Ledger, request: CaseRequest) -> tuple[list[Settlement], bool]:
    """Record the claims (the whole request pre-settled first, so a bad claim records nothing).

    Returns the settlements and whether any claim was recorded by this call (the others were
    recorded already, with the same content, and are returned as stored).
    """
    presettle(ledger, request)

    def record_one(claim: Claim) -> Recorded:
        _same_setl_id(ledger, claim)
        try:
            return ledger.record(request.patient, claim, jurisdiction=request.jurisdiction)
        except InvalidInput as exc:
            if exc.field == "claim.setl_id":  # recorded by another writer meanwhile
                _same_setl_id(ledger, claim)
            raise

    recorded = _each(request, record_one)
    return [r.settlement for r in recorded], any(r.new for r in recorded)


def _healthy(exc: BaseException) -> bool:
    """Whether a connection that raised ``exc`` can serve the next request."""
    if isinstance(exc, (ClaimConflict, ClaimReversed, UnknownClaim, ConcurrentWrite)):
        return True
    return isinstance(exc, MedinsureError) and not isinstance(exc, LedgerError)


_STOP = None


class LedgerThreads:
    """At most ``size`` ledger connections of one worker, each kept by a thread of its own.

    :meth:`run` hands a function the ledger of a free thread and awaits its result. A
    connection that failed is closed and opened again for the next call.
    """

    def __init__(self, target: str, engine: Engine, *, size: int, timeout: float) -> None:
        self.target = target
        self.engine = engine
        self.timeout = timeout
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"medinsure-ledger-{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def _serve(self) -> None:
        ledger: Ledger | None = None
        while True:
            job = self._jobs.get()
            if job is _STOP:
                break
            function, future, context = job
            if not future.set_running_or_notify_cancel():
                continue  # its request gave up waiting
            try:
                if ledger is None:
                    ledger = open_ledger(
                        self.target, self.engine, create=False, masker=IdMasker(), timeout=self.timeout
                    )
                result = context.run(function, ledger)
            except BaseException as exc:
                if ledger is not None and not _healthy(exc):
                    _close(ledger)
                    ledger = None
                future.set_exception(exc)
            else:
                future.set_result(result)
        if ledger is not None:
            _close(ledger)

    async def run(self, function: Callable[[Ledger], T]) -> T:
        """``function(ledger)`` on a ledger thread (with this task's context variables)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((function, future, contextvars.copy_context()))
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Stop the threads once they finish what they are doing; each closes its connection."""
        for _ in self._threads:
            self._jobs.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=self.timeout)


def _close(ledger: Ledger) -> None:
    with contextlib.suppress(Exception):  # a connection that is already broken
        ledger.close()


# --- what the ledger holds, as data ---------------------------------------------------------------


def masked(data: Any, masker: IdMasker, ids: list[str]) -> Any:
    """``data`` with the person ids ``ids`` masked in every text of it (unless ids are shown)."""
    if masker.show:
        return data
    if isinstance(data, dict):
        return {k: masked(v, masker, ids) for k, v in data.items()}
    if isinstance(data, list):
        return [masked(v, masker, ids) for v in data]
    if isinstance(data, str):
        return masker.text(data, ids)
    return data


def event_record(event: Event) -> dict[str, Any]:
    """A ledger event as JSON: what it did, when, and the adjustments and versions it wrote."""
    return {
        "event_id": event.event_id,
        "kind": event.kind,
        "claim_id": event.claim_id,
        "setl_id": event.setl_id,
        "reason": event.reason,
        "recorded_at": event.recorded_at,
        "adjustments": [
            {
                "claim_id": a.claim_id,
                "from_version": a.from_version,
                "to_version": a.to_version,
                "component": a.component,
                "amount": str(a.amount),
            }
            for a in event.adjustments
        ],
        "versions": [{"claim_id": claim_id, "version": version} for claim_id, version in event.versions],
    }


def person_year(ledger: Ledger, person_id: str, year: int, *, national: bool) -> dict[str, Any]:
    """A person-year as the ledger holds it: its claims in settlement order, accumulator, audit trail."""
    entries = ledger.entries(person_id, year) if is_plain_text(person_id) else []
    if not entries:
        raise RequestError(404, "Not Found", f"person={IdMasker()(person_id)!r}: the ledger holds no claims in {year}")
    return {
        "person_id": person_id,
        "year": year,
        "accumulator": ledger.accumulator(person_id, year).to_dict(),
        "claims": [
            {
                "claim_id": e.claim_id,
                "setl_id": _setl_id(ledger, e.claim_id),
                "seq": e.seq,
                "version": e.version,
                "status": e.status,
                "jurisdiction": e.jurisdiction,
                "settlement": None if e.settlement is None else settlement_record(e.settlement, national=national),
            }
            for e in entries
        ],
        "events": [event_record(e) for e in ledger.events(person_id, year)],
    }


def _setl_id(ledger: Ledger, claim_id: str) -> str | None:
    ids = ledger.ids(claim_id=claim_id)
    return None if ids is None else ids.setl_id


# --- jurisdictions ------------------------------------------------------------------------------


def jurisdictions(engine: Engine) -> list[dict[str, Any]]:
    """The installed jurisdictions: code, names, parent, plugin and version, the years of their rules."""
    registry = engine.registry
    out = []
    for code in registry.codes:
        j = registry.jurisdiction(code)
        plugin, version = registry.plugin_of(code)
        covered = coverage(engine.rules(code))
        out.append(
            {
                "code": code,
                "name": j.name,
                "name_en": j.name_en,
                "parent": j.parent,
                "plugin": plugin,
                "plugin_version": version,
                "rule_years": list(covered.raw_costs) if covered.raw_costs else None,
                "verified_years": [list(span) for span in covered.verified],
            }
        )
    return out
