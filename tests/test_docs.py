"""The hook reference is complete: every hook has a docstring, a heading and a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from medinsure import HOOK_API
from medinsure.plugins import hooks

ROOT = Path(__file__).parent.parent
HOOKS = [name for name, _ in inspect.getmembers(hooks.Hooks, inspect.isfunction) if name.startswith("medinsure_")]


def test_there_are_hooks():
    assert HOOKS == ["medinsure_register_jurisdictions", "medinsure_register_rules"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_and_tested(hook):
    assert inspect.getdoc(getattr(hooks.Hooks, hook)), f"{hook} has no docstring"
    headings = re.findall(r"^## (\S+)$", (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8"), flags=re.M)
    assert hook in headings, f"docs/hooks.md has no heading for {hook}"
    tests = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py") if p.name != "test_docs.py"
    )
    assert f"def {hook}(" in tests, f"no test implements {hook}"


def test_every_documented_hook_exists_and_the_hook_api_is_documented():
    text = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    documented = [h for h in re.findall(r"^## (\S+)$", text, flags=re.M) if h.startswith("medinsure_")]
    assert documented == HOOKS, "docs/hooks.md documents a hook that does not exist (or misses one)"
    major, minor = HOOK_API
    assert f"currently `({major}, {minor})`" in text, "docs/hooks.md does not state the current hook API"
    assert "## Hook API version" in text


def test_the_kit_template_is_a_rule_pack_and_no_code():
    template = ROOT / "src" / "medinsure" / "plugins" / "kit_template"
    assert [p.name for p in template.rglob("*.py.tmpl")] == ["test___code__.py.tmpl"]
    assert '"medinsure.rulepacks"' in (template / "pyproject.toml.tmpl").read_text(encoding="utf-8")


def test_readme_quick_start_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- quickstart:begin -->")[1].split("<!-- quickstart:end -->")[0]
    commands = [line for line in block.strip().splitlines() if not line.startswith("```")]
    assert len(commands) == 2
    assert commands[1] == ".venv/bin/python -m pytest"
    assert "medinsure settle examples/" in commands[0]
    example = commands[0].rsplit(" ", 1)[1]
    assert (ROOT / example).is_file()
    assert "quickstart:begin" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


# -- code shown in the documentation runs ---------------------------------------------------------

#: A ```python block preceded by this comment is not run; the comment must say why.
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*(?:—|-|:)\s*(?P<reason>.*?)\s*-->\s*$")
FENCE = re.compile(r"^```python\n(.*?)^```", flags=re.M | re.S)
DOC_FILES = sorted(
    [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md", *(ROOT / "plugins").glob("*/README.md")],
    key=lambda p: p.relative_to(ROOT).as_posix(),
)


def python_blocks(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, code, skip reason or None) of every ```python block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for m in FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        blocks.append((text.count("\n", 0, m.start()) + 1, m.group(1), skip.group("reason") if skip else None))
    return blocks


def test_the_documentation_has_python_blocks_to_run():
    runnable = [b for p in DOC_FILES for b in python_blocks(p) if b[2] is None]
    assert len(runnable) >= 15


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_python_blocks_run_with_the_installed_plugins(path, capsys):
    """Each file's blocks run in order in one namespace, as a reader would type them."""
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    for line, code, skip in python_blocks(path):
        if skip is not None:
            assert skip, f"{path.name}:{line}: a skipped block must say why"
            continue
        exec(compile(code, f"{path.relative_to(ROOT)}:{line}", "exec"), namespace)
    capsys.readouterr()


def test_a_skip_marker_is_found_and_needs_a_reason(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("<!-- docs-test: skip — needs a database -->\n```python\nraise SystemExit\n```\n")
    assert python_blocks(page) == [(2, "raise SystemExit\n", "needs a database")]
    page.write_text("text\n```python\nx = 1\n```\n")
    assert python_blocks(page) == [(2, "x = 1\n", None)]


def test_the_docs_install_what_the_readme_installs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = readme.split("<!-- quickstart:begin -->")[1].split("\n")[2]
    assert install.startswith("python3 -m venv .venv")
    assert install in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for plugin in sorted((ROOT / "plugins").iterdir()):
        assert f"-e plugins/{plugin.name}" in install, f"the quick start does not install {plugin.name}"


@pytest.mark.parametrize("notebook", sorted((ROOT / "docs").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_run_and_draw(notebook):
    """Each notebook of the docs runs top to bottom in a fresh kernel and draws its pictures
    (the docs build runs it again to render the page with its outputs)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(notebook, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "commit it without outputs"
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": ROOT}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # the summary's bar chart and the comparison's panels
    html = "".join(o["data"].get("text/html", "") for o in outputs if "data" in o)
    assert "Engine</b> over" in html
    assert "Comparison of 3 scenarios" in html
