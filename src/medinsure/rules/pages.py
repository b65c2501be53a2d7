"""A jurisdiction's rules as a Markdown page: the documentation site's jurisdiction pages.

The pages are generated from the registered tables when the site is built (the mkdocs hook
``docs/_build/jurisdiction_pages.py`` calls :func:`site_pages`), never written by hand: every
table, benefit schedule, eligibility rule and combined cap, each version with its dates,
value, source, verified flag and note, as :func:`medinsure.rules.describe.rules_as_dict` gives them.
"""

from __future__ import annotations

from typing import Any

from medinsure.rules.describe import rule_years, rules_as_dict
from medinsure.settlement.engine import Engine

__all__ = ["index_page", "jurisdiction_page", "site_pages"]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.replace("|", "\\|").split()) or "–"


def _table(t: dict[str, Any], own: str) -> list[str]:
    defined = "" if t["defined_by"] == own else f" (inherited from [{t['defined_by']}]({t['defined_by']}.md))"
    out = [
        f"Kind `{t['kind']}`{defined}.",
        "",
        "| row (applies to) | in force | value | verified | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    notes = []
    for row in t["rows"]:
        for v in row["versions"]:
            cells = (
                f"{_cell(row['row'])}<br><small>{_cell(row['when'])}</small>",
                f"{v['from']} – {v['to'] or ''}".rstrip(),
                _cell(v["value"]),
                "yes" if v["verified"] else "**no**",
                f"`{v['source_id']}`",
            )
            out.append("| " + " | ".join(cells) + " |")
            if v["note"]:
                notes.append(f"- *{_cell(row['row'])}*, from {v['from']}: {_cell(v['note'])}")
    out.append("")
    if notes:
        out += ["Notes:", "", *notes, ""]
    return out


def jurisdiction_page(engine: Engine, code: str) -> str:
    """The Markdown page of jurisdiction ``code``: every value in force, parents' included."""
    rules = engine.rules(code)
    data = rules_as_dict(rules)
    first, last = rule_years(rules)
    title = f"{data['name']} {data['name_en']}".strip()
    out = [
        f"# {title}",
        "",
        "<!-- generated from the registered rule tables when the site is built; do not edit -->",
        "",
        f"Code `{code}`, plugin `{data['plugin']}` {data['plugin_version']}"
        + (f", builds on [{data['parent']}]({data['parent']}.md)" if data["parent"] else "")
        + f". Values from {first} to {last}.",
        "",
    ]
    if rules.jurisdiction.description:
        out += [_cell(rules.jurisdiction.description), ""]
    out += [
        "Every value below is in force for this jurisdiction, inherited ones included. A value",
        "that is not verified against its source is a choice of the plugin, explained in its note;",
        "override it with `Engine.with_overrides` (see the researchers' guide).",
        "",
        f"Print the same tables with `medinsure rules {code}`.",
        "",
        "## Tables",
        "",
    ]
    for t in data["tables"]:
        out += [f"### {t['name']}", "", *_table(t, code)]
    out += ["## Benefits", ""]
    for b in data["benefits"]:
        out += [
            f"### {b['key']}",
            "",
            f"Component `{b['component']}`, base `{b['base']}`, schemes {', '.join(b['schemes'])},"
            f" counts {', '.join(b['counts'])}.",
            "",
        ]
        if b["description"]:
            out += [_cell(b["description"]), ""]
        out += _table(b["schedules"], code)
    out += ["## Eligibility", ""]
    if data["eligibility"]:
        out += [
            "| rule | check | applies to | when | refuses with | verified | source | note |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in data["eligibility"]:
            applies = r["applies_to"] if isinstance(r["applies_to"], str) else ", ".join(r["applies_to"])
            rule = r["id"] if r["defined_by"] == code else f"{r['id']} ({r['defined_by']})"
            verified = "yes" if r["verified"] else "**no**"
            cells = (rule, r["check"], applies, r["when"], r["reason"], verified, r["source"], r["note"])
            out.append("| " + " | ".join(_cell(x) for x in cells) + " |")
        out.append("")
    else:
        out += ["None.", ""]
    if data["combined_caps"]:
        out += ["## Combined caps", ""]
        for c in data["combined_caps"]:
            out += [
                f"### {c['id']}",
                "",
                f"{' + '.join(c['components'])}, reducing {', '.join(c['reduce'])} in that order.",
                "",
                *_table(c["rate"], code),
            ]
    out += ["## Sources", "", "| jurisdiction | key | publication |", "| --- | --- | --- |"]
    for j in rules.chain:
        for key, source in sorted(engine.registry.sources(j.code).items()):
            out.append(f"| {j.code} | `{key}` | {_cell(source.cite())} |")
    return "\n".join(out) + "\n"


def index_page(engine: Engine) -> str:
    """The list of the jurisdictions installed where the site is built."""
    out = [
        "# Jurisdictions",
        "",
        "<!-- generated from the installed plugins when the site is built; do not edit -->",
        "",
        "One page per jurisdiction installed where this site was built, generated from the tables",
        "its plugin registered: every parameter, its dates, source and verified flag.",
        "",
        "| code | name | builds on | plugin | version | rule years |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for code in engine.jurisdictions:
        rules = engine.rules(code)
        j = rules.jurisdiction
        first, last = rule_years(rules)
        parent = f"[{j.parent}]({j.parent}.md)" if j.parent else "–"
        out.append(
            f"| [{code}]({code}.md) | {_cell(f'{j.name} {j.name_en}')} | {parent} | {rules.plugin}"
            f" | {rules.plugin_version} | {first}–{last} |"
        )
    return "\n".join(out) + "\n"


def site_pages(engine: Engine | None = None) -> dict[str, tuple[str, str]]:
    """``{path: (navigation title, Markdown)}`` of the jurisdiction pages, index first."""
    engine = engine or Engine.from_installed()
    pages = {"jurisdictions/index.md": ("Overview", index_page(engine))}
    for code in engine.jurisdictions:
        j = engine.rules(code).jurisdiction
        pages[f"jurisdictions/{code}.md"] = (f"{j.name_en or code} {j.name}".strip(), jurisdiction_page(engine, code))
    return pages
