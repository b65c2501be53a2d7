"""What-if reforms: change any value of any jurisdiction's rules without writing a plugin.

A :class:`Reform` is a small mapping (or YAML file) of jurisdiction → table → row → change::

    dalian:
      critical_illness.schedule:
        general: {threshold: 15000}          # Dalian's critical-illness threshold at 15,000
    yingkou:
      basic.pool_cap:
        "*": 100000                          # every row of the table
      critical_illness.schedule:
        general:
          from: 2025-07-01                   # only from this date on
          tiers:                             # a fourth tier
            - {from: 10000, to: 50000, rate: 0.60}
            - {from: 50000, to: 100000, rate: 0.70}
            - {from: 100000, to: 200000, rate: 0.80}
            - {from: 200000, rate: 0.90}

Table names are those of ``medinsure rules CODE`` (``basic.deductible``, ``basic.ratio``,
``basic.pool_cap``, ``<benefit>.schedule``, ``<cap>.rate`` …); rows are named by their label
(or, without one, by their match as ``medinsure rules`` prints it); ``"*"`` is every row.
A row's change is a value (amount, rate or months tables) or a mapping: ``value`` for those
tables, or any of ``threshold``, ``basis``, ``tiers`` and ``cap`` for a schedule. Without
``from`` every version of the row changes; with ``from: DATE`` the versions before the date
stay and the changed value starts on it.

:meth:`Reform.apply` returns a new engine built with
:meth:`~medinsure.settlement.engine.Engine.with_overrides`, so every settlement lists the overridden
tables in ``overrides`` and every changed version cites the reform as its source (unverified).
A change the rules would refuse in a plugin is refused here: a :class:`RuleError` naming the
jurisdiction, table, row and value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from medinsure.errors import InputError, InvalidInput, ReadError, RuleError, naming
from medinsure.io.data import read_data_file
from medinsure.model import parse_date
from medinsure.money import amount, rate
from medinsure.rules.tables import ParameterTable, Provenance, Row, Schedule, Source, Tier, Version

if TYPE_CHECKING:
    from medinsure.settlement.engine import Engine

__all__ = ["Reform", "apply_reform"]

_SCHEDULE_KEYS = ("threshold", "basis", "tiers", "cap")


@attrs.frozen
class Reform:
    """Named changes to the rules of one or more jurisdictions (see the module documentation)."""

    name: str
    changes: Mapping[str, Mapping[str, Mapping[str, Any]]]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], name: str = "reform") -> Reform:
        """A reform from ``{jurisdiction: {table: {row: change}}}``."""
        if not isinstance(data, Mapping) or not data:
            raise RuleError("a reform is a mapping of jurisdiction codes to tables", rule=name, value=data)
        for code, tables in data.items():
            if not isinstance(tables, Mapping) or not tables:
                raise RuleError("expected a mapping of table names to rows", jurisdiction=code, value=tables)
            for table, rows in tables.items():
                if not isinstance(rows, Mapping) or not rows:
                    raise RuleError(
                        'expected a mapping of row labels (or "*") to changes',
                        jurisdiction=code,
                        rule=table,
                        value=rows,
                    )
        return cls(name=name, changes={c: {t: dict(r) for t, r in ts.items()} for c, ts in data.items()})

    @classmethod
    def from_yaml(cls, path: str | Path, name: str | None = None) -> Reform:
        """A reform from a YAML or JSON file (numbers with a decimal point are read exactly).

        An error names the file (and the line, where the reader knows it).
        """
        path = Path(path)
        try:
            data = read_data_file(path)
        except ReadError as exc:
            raise InputError(f"{path}: line {exc.line}" if exc.line else str(path), str(exc)) from None
        with naming(str(path)):
            return cls.from_mapping(data, name=name or path.stem)

    def tables(self, engine: Engine) -> dict[str, list[ParameterTable[Any]]]:
        """The changed tables, per jurisdiction, built against ``engine``'s rules."""
        source = Source(id=f"reform:{self.name}", publication=f"what-if reform {self.name!r} (not a published rule)")
        out: dict[str, list[ParameterTable[Any]]] = {}
        for code, tables in self.changes.items():
            rules = engine.rules(code)
            out[code] = []
            for table_name, rows in tables.items():
                table = rules.find_table(table_name)
                out[code].append(_change_table(code, table, rows, source))
        return out

    def apply(self, engine: Engine) -> Engine:
        """A new engine with the changed tables (validated like a plugin's)."""
        for code, tables in self.tables(engine).items():
            engine = engine.with_overrides(code, *tables)
        return engine


def apply_reform(engine: Engine, reform: Reform | Mapping[str, Any]) -> tuple[Engine, Reform]:
    """``engine`` with ``reform`` (a :class:`Reform` or its mapping) applied, and the reform."""
    if not isinstance(reform, Reform):
        reform = Reform.from_mapping(reform)
    return reform.apply(engine), reform


