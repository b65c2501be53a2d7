"""The hook reference is complete: every hook has a docstring, a heading and a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from medinsure import hookspecs

ROOT = Path(__file__).parent.parent
HOOKS = [name for name, obj in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("medinsure_")]


def test_there_are_hooks():
    assert HOOKS == ["medinsure_register_jurisdictions", "medinsure_register_rules"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_and_tested(hook):
    assert inspect.getdoc(getattr(hookspecs, hook)), f"{hook} has no docstring"
    headings = re.findall(r"^## (\S+)$", (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8"), flags=re.M)
    assert hook in headings, f"docs/hooks.md has no heading for {hook}"
    tests = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_docs.py"
    )
    assert f"def {hook}(" in tests, f"no test implements {hook}"


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
