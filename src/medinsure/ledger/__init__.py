"""The annual ledger: settled claims and accumulators kept in a database.

::

    from medinsure.ledger import open_ledger
    with open_ledger("claims.sqlite", engine) as ledger:          # or "postgresql://…"
        settlement = ledger.settle(patient, claim, jurisdiction="dalian")
        ledger.reverse("C2", reason="refund")
        assert ledger.verify().ok

See ``docs/ledger.md`` for the guarantees (atomic, idempotent, ordered, audited) and the tables.
"""

from __future__ import annotations

from pathlib import Path

from medinsure.errors import ClaimConflict, ClaimReversed, LedgerError, UnknownClaim
from medinsure.io.masking import IdMasker
from medinsure.ledger.base import (
    Adjustment,
    Difference,
    DryRun,
    Entry,
    Event,
    Ledger,
    Recorded,
    Report,
    Submission,
)
from medinsure.settlement.engine import Engine

__all__ = [
    "Adjustment",
    "ClaimConflict",
    "ClaimReversed",
    "Difference",
    "DryRun",
    "Entry",
    "Event",
    "Ledger",
    "LedgerError",
    "Recorded",
    "Report",
    "Submission",
    "UnknownClaim",
    "is_postgres_url",
    "open_ledger",
]


def is_postgres_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def open_ledger(
    target: str | Path,
    engine: Engine,
    *,
    create: bool = True,
    masker: IdMasker | None = None,
    timeout: float = 60.0,
) -> Ledger:
    """Open the ledger at ``target``: a ``postgresql://`` URL, or the path of a SQLite file.

    ``create=False`` refuses a target that holds no ledger yet. ``masker`` decides how person
    ids appear in the ledger's messages and logs (masked by default). ``timeout`` is how many
    seconds a writer waits for a lock.
    """
    if is_postgres_url(target):
        from medinsure.ledger.postgres import PostgresLedger

        return PostgresLedger(str(target), engine, create=create, masker=masker, timeout=timeout)
    from medinsure.ledger.sqlite import SQLiteLedger

    return SQLiteLedger(target, engine, create=create, masker=masker, timeout=timeout)
