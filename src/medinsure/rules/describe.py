"""Render a jurisdiction's rules (every value, its dates, source, quote and verified flag) as data or text.

:func:`coverage` says, per jurisdiction, what a user can expect of it: the years in which a
claim with raw costs can be settled (every table a settlement reads has a version in force for
every row) and the years its verified values speak for. With ``year``, :func:`rules_as_dict`
keeps exactly what is in force at some time during that year, as the engine resolves it (a
value stays in force until a later one replaces it), and marks the versions used past the last
date their source speaks for as carried forward.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from medinsure.money import fmt, pct
from medinsure.rules.names import TABLE_KINDS
from medinsure.rules.registry import JurisdictionRules
from medinsure.rules.tables import EligibilityRule, ParameterTable, Schedule, Version

__all__ = ["Coverage", "coverage", "rules_as_dict", "rules_as_text", "year_ranges"]


@attrs.frozen
class Coverage:
    """What a jurisdiction's rules cover.

    ``settles_from`` is the first day on which a claim with raw costs can be settled (None:
    never, a table it needs has no version at all); ``raw_costs`` the first and last year
    shown for it: from that day's year to the last year any of those values' sources speaks for
    (later claims still settle, with the values carried forward). ``verified`` lists the years
    from ``settles_from`` on that the verified values among them speak for, as ranges
    ``(first, last)``.
    """

    settles_from: dt.date | None
    raw_costs: tuple[int, int] | None
    verified: tuple[tuple[int, int], ...]

    def describe(self) -> tuple[str, str]:
        """The two spans as text: ``("2021–2025", "2021–2022, 2025")`` (``–`` for none)."""
        return _span(self.raw_costs), ", ".join(_span(r) for r in self.verified) or "–"


def _span(years: tuple[int, int] | None) -> str:
    if years is None:
        return "–"
    first, last = years
    return str(first) if first == last else f"{first}–{last}"


def year_ranges(years: set[int]) -> tuple[tuple[int, int], ...]:
    """Consecutive years as ``(first, last)`` ranges, ascending."""
    out: list[tuple[int, int]] = []
    for year in sorted(years):
        if out and out[-1][1] == year - 1:
            out[-1] = (out[-1][0], year)
        else:
            out.append((year, year))
    return tuple(out)


def _settled_tables(rules: JurisdictionRules) -> list[ParameterTable[Any]]:
    """The tables a settlement reads: the ones the engine reads by name, schedules, cap rates."""
    tables = [rules.tables[name][1] for name in TABLE_KINDS if name in rules.tables]
    tables += [b.schedules for _, b in rules.benefits]
    tables += [c.rate for _, c in rules.combined_caps]
    return tables


def coverage(rules: JurisdictionRules) -> Coverage:
    """The years in which ``rules`` settle raw costs, and the years their verified values speak for."""
    tables = _settled_tables(rules)
    versions = [v for t in tables for row in t.rows for v in row.versions]
    firsts = [row.versions[0].start for t in tables for row in t.rows]
    if not firsts:
        return Coverage(None, None, ())
    start = max(firsts)
    if rules.start is not None:
        start = max(start, rules.start)
    last = max([start.year, *((v.end or v.start).year for v in versions)])
    verified: set[int] = set()
    for v in versions:
        if v.provenance.verified:
            verified.update(range(max(v.start, start).year, (v.end or v.start).year + 1))
    return Coverage(start, (start.year, last), year_ranges(verified))


def _value(kind: str, value: Any) -> str:
    if kind == "rate":
        return pct(value)
    if isinstance(value, Schedule):
        return value.describe()
    if kind == "amount":
        return fmt(value)
    return str(value)


def _version(kind: str, v: Version[Any], carried: bool | None) -> dict[str, Any]:
    src = v.provenance.source
    return {
        "value": _value(kind, v.value),
        "from": v.start.isoformat(),
        "to": v.end.isoformat() if v.end else None,
        "source": src.cite(),
        "source_id": src.id,
        "verified": v.provenance.verified,
        "note": v.provenance.note,
        "quote": v.provenance.quote,
        "carried_forward": carried,
    }


def _bounds(rules: JurisdictionRules, year: int) -> tuple[dt.date, dt.date]:
    """The days of ``year`` on which the jurisdiction's rules speak (the year itself, from its start)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if rules.start is not None:
        first = max(first, rules.start)
    return first, last


def _in_year(
    versions: tuple[Version[Any], ...], index: int, days: tuple[dt.date, dt.date] | None
) -> tuple[bool, bool | None]:
    """Whether version ``index`` is in force at some time in ``days``, and whether it is then carried forward."""
    if days is None:
        return True, None
    first, last = days
    version = versions[index]
    following = versions[index + 1] if index + 1 < len(versions) else None
    until = last if following is None else min(last, following.start - dt.timedelta(days=1))
    since = max(first, version.start)
    if since > until:
        return False, None
    return True, version.end is not None and version.end < until


def _table(owner: str, table: ParameterTable[Any], days: tuple[dt.date, dt.date] | None = None) -> dict[str, Any]:
    rows = []
    for row in table.rows:
        versions = []
        for i, v in enumerate(row.versions):
            shown, carried = _in_year(row.versions, i, days)
            if shown:
                versions.append(_version(table.kind, v, carried))
        if versions or days is None:
            rows.append({"row": row.name, "when": row.when.describe(), "versions": versions})
    return {
        "name": table.name,
        "kind": table.kind,
        "defined_by": owner,
        "description": table.description,
        "description_zh": table.description_zh,
        "rows": rows,
    }


