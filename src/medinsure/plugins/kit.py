"""The plugin kit: ``medinsure new-plugin`` makes a ready jurisdiction package.

:func:`new_plugin` writes, from the templates in ``kit_template`` beside this module:

- ``pyproject.toml`` with the entry point (group ``medinsure.rulepacks``, named by the code);
- ``src/medinsure_CODE/rules.yaml``, a rule pack of example tables, every value marked
  unverified with a note; the package holds no code, the entry point (group
  ``medinsure.rulepacks``) names the file;
- ``tests/test_CODE.py`` running the conformance suite (:mod:`medinsure.testing`) and
  ``tests/cases/examples.yaml``, scenario files that pass with the example values (and, for a
  jurisdiction of its own, ``tests/cases/basic.yaml``: claims with raw costs);
- ``README.md``.

A template named ``NAME.root.tmpl`` or ``NAME.child.tmpl`` is written (as ``NAME``) only for a
jurisdiction of its own or only for one with a parent.

With ``parent`` the package builds on that jurisdiction (its rules apply where the new pack
says nothing) and depends on ``medinsure-PARENT``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from importlib import resources
from pathlib import Path
from typing import Any

from medinsure.errors import KitError

__all__ = ["new_plugin"]

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_TEMPLATES = "kit_template"  # beside this module


def _files(root: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for item in sorted(root.iterdir(), key=lambda i: i.name):
        if item.is_dir():
            if item.name != "__pycache__":
                out.extend(_files(item, f"{prefix}{item.name}/"))
        elif item.name.endswith(".tmpl"):
            out.append((f"{prefix}{item.name[: -len('.tmpl')]}", item))
    return out


def new_plugin(
    code: str,
    name: str,
    *,
    parent: str | None = None,
    directory: str | Path | None = None,
    year: int | None = None,
) -> list[Path]:
    """Write a jurisdiction package for ``code`` into ``directory`` (default ``medinsure-CODE``).

    ``year`` is the year the example values take effect (default: the current year). Returns
    the files written. Raises :class:`KitError` when ``code`` is not lower-case snake_case,
    ``name`` is empty or the folder exists and is not empty.
    """
    if not isinstance(code, str) or not _CODE.match(code):
        raise KitError(f"code={code!r}: a jurisdiction code is lower-case snake_case (e.g. tieling)")
    if not name or not name.strip():
        raise KitError(f"--name={name!r}: the jurisdiction needs a name (e.g. 铁岭市)")
    if parent is not None and not _CODE.match(parent):
        raise KitError(f"--parent={parent!r}: a jurisdiction code is lower-case snake_case")
    dist = f"medinsure-{code.replace('_', '-')}"
    target = Path(directory) if directory is not None else Path(dist)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise KitError(f"--dir={str(target)!r}: exists and is not an empty folder")
    package = f"medinsure_{code}"
    name = name.strip()
    deps = ['"medinsure>=0.1"']
    if parent:
        deps.append(json.dumps(f"medinsure-{parent.replace('_', '-')}>=0.1"))
    values = {
        "code": code,
        "dist": dist,
        "package": package,
        "parent": parent or "",
        "name_plain": name,
        "name_yaml": json.dumps(name, ensure_ascii=False),
        "description": json.dumps(
            f"medinsure rules for {name} ({code}): every value with its dates, source and verified flag.",
            ensure_ascii=False,
        ),
        "dependencies": ", ".join(deps),
        "parent_sentence": f", built on `{parent}` (its rules apply where this package says nothing)" if parent else "",
        "year": str(year or dt.date.today().year),
    }
    variant, other = (".child", ".root") if parent else (".root", ".child")
    written = []
    for relative, item in _files(resources.files("medinsure.plugins").joinpath(_TEMPLATES)):
        if relative.endswith(other):
            continue
        relative = relative.removesuffix(variant)
        if relative == "rules.yaml":
            relative = f"src/{package}/rules.yaml"
        relative = relative.replace("__code__", code)
        text = string.Template(item.read_text(encoding="utf-8")).substitute(values)
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
