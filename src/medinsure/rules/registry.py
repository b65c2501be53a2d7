"""The registry plugins fill in, and the merged rules of a jurisdiction.

A plugin never sees the registry itself: each hook implementation receives a
:class:`RegistryScope` that knows which plugin is registering, so an error names the plugin,
the jurisdiction, the rule and the value. A plugin registers rules only for jurisdictions it
declared. Conflicts are refused, never resolved by "last one wins".

A jurisdiction may build on a parent (``parent="liaoning"``): :meth:`Registry.resolve` merges
the chain, the child's tables, benefits, eligibility rules and combined caps replacing the
parent's of the same name, and everything else coming from the parent.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from medinsure.errors import PluginError, RuleError, UnknownJurisdiction
from medinsure.model import CATEGORIES, CLAIM_KINDS, CONDITIONS, SCHEMES
from medinsure.rules.eligibility import BUILTIN_CHECKS
from medinsure.rules.names import BASES, FUNDS, TABLE_KINDS
from medinsure.rules.rulepack import RulePack, read_rule_pack
from medinsure.rules.tables import (
    Benefit,
    CombinedCap,
    EligibilityRule,
    Jurisdiction,
    Match,
    ParameterTable,
    Source,
)

__all__ = ["JurisdictionRules", "Registry", "RegistryScope"]

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@attrs.frozen
class JurisdictionRules:
    """Everything in force for one jurisdiction, its parents' rules merged in."""

    jurisdiction: Jurisdiction
    chain: tuple[Jurisdiction, ...]
    plugin: str
    plugin_version: str
    tables: Mapping[str, tuple[str, ParameterTable[Any]]]
    benefits: tuple[tuple[str, Benefit], ...]
    eligibility: tuple[tuple[str, EligibilityRule], ...]
    combined_caps: tuple[tuple[str, CombinedCap], ...]
    overrides: tuple[str, ...] = ()
    start: dt.date | None = None
    #: the plugin that provides each jurisdiction of the chain
    owners: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def code(self) -> str:
        return self.jurisdiction.code

    @functools.cached_property
    def change_dates(self) -> tuple[dt.date, ...]:
        """Every date on which what the rules say may change, ascending.

        A version starts, or its source stops speaking for it (the day after its ``to``); an
        eligibility rule's window opens or closes; the jurisdiction's rules start. Between two
        consecutive dates every table resolves to the same version, carried forward or not.
        """
        days: set[dt.date] = set()
        if self.start is not None:
            days.add(self.start)
        for table in self._every_table():
            for row in table.rows:
                for version in row.versions:
                    days.add(version.start)
                    if version.end is not None:
                        days.add(version.end + dt.timedelta(days=1))
        for _owner, rule in self.eligibility:
            if rule.start is not None:
                days.add(rule.start)
            if rule.end is not None:
                days.add(rule.end + dt.timedelta(days=1))
        return tuple(sorted(days))

    @functools.cached_property
    def age_bounds(self) -> tuple[int, ...]:
        """Every age at which a row or an eligibility rule starts or stops applying, ascending.

        A rule that asks whether a birth date is given at all adds the age 0, so that a person
        without one is told apart from a person with one.
        """
        ages: set[int] = set()
        matches = [row.when for table in self._every_table() for row in table.rows]
        matches += [rule.when for _owner, rule in self.eligibility]
        if any(rule.check == "birth_date_given" for _owner, rule in self.eligibility):
            ages.add(0)
        for m in matches:
            if m.age_min is not None:
                ages.add(m.age_min)
            if m.age_max is not None:
                ages.add(m.age_max + 1)
        return tuple(sorted(ages))

    @functools.cached_property
    def checks_are_builtin(self) -> bool:
        """Whether every eligibility check is a built-in one (none is Python code of a plugin)."""
        return all(isinstance(rule.check, str) for _owner, rule in self.eligibility)

    def _every_table(self) -> list[ParameterTable[Any]]:
        return [self.find_table(name) for name in self.table_names()]

    @functools.cached_property
    def staged_benefits(self) -> tuple[tuple[str, Benefit], ...]:
        """The benefits in the order a claim settles them: stage by stage (:data:`BASES`)."""
        return tuple((owner, b) for stage in BASES for owner, b in self.benefits if b.base == stage)

    def table(self, name: str) -> tuple[str, ParameterTable[Any]] | None:
        """The table ``name`` and the code of the jurisdiction that defined it."""
        return self.tables.get(name)

    def table_names(self) -> list[str]:
        """Every table that can be overridden: parameters, benefit schedules, combined-cap rates."""
        names = set(self.tables)
        names.update(b.schedules.name for _, b in self.benefits)
        names.update(c.rate.name for _, c in self.combined_caps)
        return sorted(names)

    def find_table(self, name: str) -> ParameterTable[Any]:
        """The table ``name``, wherever it is held (see :meth:`table_names`)."""
        if name in self.tables:
            return self.tables[name][1]
        for _, b in self.benefits:
            if b.schedules.name == name:
                return b.schedules
        for _, c in self.combined_caps:
            if c.rate.name == name:
                return c.rate
        raise RuleError(f"no table named {name!r}", jurisdiction=self.code, rule=name)

    def with_table(self, table: ParameterTable[Any], label: str = "override") -> JurisdictionRules:
        """A copy in which ``table`` replaces the table of the same name (a what-if reform)."""
        known = self.table_names()
        if table.name not in known:
            raise RuleError(
                f"no table named {table.name!r} to override (tables: {', '.join(known)})",
                jurisdiction=self.code,
                rule=table.name,
            )
        kind = self.find_table(table.name).kind
        if table.kind != kind:
            raise RuleError(
                f"an override of a {kind!r} table must be of kind {kind!r}",
                jurisdiction=self.code,
                rule=table.name,
                value=table.kind,
            )
        table.validate(self.code, label)
        tables = dict(self.tables)
        if table.name in tables:
            tables[table.name] = (self.code, table)
        benefits = tuple(
            (owner, attrs.evolve(b, schedules=table) if b.schedules.name == table.name else b)
            for owner, b in self.benefits
        )
        caps = tuple(
            (owner, attrs.evolve(c, rate=table) if c.rate.name == table.name else c) for owner, c in self.combined_caps
        )
        return attrs.evolve(
            self, tables=tables, benefits=benefits, combined_caps=caps, overrides=(*self.overrides, table.name)
        )