def _change_table(
    code: str, table: ParameterTable[Any], rows: Mapping[str, Any], source: Source
) -> ParameterTable[Any]:
    names = [row.name for row in table.rows]
    for label in rows:
        if label != "*" and label not in names:
            raise RuleError(
                f"no row {label!r} (rows: {', '.join(repr(n) for n in names)}, or '*' for every row)",
                jurisdiction=code,
                rule=table.name,
                value=label,
            )
    new_rows = []
    for row in table.rows:
        change = rows.get(row.name, rows.get("*"))
        if change is None:
            new_rows.append(row)
            continue
        where = f"{table.name}[{row.name}]"
        new_rows.append(_change_row(code, table.kind, row, change, source, where))
    return attrs.evolve(table, rows=tuple(new_rows))


def _change_row(code: str, kind: str, row: Row[Any], change: Any, source: Source, where: str) -> Row[Any]:
    def fail(message: str, value: Any) -> RuleError:
        return RuleError(message, jurisdiction=code, rule=where, value=value)

    if not isinstance(change, Mapping):
        change = {"value": change} if kind != "schedule" else change
    if not isinstance(change, Mapping):
        raise fail("a schedule's change is a mapping of threshold, basis, tiers, cap", change)
    allowed = ("from", *(_SCHEDULE_KEYS if kind == "schedule" else ("value",)))
    for key in change:
        if key not in allowed:
            raise fail(f"unknown key {key!r} (allowed: {', '.join(allowed)})", key)
    start = change.get("from")
    if start is not None:
        try:
            start = parse_date(start, "from")
        except InvalidInput as exc:
            raise fail(f"from: {exc.reason}", start) from None
    fields = {k: v for k, v in change.items() if k != "from"}
    if not fields:
        raise fail("nothing to change", dict(change))

    def changed(version: Version[Any], new_start: dt.date | None = None) -> Version[Any]:
        try:
            value = _changed_value(kind, version.value, fields)
        except InvalidInput as exc:
            raise fail(f"{exc.field}: {exc.reason}", exc.value) from None
        note = ", ".join(f"{k} = {_show(v)}" for k, v in fields.items())
        return Version(
            value=value,
            start=new_start or version.start,
            end=None if new_start else version.end,
            provenance=Provenance(source, False, f"{note} (was: {_show(version.value)})"),
        )

    versions = list(row.versions)
    if start is None:
        return attrs.evolve(row, versions=tuple(changed(v) for v in versions))
    before = [v for v in versions if v.start < start]
    after = [v for v in versions if v.start >= start]
    base = before[-1] if before else versions[0]
    kept = [attrs.evolve(v, end=min(v.end, start - dt.timedelta(days=1))) if v.end else v for v in before]
    new = [changed(base, start)] if not after or after[0].start != start else []
    return attrs.evolve(row, versions=(*kept, *new, *(changed(v) for v in after)))


def _changed_value(kind: str, old: Any, fields: Mapping[str, Any]) -> Any:
    if kind == "amount":
        return amount(fields["value"], "value")
    if kind == "rate":
        return rate(fields["value"], "value")
    if kind == "months":
        value = fields["value"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInput("value", value, "expected a whole number of months")
        return value
    assert isinstance(old, Schedule)
    threshold = amount(fields["threshold"], "threshold") if "threshold" in fields else old.threshold
    basis = str(fields.get("basis", old.basis))
    cap = old.cap
    if "cap" in fields:
        cap = None if fields["cap"] is None else amount(fields["cap"], "cap")
    tiers = old.tiers
    if "tiers" in fields:
        raw = fields["tiers"]
        if not isinstance(raw, list) or not raw:
            raise InvalidInput("tiers", raw, "expected a non-empty list of {from, to, rate}")
        built = []
        for i, t in enumerate(raw):
            if not isinstance(t, Mapping) or "from" not in t or "rate" not in t:
                raise InvalidInput(f"tiers[{i}]", t, "expected {from, to, rate}")
            built.append(
                Tier(
                    start=amount(t["from"], f"tiers[{i}].from"),
                    end=None if t.get("to") is None else amount(t["to"], f"tiers[{i}].to"),
                    rate=rate(t["rate"], f"tiers[{i}].rate"),
                )
            )
        tiers = tuple(built)
    return Schedule(threshold=threshold, tiers=tiers, basis=basis, cap=cap)


def _show(value: Any) -> str:
    if isinstance(value, Schedule):
        return value.describe()
    if isinstance(value, list):
        return "[" + "; ".join(f"{t.get('from')}–{t.get('to', '∞')} at {t.get('rate')}" for t in value) + "]"
    return str(value)
