"""Render a jurisdiction's rules (every value, its dates, source and verified flag) as data or text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from medinsure.money import fmt, pct
from medinsure.rules.registry import JurisdictionRules
from medinsure.rules.tables import ParameterTable, Schedule, Version

__all__ = ["rule_years", "rules_as_dict", "rules_as_text"]


def _value(kind: str, value: Any) -> str:
    if kind == "rate":
        return pct(value)
    if isinstance(value, Schedule):
        return value.describe()
    if kind == "amount":
        return fmt(value)
    return str(value)


def _version(kind: str, v: Version[Any]) -> dict[str, Any]:
    src = v.provenance.source
    return {
        "value": _value(kind, v.value),
        "from": v.start.isoformat(),
        "to": v.end.isoformat() if v.end else None,
        "source": src.cite(),
        "source_id": src.id,
        "verified": v.provenance.verified,
        "note": v.provenance.note,
    }


def _in_year(row_versions: tuple[Version[Any], ...], index: int, year: int | None) -> bool:
    """Whether version ``index`` of a row is in force at some time during ``year``."""
    if year is None:
        return True
    version = row_versions[index]
    if version.start.year > year:
        return False
    following = row_versions[index + 1] if index + 1 < len(row_versions) else None
    return following is None or following.start > dt.date(year, 1, 1)


def _table(owner: str, table: ParameterTable[Any], year: int | None = None) -> dict[str, Any]:
    return {
        "name": table.name,
        "kind": table.kind,
        "defined_by": owner,
        "rows": [
            {
                "row": row.name,
                "when": row.when.describe(),
                "versions": [
                    _version(table.kind, v) for i, v in enumerate(row.versions) if _in_year(row.versions, i, year)
                ],
            }
            for row in table.rows
        ],
    }


def _all_tables(rules: JurisdictionRules) -> list[ParameterTable[Any]]:
    return [rules.find_table(name) for name in rules.table_names()]


def rule_years(rules: JurisdictionRules) -> tuple[int, int]:
    """The first year any value takes effect, and the last year any value is stated for."""
    starts = [v.start.year for t in _all_tables(rules) for row in t.rows for v in row.versions]
    ends = [(v.end or v.start).year for t in _all_tables(rules) for row in t.rows for v in row.versions]
    return min(starts), max(ends + starts)


def rules_as_dict(rules: JurisdictionRules, *, year: int | None = None) -> dict[str, Any]:
    """Every table, benefit, eligibility rule and combined cap of a jurisdiction.

    With ``year``, only the versions in force at some time during that year.
    """
    j = rules.jurisdiction
    return {
        "jurisdiction": j.code,
        "name": j.name,
        "name_en": j.name_en,
        "parent": j.parent,
        "plugin": rules.plugin,
        "plugin_version": rules.plugin_version,
        "year": year,
        "overrides": list(rules.overrides),
        "tables": [_table(owner, t, year) for name, (owner, t) in sorted(rules.tables.items())],
        "benefits": [
            {
                "key": b.key,
                "component": b.component,
                "base": b.base,
                "schemes": list(b.schemes),
                "counts": list(b.counts),
                "defined_by": owner,
                "description": b.description,
                "schedules": _table(owner, b.schedules, year),
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
                "source": r.provenance.source.cite(),
                "verified": r.provenance.verified,
                "note": r.provenance.note,
            }
            for owner, r in rules.eligibility
        ],
        "combined_caps": [
            {
                "id": c.id,
                "components": list(c.components),
                "reduce": list(c.reduce),
                "defined_by": owner,
                "rate": _table(owner, c.rate, year),
            }
            for owner, c in rules.combined_caps
        ],
    }


def rules_as_text(rules: JurisdictionRules, *, year: int | None = None) -> str:
    """The same as :func:`rules_as_dict`, as a readable table."""
    data = rules_as_dict(rules, year=year)
    out = [
        f"{data['jurisdiction']} — {data['name']} {data['name_en']}".rstrip(),
        f"plugin {data['plugin']} {data['plugin_version']}"
        + (f", builds on {data['parent']}" if data["parent"] else ""),
    ]

    def table(t: dict[str, Any], indent: str = "") -> None:
        out.append(f"{indent}{t['name']} ({t['kind']}, defined by {t['defined_by']})")
        for row in t["rows"]:
            out.append(f"{indent}  [{row['row']}]")
            for v in row["versions"]:
                flag = "verified" if v["verified"] else "UNVERIFIED"
                span = f"{v['from']} – {v['to'] or ''}"
                out.append(f"{indent}    {span:<25} {v['value']}  [{flag}] {v['source']}")
                if v["note"]:
                    out.append(f"{indent}      note: {v['note']}")

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
    if data["combined_caps"]:
        out.append("\nCombined caps")
        for c in data["combined_caps"]:
            out.append(f"  {c['id']}: {' + '.join(c['components'])}, reducing {', '.join(c['reduce'])}")
            table(c["rate"], "    ")
    return "\n".join(out)