class Registry:
    """Holds what every plugin registered. Build one per plugin manager: there is no global state."""

    def __init__(self) -> None:
        self._jurisdictions: dict[str, Jurisdiction] = {}
        self._owners: dict[str, str] = {}
        self._plugin_versions: dict[str, str] = {}
        self._tables: dict[str, dict[str, ParameterTable[Any]]] = {}
        self._benefits: dict[str, dict[str, Benefit]] = {}
        self._eligibility: dict[str, dict[str, EligibilityRule]] = {}
        self._caps: dict[str, dict[str, CombinedCap]] = {}
        self._sources: dict[str, dict[str, Source]] = {}
        self._removed: dict[str, set[tuple[str, str]]] = {}
        self._resolved: dict[str, JurisdictionRules] = {}
        #: plugins that could not be loaded or registered, and why (see :meth:`discard`)
        self.failures: dict[str, str] = {}
        #: jurisdictions that cannot be used, and why: their plugin failed, or their parent did
        self.unavailable: dict[str, str] = {}

    # -- used by the host -----------------------------------------------------------------

    def scoped(self, plugin: str, version: str | None = None) -> RegistryScope:
        """The view handed to one plugin's hook implementations."""
        if version:
            self._plugin_versions[plugin] = version
        return RegistryScope(self, plugin)

    def discard(self, plugin: str, reason: str) -> None:
        """Forget everything ``plugin`` registered; its jurisdictions become unavailable for ``reason``."""
        self.failures[plugin] = reason
        for code in [c for c, owner in self._owners.items() if owner == plugin]:
            self._drop(code, f"plugin {plugin!r} failed: {reason}")

    def failed(self, plugin: str) -> bool:
        return plugin in self.failures

    def _drop(self, code: str, reason: str) -> None:
        self._jurisdictions.pop(code, None)
        self._owners.pop(code, None)
        for section in (self._tables, self._benefits, self._eligibility, self._caps, self._sources, self._removed):
            section.pop(code, None)
        self._resolved.clear()
        self.unavailable[code] = reason

    def check(self, *, isolate: frozenset[str] | set[str] = frozenset()) -> None:
        """Validate what spans plugins: parents exist, no cycles.

        A jurisdiction of a plugin named in ``isolate`` whose parent is missing or unavailable
        becomes unavailable itself (with the reason) instead of failing the whole registry.
        """
        changed = True
        while changed:
            changed = False
            for code, juris in list(self._jurisdictions.items()):
                try:
                    self._check_chain(code, juris)
                except RuleError as exc:
                    if self._owners[code] not in isolate:
                        raise
                    self._drop(code, str(exc))
                    changed = True

    def _check_chain(self, code: str, juris: Jurisdiction) -> None:
        seen = {code}
        parent = juris.parent
        while parent is not None:
            if parent not in self._jurisdictions:
                why = f" ({self.unavailable[parent]})" if parent in self.unavailable else " (install its plugin first)"
                raise RuleError(
                    f"parent jurisdiction {parent!r} is not {'available' if parent in self.unavailable else 'installed'}"
                    + why,
                    plugin=self._owners[code],
                    jurisdiction=code,
                    value=parent,
                )
            if parent in seen:
                raise RuleError("jurisdiction parents form a cycle", plugin=self._owners[code], jurisdiction=code)
            seen.add(parent)
            parent = self._jurisdictions[parent].parent

    # -- queries ----------------------------------------------------------------------------

    @property
    def codes(self) -> list[str]:
        return sorted(self._jurisdictions)

    def jurisdiction(self, code: str) -> Jurisdiction:
        try:
            return self._jurisdictions[code]
        except KeyError:
            if code in self.unavailable:
                raise PluginError(f"jurisdiction={code!r}: unavailable: {self.unavailable[code]}") from None
            raise UnknownJurisdiction(code, list(self._jurisdictions), self.failures) from None

    def owner(self, code: str) -> str:
        return self._owners[code]

    def plugin_version(self, plugin: str) -> str:
        return self._plugin_versions.get(plugin, "unknown")

    def sources(self, code: str) -> Mapping[str, Source]:
        return dict(self._sources.get(code, {}))

    def known_terms(self) -> dict[str, frozenset[str]]:
        """Categories, conditions and tags the core knows or any rule names."""
        terms = {"categories": set(CATEGORIES), "conditions": set(CONDITIONS), "tags": set()}

        def add(match: Match) -> None:
            for name, values in match.terms().items():
                terms[name] |= values

        for tables in self._tables.values():
            for table in tables.values():
                for row in table.rows:
                    add(row.when)
        for benefits in self._benefits.values():
            for benefit in benefits.values():
                for row in benefit.schedules.rows:
                    add(row.when)
        for rules in self._eligibility.values():
            for rule in rules.values():
                add(rule.when)
        return {name: frozenset(values) for name, values in terms.items()}

    def resolve(self, code: str) -> JurisdictionRules:
        """The merged rules of ``code`` and its parents."""
        if code in self._resolved:
            return self._resolved[code]
        juris = self.jurisdiction(code)
        chain: list[Jurisdiction] = []
        current: Jurisdiction | None = juris
        while current is not None:
            chain.append(current)
            current = self._jurisdictions.get(current.parent) if current.parent else None
        tables: dict[str, tuple[str, ParameterTable[Any]]] = {}
        benefits: dict[str, tuple[str, Benefit]] = {}
        eligibility: dict[str, tuple[str, EligibilityRule]] = {}
        caps: dict[str, tuple[str, CombinedCap]] = {}
        sections: dict[str, dict[str, Any]] = {
            "tables": tables,
            "benefits": benefits,
            "eligibility": eligibility,
            "combined_caps": caps,
        }
        for item in reversed(chain):
            c = item.code
            for section, name in self._removed.get(c, set()):
                sections[section].pop(name, None)
            tables.update({name: (c, t) for name, t in self._tables.get(c, {}).items()})
            benefits.update({key: (c, b) for key, b in self._benefits.get(c, {}).items()})
            eligibility.update({key: (c, r) for key, r in self._eligibility.get(c, {}).items()})
            caps.update({key: (c, r) for key, r in self._caps.get(c, {}).items()})
        start = next((item.start for item in chain if item.start is not None), None)
        plugin = self._owners[code]
        resolved = JurisdictionRules(
            jurisdiction=juris,
            chain=tuple(chain),
            plugin=plugin,
            plugin_version=juris.version or self.plugin_version(plugin),
            tables=tables,
            benefits=tuple(benefits.values()),
            eligibility=tuple(eligibility.values()),
            combined_caps=tuple(caps.values()),
            start=start,
            owners={item.code: self._owners[item.code] for item in chain},
        )
        self._resolved[code] = resolved
        return resolved

    def plugin_of(self, code: str) -> tuple[str, str]:
        plugin = self._owners[code]
        return plugin, self.plugin_version(plugin)


