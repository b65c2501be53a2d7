"""Rule packs: a jurisdiction's rules as one data file, read into a :class:`RulePack`.

A rule pack is YAML (or JSON, or an equivalent mapping) that declares a jurisdiction, lists
its sources and gives its tables, benefits, eligibility rules and combined caps, every value
with its dates, source and ``verified`` flag. :func:`read_rule_pack` reads and checks the
file and returns plain rule objects; registering them is the registry's business
(:meth:`~medinsure.rules.registry.RegistryScope.add_rule_pack`). Unknown keys are errors, and
every error names the plugin, jurisdiction, rule, value and the file and line.

The format is documented in ``docs/rule-packs.md``. Its version is ``format:
medinsure-rule-pack/MAJOR.MINOR``: a minor version only adds optional keys and built-in checks,
so this module reads every minor version up to :data:`FORMAT_VERSION` of its major version; a
pack that uses what a later minor version added must say so (``1.1`` for ``quote:``,
``description_zh:`` and the checks ``insured_policy_year``, ``refuse`` and
``birth_date_given``), so that an older medinsure refuses it by its format rather than by a key.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from medinsure.errors import InvalidInput, ReadError, RuleError
from medinsure.io.data import line_of, read_data_file
from medinsure.model import parse_date
from medinsure.money import amount, rate
from medinsure.rules.tables import (
    Benefit,
    CombinedCap,
    EligibilityRule,
    Match,
    ParameterTable,
    Provenance,
    Row,
    Schedule,
    Source,
    Tier,
    Version,
)

__all__ = ["FORMAT", "FORMAT_VERSION", "RulePack", "read_rule_pack"]

TOP_KEYS = ("format", "jurisdiction", "sources", "tables", "benefits", "eligibility", "combined_caps")
#: The newest rule-pack format this medinsure reads: (major, minor).
FORMAT_VERSION = (1, 1)
#: The format a pack states at the top: ``format: medinsure-rule-pack/1.1``.
FORMAT = f"medinsure-rule-pack/{FORMAT_VERSION[0]}.{FORMAT_VERSION[1]}"
_FORMAT = re.compile(r"^medinsure-rule-pack/(\d+)(?:\.(\d+))?$")
#: What each minor version added: keys, and the names of built-in checks.
ADDED_IN: dict[str, tuple[int, int]] = {
    "quote": (1, 1),
    "description_zh": (1, 1),
    "insured_policy_year": (1, 1),
    "refuse": (1, 1),
    "birth_date_given": (1, 1),
}


@attrs.frozen
class RulePack:
    """What a rule pack holds: a jurisdiction and its rules, read and checked, not registered.

    ``removed`` lists the inherited rules the pack removes, as ``(section, name)`` (a section
    entry given as ``null``).
    """

    code: str
    name: str
    name_en: str = ""
    parent: str | None = None
    description: str = ""
    start: dt.date | None = None
    sources: tuple[Source, ...] = ()
    tables: tuple[ParameterTable[Any], ...] = ()
    benefits: tuple[Benefit, ...] = ()
    eligibility: tuple[EligibilityRule, ...] = ()
    combined_caps: tuple[CombinedCap, ...] = ()
    removed: tuple[tuple[str, str], ...] = ()
    origin: str = "<rule pack>"


class _Pack:
    def __init__(self, plugin: str | None, origin: str) -> None:
        self.plugin = plugin
        self.origin = origin
        self.code: str | None = None
        self.sources: dict[str, Source] = {}
        self.format_version = FORMAT_VERSION

    def read_format(self, top: Mapping[str, Any]) -> None:
        """The format the pack states (the newest when it states none)."""
        stated = top.get("format")
        if stated is None:
            return
        found = _FORMAT.match(stated) if isinstance(stated, str) else None
        if found is None:
            raise self.fail(f"format: expected {FORMAT!r}", "format", top, "format", stated)
        version = (int(found[1]), int(found[2] or 0))
        if version[0] != FORMAT_VERSION[0] or version > FORMAT_VERSION:
            raise self.fail(
                f"format: this medinsure reads {FORMAT!r} and the earlier minor versions of it, not {stated!r}"
                " (a newer medinsure may read it)",
                "format",
                top,
                "format",
                stated,
            )
        self.format_version = version

    def needs(self, name: str, rule: str, data: Any, key: str | None = None) -> None:
        """Refuse ``name`` (a key or a built-in check) in a pack whose stated format predates it."""
        added = ADDED_IN.get(name)
        if added is not None and self.format_version < added:
            stated = f"medinsure-rule-pack/{self.format_version[0]}.{self.format_version[1]}"
            wanted = f"medinsure-rule-pack/{added[0]}.{added[1]}"
            raise self.fail(f"{name!r} needs format {wanted!r} (the pack states {stated!r})", rule, data, key, name)

    def fail(self, message: str, rule: str, data: Any = None, key: str | None = None, value: Any = None) -> RuleError:
        line = line_of(data, key)
        where = f"{self.origin}:{line}" if line else self.origin
        return RuleError(f"{message} ({where})", plugin=self.plugin, jurisdiction=self.code, rule=rule, value=value)

    def mapping(
        self, data: Any, rule: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail("expected a mapping", rule, value=data)
        for key in data:
            if key not in allowed:
                raise self.fail(f"unknown key {key!r} (allowed: {', '.join(allowed)})", rule, data, key, key)
        for key in required:
            if key not in data or data[key] is None:
                raise self.fail(f"missing key {key!r}", rule, data, value=None)
        return data

    def listing(self, data: Any, rule: str) -> list[Any]:
        if not isinstance(data, list) or not data:
            raise self.fail("expected a non-empty list", rule, value=data)
        return data

    def date(self, data: Mapping[str, Any], key: str, rule: str) -> dt.date | None:
        value = data.get(key)
        if value is None:
            return None
        try:
            return parse_date(value, key)
        except InvalidInput as exc:
            raise self.fail(f"{key}: {exc.reason}", rule, data, key, value) from None

    def money(self, data: Mapping[str, Any], key: str, rule: str) -> Decimal:
        try:
            return amount(data[key], key)
        except InvalidInput as exc:
            raise self.fail(f"{key}={_show(data[key])}: {exc.reason}", rule, data, key, data[key]) from None

    def ratio(self, data: Mapping[str, Any], key: str, rule: str) -> Decimal:
        try:
            return rate(data[key], key)
        except InvalidInput as exc:
            raise self.fail(f"{key}={_show(data[key])}: {exc.reason}", rule, data, key, data[key]) from None

    def match(self, data: Mapping[str, Any], rule: str) -> Match:
        try:
            return Match.from_mapping(data.get("when"))
        except InvalidInput as exc:
            raise self.fail(f"{exc.field}: {exc.reason}", rule, data.get("when") or data, None, exc.value) from None

    def provenance(self, data: Mapping[str, Any], rule: str) -> Provenance:
        source_id = data.get("source")
        if source_id not in self.sources:
            raise self.fail(
                f"source {source_id!r} is not listed under sources: (known: {', '.join(self.sources) or 'none'})",
                rule,
                data,
                "source",
                source_id,
            )
        verified = data.get("verified")
        if not isinstance(verified, bool):
            raise self.fail(
                "verified: expected true or false (every value says whether it is verified)",
                rule,
                data,
                "verified",
                verified,
            )
        note = data.get("note") or ""
        if not verified and not note:
            raise self.fail("an unverified value needs a note explaining the choice", rule, data, "note", None)
        quote = data.get("quote")
        if quote is not None:
            self.needs("quote", rule, data, "quote")
            if not isinstance(quote, str) or not quote.strip():
                raise self.fail("quote: expected the sentence of the source, as text", rule, data, "quote", quote)
        return Provenance(self.sources[source_id], verified, str(note), (quote or "").strip())

    # -- sections --------------------------------------------------------------------------

    def read_sources(self, data: Any) -> None:
        if not isinstance(data, Mapping) or not data:
            raise self.fail("sources: expected a mapping of source ids", "sources", value=data)
        for sid, item in data.items():
            rule = f"sources.{sid}"
            m = self.mapping(item, rule, ("publication", "date", "document", "url"), ("publication",))
            self.sources[sid] = Source(
                id=sid,
                publication=str(m["publication"]),
                date=self.date(m, "date", rule),
                document=m.get("document"),
                url=m.get("url"),
            )

    def rows(self, data: Any, rule: str, kind: str) -> tuple[Row[Any], ...]:
        rows = []
        for i, raw_row in enumerate(self.listing(data, rule)):
            row_rule = f"{rule}[{i}]"
            m = self.mapping(raw_row, row_rule, ("when", "label", "versions"), ("versions",))
            versions = []
            for j, raw in enumerate(self.listing(m["versions"], f"{row_rule}.versions")):
                versions.append(self.version(raw, f"{row_rule}.versions[{j}]", kind))
            rows.append(Row(when=self.match(m, row_rule), versions=tuple(versions), label=str(m.get("label") or "")))
        return tuple(rows)

    def version(self, raw: Any, rule: str, kind: str) -> Version[Any]:
        common = ("from", "to", "source", "verified", "note", "quote")
        value: Any
        if kind == "schedule":
            m = self.mapping(
                raw, rule, (*common, "threshold", "basis", "tiers", "cap"), ("from", "threshold", "tiers", "source")
            )
            tiers = []
            for k, raw_tier in enumerate(self.listing(m["tiers"], f"{rule}.tiers")):
                t = self.mapping(raw_tier, f"{rule}.tiers[{k}]", ("from", "to", "rate"), ("from", "rate"))
                tiers.append(
                    Tier(
                        start=self.money(t, "from", f"{rule}.tiers[{k}]"),
                        end=None if t.get("to") is None else self.money(t, "to", f"{rule}.tiers[{k}]"),
                        rate=self.ratio(t, "rate", f"{rule}.tiers[{k}]"),
                    )
                )
            value = Schedule(
                threshold=self.money(m, "threshold", rule),
                tiers=tuple(tiers),
                basis=str(m.get("basis") or "above_threshold"),
                cap=None if m.get("cap") is None else self.money(m, "cap", rule),
            )
        else:
            m = self.mapping(raw, rule, (*common, "value"), ("from", "value", "source"))
            if kind == "amount":
                value = self.money(m, "value", rule)
            elif kind == "rate":
                value = self.ratio(m, "value", rule)
            else:
                value = m["value"]
        start = self.date(m, "from", rule)
        assert start is not None
        return Version(value=value, start=start, end=self.date(m, "to", rule), provenance=self.provenance(m, rule))

    def table(self, name: str, data: Any, kind: str | None = None) -> ParameterTable[Any]:
        rule = f"tables.{name}"
        m = self.mapping(
            data, rule, ("kind", "description", "description_zh", "rows"), ("rows",) if kind else ("kind", "rows")
        )
        kind = kind or str(m["kind"])
        if kind not in ("amount", "rate", "months"):
            raise self.fail(f"kind: expected amount, rate or months, got {kind!r}", rule, m, "kind", kind)
        return ParameterTable(
            name=name,
            kind=kind,
            rows=self.rows(m["rows"], rule, kind),
            description=str(m.get("description") or ""),
            description_zh=self.description_zh(m, rule),
        )

    def description_zh(self, data: Mapping[str, Any], rule: str) -> str:
        """The Chinese description beside the English one (format 1.1)."""
        if "description_zh" not in data:
            return ""
        self.needs("description_zh", rule, data, "description_zh")
        text = data["description_zh"]
        if not isinstance(text, str):
            raise self.fail("description_zh: expected text", rule, data, "description_zh", text)
        return " ".join(text.split())

    def benefit(self, key: str, data: Any) -> Benefit:
        rule = f"benefits.{key}"
        m = self.mapping(
            data,
            rule,
            ("component", "base", "schemes", "counts", "description", "description_zh", "schedules"),
            ("component", "schemes", "counts", "schedules"),
        )
        description = str(m.get("description") or "")
        description_zh = self.description_zh(m, rule)
        schedules = ParameterTable(
            name=f"{key}.schedule",
            kind="schedule",
            rows=self.rows(m["schedules"], f"{rule}.schedules", "schedule"),
            description=description,
            description_zh=description_zh,
        )
        return Benefit(
            key=key,
            component=str(m["component"]),
            base=str(m.get("base") or "self_pay"),
            schemes=tuple(m["schemes"]),
            counts=tuple(m["counts"]),
            schedules=schedules,
            description=description,
            description_zh=description_zh,
        )

    def eligibility(self, rid: str, data: Any) -> EligibilityRule:
        rule = f"eligibility.{rid}"
        m = self.mapping(
            data,
            rule,
            ("check", "applies_to", "when", "reason", "from", "to", "source", "verified", "note", "quote"),
            ("check", "reason", "source"),
        )
        self.needs(str(m["check"]), rule, m, "check")
        applies = m.get("applies_to", "claim")
        if applies != "claim":
            if isinstance(applies, str):
                applies = [applies]
            if not isinstance(applies, list) or not all(isinstance(a, str) for a in applies):
                raise self.fail(
                    "applies_to: expected 'claim' or a list of benefit keys and 'basic'", rule, m, "applies_to", applies
                )
            applies = tuple(applies)
        return EligibilityRule(
            id=rid,
            check=str(m["check"]),
            reason=str(m["reason"]),
            provenance=self.provenance(m, rule),
            applies_to=applies,
            when=self.match(m, rule),
            start=self.date(m, "from", rule),
            end=self.date(m, "to", rule),
        )

    def combined_cap(self, cid: str, data: Any) -> CombinedCap:
        rule = f"combined_caps.{cid}"
        m = self.mapping(
            data,
            rule,
            ("components", "reduce", "description", "description_zh", "rate"),
            ("components", "reduce", "rate"),
        )
        rate_data = self.mapping(m["rate"], f"{rule}.rate", ("rows",), ("rows",))
        description = str(m.get("description") or "")
        description_zh = self.description_zh(m, rule)
        return CombinedCap(
            id=cid,
            components=tuple(m["components"]),
            reduce=tuple(m["reduce"]),
            rate=ParameterTable(
                name=f"{cid}.rate",
                kind="rate",
                rows=self.rows(rate_data["rows"], f"{rule}.rate", "rate"),
                description=description,
                description_zh=description_zh,
            ),
            description=description,
            description_zh=description_zh,
        )


def _show(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


def read_rule_pack(
    source: str | Path | Mapping[str, Any], *, plugin: str | None = None, rules: bool = True
) -> RulePack:
    """Read a rule pack (a YAML or JSON file, or a mapping); errors name ``plugin`` and the line.

    With ``rules=False`` only the jurisdiction is read (what a plugin declares before any
    plugin registers rules).
    """
    if isinstance(source, Mapping):
        data: Any = source
        origin = "<rule pack>"
    else:
        path = Path(source)
        try:
            stat = path.stat()
        except OSError:  # read_data_file below says why
            stat = None
        if stat is not None:  # the same unchanged file: the same (immutable) rule pack
            return _read_file_cached(path, stat.st_mtime_ns, stat.st_size, plugin, rules)
        return _read_file(path, plugin, rules)
    return _read(data, origin, plugin, rules)


@functools.lru_cache(maxsize=64)
def _read_file_cached(path: Path, mtime: int, size: int, plugin: str | None, rules: bool) -> RulePack:
    return _read(_data_cached(path, mtime, size, plugin), str(path), plugin, rules)


@functools.lru_cache(maxsize=16)
def _data_cached(path: Path, _mtime: int, _size: int, plugin: str | None) -> Any:
    """The parsed file, read once for both hooks of a plugin (declaring, then its rules); read only."""
    return _data(path, plugin)


def _read_file(path: Path, plugin: str | None, rules: bool) -> RulePack:
    return _read(_data(path, plugin), str(path), plugin, rules)


def _data(path: Path, plugin: str | None) -> Any:
    try:
        return read_data_file(path)
    except ReadError as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise RuleError(f"{exc} ({where})", plugin=plugin) from None


def _read(data: Any, origin: str, plugin: str | None, rules: bool) -> RulePack:
    pack = _Pack(plugin, origin)
    top = pack.mapping(data, "rule pack", TOP_KEYS, ("jurisdiction",))
    pack.read_format(top)
    j = pack.mapping(
        top["jurisdiction"],
        "jurisdiction",
        ("code", "name", "name_en", "parent", "description", "from"),
        ("code", "name"),
    )
    pack.code = code = str(j["code"])
    declared = RulePack(
        code=code,
        name=str(j["name"]),
        name_en=str(j.get("name_en") or ""),
        parent=j.get("parent"),
        description=str(j.get("description") or ""),
        start=pack.date(j, "from", "jurisdiction"),
        origin=origin,
    )
    if not rules:
        return declared
    pack.read_sources(top.get("sources"))
    removed: list[tuple[str, str]] = []

    # a section entry given as null removes the rule of that name inherited from the parent
    def entries(section: str) -> Iterator[tuple[str, Any]]:
        found = top.get(section) or {}
        if not isinstance(found, Mapping):
            raise pack.fail(f"{section}: expected a mapping of names", section, top, section)
        for name, raw in found.items():
            if raw is None:
                removed.append((section, name))
            else:
                yield name, raw

    return attrs.evolve(
        declared,
        sources=tuple(pack.sources.values()),
        tables=tuple(pack.table(name, raw) for name, raw in entries("tables")),
        benefits=tuple(pack.benefit(name, raw) for name, raw in entries("benefits")),
        eligibility=tuple(pack.eligibility(name, raw) for name, raw in entries("eligibility")),
        combined_caps=tuple(pack.combined_cap(name, raw) for name, raw in entries("combined_caps")),
        removed=tuple(removed),
    )
