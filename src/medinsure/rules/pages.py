"""A jurisdiction's rules as a Markdown page: the documentation site's jurisdiction pages.

The pages are generated from the registered tables when the site is built (the mkdocs hook
``docs/_build/jurisdiction_pages.py`` calls :func:`site_pages`), never written by hand: every
table, benefit schedule, eligibility rule and combined cap with its English and Chinese
descriptions, each version with its dates, value, source, verified flag, note and the sentence
of the source it comes from, as :func:`medinsure.rules.describe.rules_as_dict` gives them; and
the years the jurisdiction settles claims with raw costs and the years its verified values
speak for (:func:`medinsure.rules.describe.coverage`).
"""

from __future__ import annotations

from typing import Any

from medinsure.rules.describe import coverage, rules_as_dict
from medinsure.settlement.engine import Engine

__all__ = ["index_page", "jurisdiction_page", "site_pages"]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.replace("|", "\\|").split()) or "–"


def _table(t: dict[str, Any], own: str) -> list[str]:
    defined = "" if t["defined_by"] == own else f" (inherited from [{t['defined_by']}]({t['defined_by']}.md))"
    out = [f"Kind `{t['kind']}`{defined}.", ""]
    descriptions = [_cell(text) for text in (t["description"], t["description_zh"]) if text]
    if descriptions:
        out += [" / ".join(descriptions), ""]
    out += [
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
            said = []
            if v["quote"]:
                said.append(f"«{_cell(v['quote'])}»")
            if v["note"]:
                said.append(_cell(v["note"]))
            if said:
                notes.append(f"- *{_cell(row['row'])}*, from {v['from']}: {' — '.join(said)}")
    out.append("")
    if notes:
        out += ["Quotes and notes:", "", *notes, ""]
    return out


def jurisdiction_page(engine: Engine, code: str) -> str:
    """The Markdown page of jurisdiction ``code``: every value in force, parents' included."""
    rules = engine.rules(code)
    data = rules_as_dict(rules)
    raw_costs, verified = coverage(rules).describe()
    title = f"{data['name']} {data['name_en']}".strip()
    out = [
        f"# {title}",
        "",
        "<!-- generated from the registered rule tables when the site is built; do not edit -->",
        "",
        f"Code `{code}`, plugin `{data['plugin']}` {data['plugin_version']}"
        + (f", builds on [{data['parent']}]({data['parent']}.md)" if data["parent"] else "")
        + ".",
        "",
        f"Settles claims with raw costs (every table it needs in force): **{raw_costs}**; later claims use"
        " the last values, marked carried forward. Years its verified values speak for: "
        f"**{verified}**.",
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
        out += _table(b["schedules"], code)
    out += ["## Eligibility", ""]
    if data["eligibility"]:
        out += [
            "| rule | check | applies to | when | refuses with | verified | source | quote | note |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in data["eligibility"]:
            applies = r["applies_to"] if isinstance(r["applies_to"], str) else ", ".join(r["applies_to"])
            rule = r["id"] if r["defined_by"] == code else f"{r['id']} ({r['defined_by']})"
            verified = "yes" if r["verified"] else "**no**"
            cells = (rule, r["check"], applies, r["when"], r["reason"], verified, r["source"], r["quote"], r["note"])
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
        "its plugin registered: every parameter, its dates, source, quote and verified flag. *Settles",
        "raw costs*: the years in which a claim with raw costs can be settled, every table it needs in",
        "force; *verified values*: the years the verified values speak for.",
        "",
        "| code | name | builds on | plugin | version | settles raw costs | verified values |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for code in engine.jurisdictions:
        rules = engine.rules(code)
        j = rules.jurisdiction
        raw_costs, verified = coverage(rules).describe()
        parent = f"[{j.parent}]({j.parent}.md)" if j.parent else "–"
        out.append(
            f"| [{code}]({code}.md) | {_cell(f'{j.name} {j.name_en}')} | {parent} | {rules.plugin}"
            f" | {rules.plugin_version} | {raw_costs} | {verified} |"
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
