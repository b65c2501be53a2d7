"""The ledger in PostgreSQL (``--ledger postgresql://…``), with psycopg 3.

Install the optional extra: ``pip install 'medinsure[postgresql]'``. The tables live in the
connection's current schema (set ``options=-csearch_path=NAME`` in the URL to choose one).

A write transaction first takes a ledger-wide advisory lock shared, then a transaction-scoped
advisory lock per person-year it touches (``pg_advisory_xact_lock`` on a 64-bit hash of person
id and year, in ascending order so that two writers never wait for each other in a circle).
Writers of different person-years run at the same time; readers use REPEATABLE READ snapshots
and never wait. A file recorded in one transaction (:meth:`~medinsure.ledger.Ledger.record_many`)
takes the ledger-wide lock alone instead: the other writers wait until it commits. A writer
waits for a lock up to ``timeout`` seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from medinsure.errors import ConcurrentWrite, LedgerError
from medinsure.io.masking import IdMasker, redact_url
from medinsure.ledger.base import Ledger, PersonYear, Tx
from medinsure.settlement.engine import Engine

__all__ = ["PostgresLedger", "lock_key"]


#: The ledger-wide lock: every writer takes it shared, a file recorded in one transaction takes
#: it alone. Its two-key form (the oid of this schema's ``ledger_meta``, 0) is a key space of
#: its own, apart from the person-years' 64-bit keys, and differs between schemas; before the
#: tables exist the oid is NULL and the (strict) function takes no lock.
_LEDGER_LOCK = "SELECT {}(to_regclass('ledger_meta')::oid::integer, 0)"


def lock_key(key: PersonYear) -> int:
    """The advisory-lock key of a person-year: a signed 64-bit hash."""
    digest = hashlib.sha256(f"{key[0]}\x00{key[1]}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _PgTx:
    def __init__(self, cursor: Any) -> None:
        self._cur = cursor

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cur.execute(sql.replace("?", "%s"), tuple(params))
        return list(self._cur.fetchall()) if self._cur.description is not None else []

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cur.execute(sql.replace("?", "%s"), tuple(params))

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cur.executemany(sql.replace("?", "%s"), rows)

    def returning(self, sql: str, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """The first row each of ``rows`` returns (``sql`` ends in ``RETURNING``)."""
        if not rows:
            return []
        self._cur.executemany(sql.replace("?", "%s"), rows, returning=True)
        out = []
        while True:
            out.append(self._cur.fetchone())
            if not self._cur.nextset():
                return out


class PostgresLedger(Ledger):
    """A ledger in the PostgreSQL database at ``url`` (tables created unless ``create=False``)."""

    dialect = "postgresql"

    def __init__(
        self,
        url: str,
        engine: Engine,
        *,
        create: bool = True,
        masker: IdMasker | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.url = url
        try:
            import psycopg
        except ImportError:
            raise LedgerError(
                f"ledger {self.location}: PostgreSQL needs the optional extra: pip install 'medinsure[postgresql]'"
            ) from None
        self._psycopg = psycopg
        with self._errors("cannot connect: "):
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
        self._timeout = timeout
        super().__init__(engine, masker=masker, create=create)

    @property
    def location(self) -> str:
        return redact_url(self.url)

    def close(self) -> None:
        self._conn.close()

    def _prepare(self, create: bool) -> None:
        with self._errors():
            self._conn.execute(f"SET lock_timeout = '{int(self._timeout * 1000)}ms'")

    @contextmanager
    def _errors(self, prefix: str = "") -> Iterator[None]:
        errors = self._psycopg.errors
        try:
            yield
        except errors.UniqueViolation as exc:
            raise ConcurrentWrite(f"ledger {self.location}: {_first_line(exc)}") from None
        except self._psycopg.Error as exc:
            raise LedgerError(f"ledger {self.location}: {prefix}{_first_line(exc)}") from None

    @contextmanager
    def _read(self) -> Iterator[Tx]:
        with self._errors(), self._conn.transaction():
            cur = self._conn.cursor()
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield _PgTx(cur)

    @contextmanager
    def _write(self, keys: Iterable[PersonYear]) -> Iterator[Tx]:
        with self._errors(), self._conn.transaction():
            cur = self._conn.cursor()
            cur.execute(_LEDGER_LOCK.format("pg_advisory_xact_lock_shared"))  # none while a file records
            for key in sorted({lock_key(k) for k in keys}):
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
            yield _PgTx(cur)

    @contextmanager
    def _write_all(self) -> Iterator[Tx]:
        with self._errors(), self._conn.transaction():
            cur = self._conn.cursor()
            cur.execute(_LEDGER_LOCK.format("pg_advisory_xact_lock"))
            yield _PgTx(cur)

    def _next_seqs(self, tx: Tx, count: int) -> list[int]:
        rows = tx.rows("SELECT nextval('ledger_claim_seq') FROM generate_series(1, ?)", (count,))
        return sorted(int(row[0]) for row in rows)

    def _insert_events(self, tx: Tx, rows: Sequence[tuple[str, str, str, str]]) -> list[int]:
        assert isinstance(tx, _PgTx)
        returned = tx.returning(
            "INSERT INTO ledger_events (kind, claim_id, reason, recorded_at) VALUES (?, ?, ?, ?) RETURNING event_id",
            rows,
        )
        return [int(row[0]) for row in returned]

    def _has_schema(self, tx: Tx) -> bool:
        return bool(tx.rows("SELECT to_regclass('ledger_meta') IS NOT NULL")[0][0])

    def _other_tables(self, tx: Tx) -> list[str]:
        rows = tx.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        return [str(r[0]) for r in rows]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