def _rule_in(rule: EligibilityRule, days: tuple[dt.date, dt.date] | None) -> bool:
    if days is None:
        return True
    first, last = days
    return first <= last and (rule.start is None or rule.start <= last) and (rule.end is None or rule.end >= first)


def rules_as_dict(rules: JurisdictionRules, *, year: int | None = None) -> dict[str, Any]:
    """Every table, benefit, eligibility rule and combined cap of a jurisdiction.

    With ``year``, exactly what is in force at some time during that year (nothing before the
    jurisdiction's start), each version marked ``carried_forward`` when it is used that year
    past the last date its source speaks for.
    """
    j = rules.jurisdiction
    days = None if year is None else _bounds(rules, year)  # empty when the rules start after the year
    covered = coverage(rules)
    raw_costs, verified = covered.describe()
    return {
        "jurisdiction": j.code,
        "name": j.name,
        "name_en": j.name_en,
        "parent": j.parent,
        "plugin": rules.plugin,
        "plugin_version": rules.plugin_version,
        "year": year,
        "starts": rules.start.isoformat() if rules.start else None,
        "coverage": {
            "settles_from": covered.settles_from.isoformat() if covered.settles_from else None,
            "raw_costs": raw_costs,
            "verified": verified,
        },
        "overrides": list(rules.overrides),
        "tables": [_table(owner, t, days) for name, (owner, t) in sorted(rules.tables.items())],
        "benefits": [
            {
                "key": b.key,
                "component": b.component,
                "base": b.base,
                "schemes": list(b.schemes),
                "counts": list(b.counts),
                "defined_by": owner,
                "description": b.description,
                "description_zh": b.description_zh,
                "schedules": _table(owner, b.schedules, days),
            }
            for owner, b in rules.benefits
        ],
        "eligibility": [
            {
                "id": r.id,
                "check": r.check if isinstance(r.check, str) else getattr(r.check, "__name__", "custom"),
                "applies_to": r.applies_to if isinstance(r.applies_to, str) else list(r.applies_to),
                "when": r.when.describe(),
                "reason": r.reason,
                "defined_by": owner,
                "from": r.start.isoformat() if r.start else None,
                "to": r.end.isoformat() if r.end else None,
                "source": r.provenance.source.cite(),
                "verified": r.provenance.verified,
                "note": r.provenance.note,
                "quote": r.provenance.quote,
            }
            for owner, r in rules.eligibility
            if _rule_in(r, days)
        ],
        "combined_caps": [
            {
                "id": c.id,
                "components": list(c.components),
                "reduce": list(c.reduce),
                "defined_by": owner,
                "description": c.description,
                "description_zh": c.description_zh,
                "rate": _table(owner, c.rate, days),
            }
            for owner, c in rules.combined_caps
        ],
    }


def rules_as_text(rules: JurisdictionRules, *, year: int | None = None) -> str:
    """The same as :func:`rules_as_dict`, as a readable table."""
    data = rules_as_dict(rules, year=year)
    covered = data["coverage"]
    out = [
        f"{data['jurisdiction']} — {data['name']} {data['name_en']}".rstrip(),
        f"plugin {data['plugin']} {data['plugin_version']}"
        + (f", builds on {data['parent']}" if data["parent"] else ""),
        f"settles claims with raw costs {covered['raw_costs']} (from {covered['settles_from'] or '–'});"
        f" verified values for {covered['verified']}",
    ]
    if year is not None:
        out.append(f"in force during {year}" + (f" (the rules start {data['starts']})" if data["starts"] else ""))

    def table(t: dict[str, Any], indent: str = "") -> None:
        out.append(f"{indent}{t['name']} ({t['kind']}, defined by {t['defined_by']})")
        for text in (t["description"], t["description_zh"]):
            if text:
                out.append(f"{indent}  {' '.join(text.split())}")
        for row in t["rows"]:
            out.append(f"{indent}  [{row['row']}]")
            for v in row["versions"]:
                flag = "verified" if v["verified"] else "UNVERIFIED"
                if v["carried_forward"]:
                    flag += f"; CARRIED FORWARD past {v['to']}"
                span = f"{v['from']} – {v['to'] or ''}"
                out.append(f"{indent}    {span:<25} {v['value']}  [{flag}] {v['source']}")
                if v["quote"]:
                    out.append(f"{indent}      quote: {v['quote']}")
                if v["note"]:
                    out.append(f"{indent}      note: {v['note']}")
        if not t["rows"]:
            out.append(f"{indent}  (nothing in force)")

    out.append("\nTables")
    for t in data["tables"]:
        table(t, "  ")
    out.append("\nBenefits")
    for b in data["benefits"]:
        out.append(
            f"  {b['key']} → {b['component']} (base {b['base']}; schemes {', '.join(b['schemes'])};"
            f" counts {', '.join(b['counts'])})"
        )
        table(b["schedules"], "    ")
    out.append("\nEligibility")
    for r in data["eligibility"]:
        applies = r["applies_to"] if isinstance(r["applies_to"], str) else ", ".join(r["applies_to"])
        out.append(f"  {r['id']}: {r['check']} (applies to {applies}; when {r['when']}) — refuses with: {r['reason']}")
        out.append(
            f"    [{'verified' if r['verified'] else 'UNVERIFIED'}] {r['source']}"
            + (f" — {r['note']}" if r["note"] else "")
        )
        if r["quote"]:
            out.append(f"    quote: {r['quote']}")
    if data["combined_caps"]:
        out.append("\nCombined caps")
        for c in data["combined_caps"]:
            out.append(f"  {c['id']}: {' + '.join(c['components'])}, reducing {', '.join(c['reduce'])}")
            table(c["rate"], "    ")
    return "\n".join(out)