class RegistryScope:
    """What a plugin's hook implementation receives: registration on behalf of one plugin."""

    def __init__(self, registry: Registry, plugin: str) -> None:
        self._registry = registry
        self.plugin = plugin

    def _error(self, message: str, code: str | None = None, rule: str | None = None, value: Any = None) -> RuleError:
        return RuleError(message, plugin=self.plugin, jurisdiction=code, rule=rule, value=value)

    def _own(self, code: str, rule: str) -> None:
        reg = self._registry
        if code not in reg._jurisdictions:
            raise self._error(
                "jurisdiction not declared: declare it with add_jurisdiction() in medinsure_register_jurisdictions",
                code,
                rule,
            )
        if reg._owners[code] != self.plugin:
            raise self._error(
                f"jurisdiction belongs to plugin {reg._owners[code]!r}; a plugin registers rules only for its own",
                code,
                rule,
            )
        reg._resolved.clear()

    def add_jurisdiction(
        self,
        code: str,
        name: str,
        *,
        name_en: str = "",
        parent: str | None = None,
        version: str | None = None,
        description: str = "",
        start: dt.date | None = None,
    ) -> Jurisdiction:
        """Declare a jurisdiction this plugin provides. Two plugins may not claim one code.

        ``start`` is the first date the jurisdiction's rules speak for: a claim before it is
        refused (by default the parent's start, or none).
        """
        reg = self._registry
        if not isinstance(code, str) or not _CODE.match(code):
            raise self._error("a jurisdiction code is lower-case snake_case", code, value=code)
        if code in reg._jurisdictions:
            raise self._error(
                f"jurisdiction code {code!r} is already provided by plugin {reg._owners[code]!r}", code, value=code
            )
        juris = Jurisdiction(
            code=code, name=name, name_en=name_en, parent=parent, version=version, description=description, start=start
        )
        reg._jurisdictions[code] = juris
        reg._owners[code] = self.plugin
        return juris

    def remove(self, code: str, section: str, name: str) -> None:
        """Remove an inherited rule: ``section`` is tables, benefits, eligibility or combined_caps."""
        if section not in ("tables", "benefits", "eligibility", "combined_caps"):
            raise self._error(f"cannot remove from {section!r}", code, f"{section}.{name}")
        self._own(code, f"{section}.{name}")
        if self._registry._jurisdictions[code].parent is None:
            raise self._error(
                "only a jurisdiction with a parent can remove an inherited rule", code, f"{section}.{name}"
            )
        self._registry._removed.setdefault(code, set()).add((section, name))

    def add_source(self, code: str, source: Source) -> None:
        self._own(code, f"sources.{source.id}")
        reg = self._registry
        if source.id in reg._sources.setdefault(code, {}):
            raise self._error("source registered twice", code, f"sources.{source.id}", source.id)
        reg._sources[code][source.id] = source

    def add_table(self, code: str, table: ParameterTable[Any]) -> None:
        """Register a parameter table (deductibles, ratios, caps, coverage months ...)."""
        self._own(code, table.name)
        wanted = TABLE_KINDS.get(table.name)
        if wanted is not None and table.kind != wanted:
            raise self._error(
                f"the engine reads {table.name!r} as a table of kind {wanted!r}, not {table.kind!r}",
                code,
                table.name,
                table.kind,
            )
        table.validate(code, self.plugin)
        tables = self._registry._tables.setdefault(code, {})
        if table.name in tables:
            raise self._error("table registered twice", code, table.name)
        tables[table.name] = table

    def add_benefit(self, code: str, benefit: Benefit) -> None:
        """Register a benefit paid on an annual base (critical illness, subsidies ...)."""
        rule = f"benefits.{benefit.key}"
        self._own(code, rule)
        if benefit.component not in FUNDS or benefit.component == "basic_pool":
            raise self._error(
                f"unknown component {benefit.component!r} (expected one of {', '.join(FUNDS[1:])})",
                code,
                rule,
                benefit.component,
            )
        if benefit.base not in BASES:
            raise self._error(
                f"unknown base {benefit.base!r} (expected one of {', '.join(BASES)})", code, rule, benefit.base
            )
        for scheme in benefit.schemes:
            if scheme not in SCHEMES:
                raise self._error(f"unknown scheme {scheme!r}", code, rule, scheme)
        for kind in benefit.counts:
            if kind not in CLAIM_KINDS:
                raise self._error(f"unknown claim kind {kind!r} in counts", code, rule, kind)
        if benefit.schedules.kind != "schedule":
            raise self._error("a benefit's schedules table must be of kind 'schedule'", code, rule)
        benefit.schedules.validate(code, self.plugin)
        benefits = self._registry._benefits.setdefault(code, {})
        if benefit.key in benefits:
            raise self._error("benefit registered twice", code, rule)
        benefits[benefit.key] = benefit

    def add_eligibility(self, code: str, rule: EligibilityRule) -> None:
        """Register an eligibility rule: a predicate and the reason it gives when it refuses."""
        name = f"eligibility.{rule.id}"
        self._own(code, name)
        if isinstance(rule.check, str) and rule.check not in BUILTIN_CHECKS:
            raise self._error(
                f"unknown built-in check {rule.check!r} (expected one of {', '.join(sorted(BUILTIN_CHECKS))})",
                code,
                name,
                rule.check,
            )
        if not isinstance(rule.check, str) and not callable(rule.check):
            raise self._error("check must be a callable or the name of a built-in check", code, name, rule.check)
        if not rule.reason:
            raise self._error("an eligibility rule needs the reason it gives when it refuses", code, name)
        rules = self._registry._eligibility.setdefault(code, {})
        if rule.id in rules:
            raise self._error("eligibility rule registered twice", code, name)
        rules[rule.id] = rule

    def add_combined_cap(self, code: str, cap: CombinedCap) -> None:
        """Register a cap on the year's combined payments of several components."""
        name = f"combined_caps.{cap.id}"
        self._own(code, name)
        if cap.rate.kind != "rate":
            raise self._error("a combined cap's table must be of kind 'rate'", code, name)
        cap.rate.validate(code, self.plugin)
        for component in (*cap.components, *cap.reduce):
            if component not in FUNDS:
                raise self._error(f"unknown component {component!r}", code, name, component)
        caps = self._registry._caps.setdefault(code, {})
        if cap.id in caps:
            raise self._error("combined cap registered twice", code, name)
        caps[cap.id] = cap

    def add_rule_pack(self, pack: RulePack, *, declare: bool = True, rules: bool = True) -> str:
        """Register a rule pack's jurisdiction (``declare``) and its rules (``rules``); its code."""
        code = pack.code
        if declare:
            self.add_jurisdiction(
                code,
                pack.name,
                name_en=pack.name_en,
                parent=pack.parent,
                description=pack.description,
                start=pack.start,
            )
        if rules:
            for source in pack.sources:
                self.add_source(code, source)
            for section, name in pack.removed:
                self.remove(code, section, name)
            for table in pack.tables:
                self.add_table(code, table)
            for benefit in pack.benefits:
                self.add_benefit(code, benefit)
            for rule in pack.eligibility:
                self.add_eligibility(code, rule)
            for cap in pack.combined_caps:
                self.add_combined_cap(code, cap)
        return code

    def load_rule_pack(self, source: str | Path | Mapping[str, Any]) -> list[str]:
        """Register every jurisdiction and rule of a rule pack (a YAML file or a mapping).

        Returns the jurisdiction codes the pack declared. See :mod:`medinsure.rules.rulepack`.
        """
        return [self.add_rule_pack(read_rule_pack(source, plugin=self.plugin))]

    def load_rule_pack_rules(self, source: str | Path | Mapping[str, Any]) -> list[str]:
        """Register only the rules of a rule pack whose jurisdictions were already declared."""
        return [self.add_rule_pack(read_rule_pack(source, plugin=self.plugin), declare=False)]

    def declare_from_rule_pack(self, source: str | Path | Mapping[str, Any]) -> list[str]:
        """Declare only the jurisdictions of a rule pack (for ``medinsure_register_jurisdictions``)."""
        return [self.add_rule_pack(read_rule_pack(source, plugin=self.plugin, rules=False), rules=False)]
