"""The documentation's jurisdiction pages are generated from the registered tables."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from medinsure import Engine
from medinsure.rules.describe import rules_as_dict
from medinsure.rules.pages import index_page, jurisdiction_page, site_pages
from support import testland_engine

ROOT = Path(__file__).parent.parent.parent


def rows_of(data: dict) -> list[tuple[str, dict]]:
    tables = [*data["tables"], *(b["schedules"] for b in data["benefits"]), *(c["rate"] for c in data["combined_caps"])]
    return [(t["name"], row, v) for t in tables for row in t["rows"] for v in row["versions"]]


def cell(text) -> str:
    return " ".join(str(text).replace("|", "\\|").split())


@pytest.mark.parametrize("code", ["testland", "testcity"])
def test_every_value_of_the_tables_is_on_the_page(code):
    engine = testland_engine()
    page = jurisdiction_page(engine, code)
    data = rules_as_dict(engine.rules(code))
    for name, row, v in rows_of(data):
        assert f"### {name.split('.schedule')[0].split('.rate')[0]}" in page or f"### {name}" in page, name
        span = f"{v['from']} – {v['to'] or ''}".rstrip()
        line = (
            f"| {cell(row['row'])}<br><small>{cell(row['when'])}</small> | {span} | {cell(v['value'])} |"
            f" {'yes' if v['verified'] else '**no**'} | `{v['source_id']}` |"
        )
        assert line in page, f"{code}: {name}[{row['row']}]@{v['from']} missing:\n{line}"
        said = [f"«{cell(v['quote'])}»"] if v["quote"] else []
        said += [cell(v["note"])] if v["note"] else []
        if said:
            assert f"- *{cell(row['row'])}*, from {v['from']}: {' — '.join(said)}" in page
        assert f"`{v['source_id']}` | {cell(v['source'])} |" in page  # the sources section cites it in full
    for r in data["eligibility"]:
        assert f"| {r['id']}" in page
    assert page.count("| ") > len(rows_of(data))


def test_inherited_tables_say_where_they_come_from_and_the_index_lists_every_jurisdiction():
    engine = testland_engine()
    child = jurisdiction_page(engine, "testcity")
    assert "builds on [testland](testland.md)" in child
    assert "(inherited from [testland](testland.md))" in child
    index = index_page(engine)
    assert "| [testcity](testcity.md) | 测试市" in index
    assert "| [testland](testland.md) | 测试省" in index
    assert list(site_pages(engine)) == [
        "jurisdictions/index.md",
        "jurisdictions/testcity.md",
        "jurisdictions/testland.md",
    ]


def test_a_changed_table_changes_the_page():
    engine = testland_engine()
    before = jurisdiction_page(engine, "testland")
    table = engine.rules("testland").find_table("basic.pool_cap")
    row = table.rows[0]
    version = attrs.evolve(row.versions[0], value=Decimal("12345"))
    changed = attrs.evolve(table, rows=(attrs.evolve(row, versions=(version,)),))
    reformed = Engine(engine.registry, overrides={"testland": engine.rules("testland").with_table(changed)})
    after = jurisdiction_page(reformed, "testland")
    assert before != after
    assert "12,345.00" in after
    assert "12,345.00" not in before


def test_the_mkdocs_hook_lists_the_generated_pages_in_the_navigation(monkeypatch):
    pytest.importorskip("mkdocs")
    spec = importlib.util.spec_from_file_location(
        "jurisdiction_pages_hook", ROOT / "docs" / "_build" / "jurisdiction_pages.py"
    )
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    monkeypatch.setattr(hook, "site_pages", lambda: site_pages(testland_engine()))
    config = {"nav": [{"Concepts": "concepts.md"}, {"Jurisdictions": "jurisdictions/index.md"}]}
    hook.on_config(config)
    assert config["nav"][1] == {
        "Jurisdictions": [
            {"Overview": "jurisdictions/index.md"},
            {"Testcity 测试市": "jurisdictions/testcity.md"},
            {"Testland 测试省": "jurisdictions/testland.md"},
        ]
    }


def test_the_site_builds_strictly_with_a_page_per_installed_jurisdiction(tmp_path):
    pytest.importorskip("mkdocs")
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
    site = tmp_path / "site"
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for code in Engine.from_installed().jurisdictions:
        page = (site / "jurisdictions" / code / "index.html").read_text(encoding="utf-8")
        assert "basic.deductible" in page, code
    # both languages, with a switcher, the API reference and the screenshots of both copies
    for page in ("index.html", "guides/hospital/index.html", "guides/plugins/index.html", "sheets/index.html"):
        chinese = (site / "zh" / page).read_text(encoding="utf-8")
        assert 'hreflang="en"' in chinese, page  # the language switcher
        assert 'hreflang="zh"' in chinese, page
    assert "快速上手" in (site / "zh" / "index.html").read_text(encoding="utf-8")
    assert "在医院信息系统中嵌入 medinsure" in (site / "zh" / "guides" / "hospital" / "index.html").read_text(
        encoding="utf-8"
    )
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert 'id="medinsure.Engine"' in api
    assert 'id="medinsure.io.national.setlinfo"' in api
    sheets = (site / "sheets" / "index.html").read_text(encoding="utf-8")
    assert "sheet-patient.png" in sheets
    assert "sheet-audit.png" in sheets
    assert (site / "img" / "sheet-patient.png").is_file()
    assert (site / "img" / "sheet-audit.png").is_file()
