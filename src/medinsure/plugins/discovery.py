"""Finding the installed plugins: code plugins, and rule packs loaded without running any code.

A plugin is found through an entry point. A plugin made of rules only — every jurisdiction
package in this repository — ships a package that holds a rule pack (YAML or JSON) and
declares it under the entry-point group ``medinsure.rulepacks``::

    [project.entry-points."medinsure.rulepacks"]
    tieling = "medinsure_tieling:rules.yaml"

A plugin that needs code (a Python eligibility check, say) declares a module or object with
hook implementations under the group ``medinsure``::

    [project.entry-points.medinsure]
    mycity = "medinsure_mycity"

The part before the colon names the package the file is in, the part after it is the file's
path inside that package. The file is found through the distribution's record of its files
or, for an editable install, through the import system's search path *without importing the
package*: no code of the publisher runs, and the package needs no ``__init__.py``.

Rule packs can also be named in the environment variable ``MEDINSURE_RULE_PACKS`` (files or
folders of ``*.yaml``/``*.yml``/``*.json``, separated by ``os.pathsep``), or passed to
:meth:`medinsure.Engine.from_plugins` as ``RulePackPlugin(path)``.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import importlib.util
import os
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

import attrs

from medinsure.errors import MedinsureError, PluginError
from medinsure.plugins.hooks import hookimpl
from medinsure.rules.registry import RegistryScope

__all__ = [
    "ENTRY_POINT_GROUP",
    "RULE_PACK_ENV",
    "RULE_PACK_GROUP",
    "Found",
    "RulePackPlugin",
    "environment_rule_packs",
    "import_plugin_modules",
    "installed_entry_points",
    "installed_plugins",
    "locate_rule_pack",
]

#: Entry points of plugins with hook implementations in Python.
ENTRY_POINT_GROUP = "medinsure"
#: Entry points of rule packs: ``name = "package:path/inside/the/package.yaml"``.
RULE_PACK_GROUP = "medinsure.rulepacks"
RULE_PACK_ENV = "MEDINSURE_RULE_PACKS"
_SUFFIXES = (".yaml", ".yml", ".json")


class RulePackPlugin:
    """A plugin made of one rule pack file: its two hooks declare and load the pack."""

    def __init__(self, path: str | Path, name: str | None = None, version: str | None = None) -> None:
        self.path = Path(path)
        self.__name__ = name or self.path.stem
        self.__version__ = version

    def __repr__(self) -> str:
        return f"RulePackPlugin({str(self.path)!r}, name={self.__name__!r})"

    @hookimpl
    def medinsure_register_jurisdictions(self, registry: RegistryScope) -> None:
        registry.declare_from_rule_pack(self.path)

    @hookimpl
    def medinsure_register_rules(self, registry: RegistryScope) -> None:
        registry.load_rule_pack_rules(self.path)


def locate_rule_pack(ep: metadata.EntryPoint) -> Path:
    """The file an entry point of group ``medinsure.rulepacks`` names, found without importing."""

    def where() -> str:  # for an error only: naming the distribution reads its metadata
        return f"rule pack {ep.name!r} (distribution {_dist_name(ep)}, {ep.value!r})"

    module, _, attr = (part.strip() for part in ep.value.partition(":"))
    if not module or not attr:
        raise PluginError(f"{where()}: expected 'package:path/inside/the/package.yaml'")
    relative = PurePosixPath(attr)
    if relative.is_absolute() or ".." in relative.parts or relative.suffix.lower() not in _SUFFIXES:
        raise PluginError(f"{where()}: the file must be a .yaml, .yml or .json path inside the package")
    parts = module.split(".")
    # an installed wheel records its files
    if ep.dist is not None:
        wanted = PurePosixPath(*parts, *relative.parts)
        for recorded in ep.dist.files or ():
            if PurePosixPath(recorded.as_posix()) == wanted:
                found = Path(str(ep.dist.locate_file(recorded)))
                if found.is_file():
                    return found
    # an editable install: ask the finders where the top-level package is (this imports nothing)
    spec = importlib.util.find_spec(parts[0])
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    for folder in folders:
        candidate = Path(folder).joinpath(*parts[1:], *relative.parts)
        if candidate.is_file():
            return candidate
    raise PluginError(f"{where()}: file {relative} not found in package {module!r}")


def environment_rule_packs(value: str | None = None) -> list[Path]:
    """The rule pack files named by ``MEDINSURE_RULE_PACKS`` (or ``value``), in order."""
    value = os.environ.get(RULE_PACK_ENV, "") if value is None else value
    found: list[Path] = []
    for item in filter(None, (p.strip() for p in value.split(os.pathsep))):
        path = Path(item)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES))
        elif path.is_file():
            found.append(path)
        else:
            raise PluginError(f"{RULE_PACK_ENV}: {item!r} is neither a rule pack file nor a folder")
    return found


@attrs.frozen
class Found:
    """An installed plugin, found but not loaded: its name, where it comes from, its version."""

    name: str
    origin: str
    version: str | None
    _load: Any

    def load(self) -> object:
        """The plugin object (a module, or a :class:`RulePackPlugin`); a failure is a PluginError."""
        return self._load()


def import_plugin_modules(names: Iterable[str]) -> list[ModuleType]:
    """The plugin modules named on a command line (``-p MODULE``), imported."""
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError as exc:
            raise MedinsureError(f"--plugin {name!r}: cannot import: {exc}") from None
    return modules


def installed_plugins(allowed: Collection[str] | None = None, blocked: Collection[str] = ()) -> Iterator[Found]:
    """The installed plugins by name: code plugins, then rule packs (entry points, then
    ``MEDINSURE_RULE_PACKS``), leaving out the ``blocked`` and, when given, those not ``allowed``."""
    for found in _everything():
        if found.name not in blocked and (allowed is None or found.name in allowed):
            yield found


def installed_entry_points() -> dict[str, list[metadata.EntryPoint]]:
    """The installed entry points of the two groups, by group: what
    ``importlib.metadata.entry_points(group=...)`` gives, in one scan for both groups.

    That function parses the entry points of every installed distribution, which was most of the
    time building an engine took; here a distribution whose ``entry_points.txt`` does not contain
    the text ``medinsure`` is passed over unparsed. As there, a distribution shadowed by one of the
    same name earlier on the path is left out.
    """
    groups: dict[str, list[metadata.EntryPoint]] = {ENTRY_POINT_GROUP: [], RULE_PACK_GROUP: []}
    seen: set[object] = set()
    for dist in metadata.distributions():
        # what entry_points() tells distributions apart by (from the folder's name where it can)
        key = getattr(dist, "_normalized_name", None) or id(dist)
        if key in seen:
            continue
        seen.add(key)
        text = dist.read_text("entry_points.txt")
        if not text or ENTRY_POINT_GROUP not in text:  # both groups' names contain it
            continue
        for ep in dist.entry_points:
            if ep.group in groups:
                groups[ep.group].append(ep)
    return groups


def _everything() -> Iterator[Found]:
    everything = installed_entry_points()
    for ep in sorted(everything[ENTRY_POINT_GROUP], key=lambda e: e.name):
        dist = _dist_name(ep)
        yield Found(ep.name, f"distribution {dist}", _version(ep), _loader(ep, f"distribution {dist}"))
    for ep in sorted(everything[RULE_PACK_GROUP], key=lambda e: e.name):
        # an entry point may come from the importlib_metadata backport, not the standard library's
        # class, when another package installed its finder: tell them apart from paths instead
        yield Found(
            ep.name,
            f"rule pack {ep.value}",
            _version(ep),
            lambda ep=ep: RulePackPlugin(locate_rule_pack(ep), ep.name),
        )
    for path in environment_rule_packs():
        yield Found(path.stem, f"rule pack {path}", None, lambda path=path: RulePackPlugin(path, path.stem))


def _headers(ep: metadata.EntryPoint) -> dict[str, str]:
    """The ``Name`` and ``Version`` of an entry point's distribution, read from the header lines of
    its metadata (without parsing the whole file as e-mail headers, which is most of the time
    finding the plugins costs: the file holds the whole README)."""
    dist = ep.dist
    if dist is None:
        return {}
    found: dict[str, str] = {}
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    for line in text.splitlines():
        if not line.strip():  # the end of the headers
            break
        key, _, value = line.partition(":")
        if key in ("Name", "Version") and key not in found:
            found[key] = value.strip()
    return found


def _version(ep: metadata.EntryPoint) -> str | None:
    """The version of an entry point's distribution."""
    if ep.dist is None:
        return None
    return _headers(ep).get("Version") or ep.dist.version


def _dist_name(ep: metadata.EntryPoint) -> str:
    """The name of an entry point's distribution ("?" when unknown)."""
    if ep.dist is None:
        return "?"
    return _headers(ep).get("Name") or ep.dist.name


def _loader(ep: metadata.EntryPoint, dist: str) -> Any:
    def load() -> object:
        try:
            return ep.load()
        except Exception as exc:
            raise PluginError(f"plugin {ep.name!r} ({dist}) failed to load: {exc}") from None

    return load
