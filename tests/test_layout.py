"""The package's shape: no import cycles, no private names across modules, a small top level."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import medinsure
from medinsure import errors

SRC = Path(medinsure.__file__).parent


def module_name(path: Path, root: Path = SRC) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(name: str, modules: dict[str, Path] = MODULES) -> set[str]:
    """The medinsure modules ``name`` imports anywhere (function bodies too), not for typing only."""
    path = modules[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "medinsure")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base.split(".")[0] == "medinsure":
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    found.add(sub if sub in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(name)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_no_module_of_medinsure_imports_itself_back():
    graph = {name: imports(name) for name in MODULES}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_an_import_inside_a_function_counts_and_one_for_typing_does_not(tmp_path):
    fake = tmp_path / "medinsure"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from medinsure.b import B\n"
        "def f():\n    from medinsure import c\n"
    )
    (fake / "b.py").write_text("")
    (fake / "c.py").write_text("")
    modules = {module_name(p, fake): p for p in fake.rglob("*.py")}
    assert imports("medinsure.a", modules) == {"medinsure.c"}


def test_no_module_imports_a_private_name_of_another():
    offenders = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("medinsure"):
                offenders += [
                    f"{name}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.endswith("__")
                ]
    assert offenders == []


def test_the_top_level_is_small_and_the_rest_are_subpackages_by_role():
    modules = sorted(p.name for p in SRC.glob("*.py"))
    assert modules == ["__init__.py", "errors.py", "model.py", "money.py"]
    packages = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())
    assert packages == ["cli", "io", "ledger", "plugins", "research", "rules", "service", "settlement", "testing"]


def test_every_error_class_is_in_the_errors_module_under_medinsure_error():
    outside = []
    for name, path in MODULES.items():
        if name == "medinsure.errors":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and (b.id.endswith("Error") or b.id == "Exception") for b in node.bases
            ):
                outside.append(f"{name}.{node.name}")
    assert outside == []
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, Exception)]
    assert {c.__name__ for c in classes} == set(errors.__all__) | {"MedinsureError"}
    assert all(issubclass(c, errors.MedinsureError) for c in classes)


def test_the_public_face_exports_what_a_plugin_or_a_user_needs():
    needed = {"Engine", "Patient", "Claim", "Settlement", "RegistryScope", "RulePackPlugin", "Reform", "hookimpl"}
    assert needed <= set(medinsure.__all__)
    assert all(hasattr(medinsure, name) for name in medinsure.__all__ if name != "compare")
