"""The ledger's tables, the same on SQLite and PostgreSQL apart from how ids are generated.

Everything but ``ledger_person_years`` is append-only: rows are inserted, never updated or
deleted. ``ledger_person_years`` holds the current accumulator of each person-year, a state
derived from the settlements (``medinsure ledger verify`` recomputes it); each change to it
names the event that made it.

- ``ledger_events``: one row per settle, reverse or correct (kind, claim, reason, time).
- ``ledger_claims``: one row per claim id: its arrival number ``seq``, which is its place in
  the settlement order of its person-year.
- ``ledger_submissions``: each content version of a claim (the original, then each
  correction): canonical patient, claim and jurisdiction, and their fingerprint.
- ``ledger_settlements``: each settlement version of a claim. A reversal, a correction or the
  re-settlement of a later claim adds a version; the highest version is the current one.
  ``amounts`` holds the non-zero components, ``record`` the whole settlement (lines, rule
  versions and sources, accumulators); a reversed version has no amounts and no record.
- ``ledger_adjustments``: for each event, which claim's components changed by how much
  (new version − previous version). The adjustments of a claim add up to its current amounts.
- ``ledger_setl_ids``: the national platform's ids of each claim: its ``setl_id`` (as given, or
  derived from jurisdiction, person and claim id), ``mdtrt_id`` and ``psn_no``, fixed when the
  claim is first settled; a reversal may name the claim by them.

Schema versions: ``1`` had no ``ledger_setl_ids``; opening a version-1 ledger adds the table,
fills it from the claims' first submissions and records version ``2``, in one transaction
(:data:`MIGRATIONS`).
"""

from __future__ import annotations

__all__ = ["LEDGER_MARKER", "MIGRATIONS", "SCHEMA_VERSION", "TABLES", "ddl"]

SCHEMA_VERSION = "2"
#: ``ledger_meta`` row ``application``: what tells a medinsure ledger from another database.
LEDGER_MARKER = "medinsure-ledger"

#: Every table, with the columns that order a dump of it.
TABLES: dict[str, str] = {
    "ledger_meta": "key",
    "ledger_events": "event_id",
    "ledger_claims": "claim_id",
    "ledger_submissions": "claim_id, version",
    "ledger_settlements": "claim_id, version",
    "ledger_adjustments": "event_id, claim_id, component",
    "ledger_person_years": "person_id, year",
    "ledger_setl_ids": "setl_id",
}

_COMMON = [
    """CREATE TABLE IF NOT EXISTS ledger_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ledger_claims (
        claim_id TEXT PRIMARY KEY,
        seq BIGINT NOT NULL UNIQUE,
        first_event BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ledger_submissions (
        claim_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        event_id BIGINT NOT NULL,
        fingerprint TEXT NOT NULL,
        jurisdiction TEXT NOT NULL,
        person_id TEXT NOT NULL,
        year INTEGER NOT NULL,
        content TEXT NOT NULL,
        PRIMARY KEY (claim_id, version))""",
    """CREATE TABLE IF NOT EXISTS ledger_settlements (
        claim_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        event_id BIGINT NOT NULL,
        submission INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('settled', 'reversed')),
        person_id TEXT NOT NULL,
        year INTEGER NOT NULL,
        amounts TEXT NOT NULL,
        record TEXT,
        PRIMARY KEY (claim_id, version))""",
    """CREATE TABLE IF NOT EXISTS ledger_adjustments (
        event_id BIGINT NOT NULL,
        claim_id TEXT NOT NULL,
        from_version INTEGER NOT NULL,
        to_version INTEGER NOT NULL,
        component TEXT NOT NULL,
        amount TEXT NOT NULL,
        PRIMARY KEY (event_id, claim_id, component))""",
    """CREATE TABLE IF NOT EXISTS ledger_person_years (
        person_id TEXT NOT NULL,
        year INTEGER NOT NULL,
        accumulator TEXT NOT NULL,
        last_event BIGINT NOT NULL,
        PRIMARY KEY (person_id, year))""",
    """CREATE TABLE IF NOT EXISTS ledger_setl_ids (
        setl_id TEXT PRIMARY KEY,
        claim_id TEXT NOT NULL UNIQUE,
        mdtrt_id TEXT NOT NULL,
        psn_no TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ledger_submissions_person_year ON ledger_submissions (person_id, year)",
    "CREATE INDEX IF NOT EXISTS ledger_settlements_person_year ON ledger_settlements (person_id, year)",
    "CREATE INDEX IF NOT EXISTS ledger_adjustments_claim ON ledger_adjustments (claim_id)",
]

_EVENTS = """CREATE TABLE IF NOT EXISTS ledger_events (
        event_id {id} PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('settle', 'reverse', 'correct')),
        claim_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        recorded_at TEXT NOT NULL)"""


def ddl(dialect: str) -> list[str]:
    """The statements that create the tables (idempotent) for ``sqlite`` or ``postgresql``."""
    if dialect == "sqlite":
        return [_EVENTS.format(id="INTEGER"), *_COMMON]
    return [
        _EVENTS.format(id="BIGINT GENERATED ALWAYS AS IDENTITY"),
        *_COMMON,
        "CREATE SEQUENCE IF NOT EXISTS ledger_claim_seq",
    ]


#: For each older schema version, the statements that bring its tables to the next version
#: (rows that need computing are filled in by the ledger, see ``Ledger._migrate``).
MIGRATIONS: dict[str, tuple[str, list[str]]] = {
    "1": ("2", [stmt for stmt in _COMMON if "ledger_setl_ids" in stmt]),
}
