"""The embedded ledger: one SQLite file (standard library), the default of ``--ledger PATH``.

The file holds national ID numbers: it is created readable and writable by its owner only
(mode 0600), and SQLite gives its ``-wal`` and ``-shm`` companions the same mode. The file is
in WAL mode, so readers never wait for the writer. A write transaction starts with
``BEGIN IMMEDIATE``, which takes SQLite's single write lock at once: writers — from any
process — run one after the other, which is (more than) a lock per person-year. A writer waits
for the lock up to ``timeout`` seconds.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from medinsure.errors import ConcurrentWrite, LedgerError
from medinsure.io.masking import IdMasker
from medinsure.ledger.base import Ledger, PersonYear, Tx
from medinsure.settlement.engine import Engine

__all__ = ["SQLiteLedger"]


class _SQLiteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(sql, tuple(params))

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)


class SQLiteLedger(Ledger):
    """A ledger in the SQLite file ``path`` (created unless ``create=False``)."""

    dialect = "sqlite"

    def __init__(
        self,
        path: str | Path,
        engine: Engine,
        *,
        create: bool = True,
        masker: IdMasker | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise LedgerError(f"ledger {self.location}: no such ledger file")
        if create and not self.path.exists():
            _create_private(self.path, self.location)
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=timeout)
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.location}: cannot open: {exc}") from None
        self._timeout = timeout
        super().__init__(engine, masker=masker, create=create)

    @property
    def location(self) -> str:
        return str(self.path)

    def close(self) -> None:
        self._conn.close()

    def _prepare(self, create: bool) -> None:
        if create:  # WAL mode is kept in the file: a ledger made here has it already
            self._wal()

    def _wal(self) -> None:
        # switching a new file to WAL needs a moment alone with it; other openers may hold it
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                with self._errors():
                    self._conn.execute("PRAGMA journal_mode=WAL").fetchall()
                return
            except LedgerError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError as exc:
            raise ConcurrentWrite(f"ledger {self.location}: {exc}") from None
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.location}: {exc}") from None

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Tx]:
        with self._errors():
            self._conn.execute(begin)
            try:
                yield _SQLiteTx(self._conn)
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _read(self) -> AbstractContextManager[Tx]:
        return self._transaction("BEGIN DEFERRED")

    def _write(self, keys: Iterable[PersonYear]) -> AbstractContextManager[Tx]:
        return self._transaction("BEGIN IMMEDIATE")

    def _write_all(self) -> AbstractContextManager[Tx]:
        return self._transaction("BEGIN IMMEDIATE")  # the one write lock: no other writer beside

    def _next_seqs(self, tx: Tx, count: int) -> list[int]:
        start = int(tx.rows("SELECT COALESCE(MAX(seq), 0) + 1 FROM ledger_claims")[0][0])
        return list(range(start, start + count))

    def _insert_events(self, tx: Tx, rows: Sequence[tuple[str, str, str, str]]) -> list[int]:
        # the write lock is held: the next ids are ours to give
        start = int(tx.rows("SELECT COALESCE(MAX(event_id), 0) + 1 FROM ledger_events")[0][0])
        ids = list(range(start, start + len(rows)))
        tx.many(
            "INSERT INTO ledger_events (event_id, kind, claim_id, reason, recorded_at) VALUES (?, ?, ?, ?, ?)",
            [(event_id, *row) for event_id, row in zip(ids, rows, strict=True)],
        )
        return ids

    def _has_schema(self, tx: Tx) -> bool:
        return bool(tx.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_meta'"))

    def _other_tables(self, tx: Tx) -> list[str]:
        rows = tx.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        return [str(r[0]) for r in rows]


def _create_private(path: Path, location: str) -> None:
    """Create the empty database file readable by its owner only (before SQLite opens it)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile: theirs to have made private
        return
    except OSError as exc:
        raise LedgerError(f"ledger {location}: cannot open: {exc.strerror or exc}") from None
    os.close(fd)
