"""Plugin host: a plugin-manager factory, registry collection and the installed-plugin list.

There is no global state: every call of :func:`make_plugin_manager` builds a fresh
``pluggy.PluginManager``. Installed plugins are found through entry points of group
``medinsure``; the entry-point name is the plugin's name, by convention its jurisdiction code.
"""

from __future__ import annotations

import difflib
import importlib.metadata as metadata
import inspect
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import pluggy

from medinsure import hookspecs
from medinsure.errors import MedinsureError, PluginError
from medinsure.hookapi import check_plugin_api
from medinsure.registry import Registry

__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginInfo",
    "PluginManager",
    "collect_registry",
    "list_plugins",
    "make_plugin_manager",
]

ENTRY_POINT_GROUP = "medinsure"
_HOOKS = tuple(name for name in dir(hookspecs) if name.startswith("medinsure_"))


def _check_hook_names(plugin: object, name: str) -> None:
    for attr in dir(plugin):
        if attr.startswith("medinsure_") and attr not in _HOOKS:
            close = difflib.get_close_matches(attr, _HOOKS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (hooks: {', '.join(_HOOKS)})"
            raise PluginError(f"plugin {name!r}: {attr!r} is not a medinsure hook{hint}")


class PluginManager(pluggy.PluginManager):
    """A pluggy plugin manager that also remembers the distribution version of each plugin."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.versions: dict[str, str] = {}


def _register(pm: PluginManager, plugin: object, name: str | None = None) -> str | None:
    name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    if pm.is_blocked(name):
        return None
    _check_hook_names(plugin, name)
    check_plugin_api(plugin, name)
    try:
        registered = pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {name!r}: {exc}") from None
    except ValueError as exc:
        raise PluginError(f"plugin {name!r}: {exc}") from None
    return registered


def make_plugin_manager(
    *,
    plugins: Iterable[object] = (),
    entry_points: bool = True,
    allow: Iterable[str] | None = None,
    block: Iterable[str] = (),
) -> PluginManager:
    """A fresh plugin manager with the medinsure hookspecs.

    ``plugins`` are registered directly (module or object, named by ``__name__``).
    With ``entry_points`` the installed plugins of group ``medinsure`` are loaded, then the
    data-only rule packs (group ``medinsure.rulepacks`` and ``MEDINSURE_RULE_PACKS``, see
    :mod:`medinsure.datapacks`); ``allow`` (if given) names the only ones to load, ``block``
    those never to load. A plugin whose ``MEDINSURE_HOOK_API`` this core does not satisfy is
    refused (:mod:`medinsure.hookapi`). Hooks are
    checked (``check_pending``) after loading, so an unknown ``medinsure_`` hook is an error.
    """
    pm = PluginManager()
    allowed = None if allow is None else set(allow)
    blocked = set(block)
    for name in blocked:
        pm.set_blocked(name)
    for plugin in plugins:
        _register(pm, plugin)
    if entry_points:
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in blocked or (allowed is not None and ep.name not in allowed):
                continue
            if pm.get_plugin(ep.name) is not None:
                raise PluginError(f"two installed plugins use the entry-point name {ep.name!r}")
            try:
                plugin = ep.load()
            except Exception as exc:
                dist = ep.dist.name if ep.dist else "?"
                raise PluginError(f"plugin {ep.name!r} (distribution {dist}) failed to load: {exc}") from None
            _register(pm, plugin, ep.name)
            if ep.dist is not None:
                pm.versions[ep.name] = ep.dist.version
        _load_rule_packs(pm, allowed, blocked)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc)) from None
    return pm


def _load_rule_packs(pm: PluginManager, allowed: set[str] | None, blocked: set[str]) -> None:
    """Data-only plugins: entry points of group ``medinsure.rulepacks`` and ``MEDINSURE_RULE_PACKS``."""
    from medinsure.datapacks import RULE_PACK_GROUP, RulePackPlugin, environment_rule_packs, locate_rule_pack

    packs: list[tuple[str, metadata.EntryPoint | Path, str | None]] = []
    for ep in sorted(metadata.entry_points(group=RULE_PACK_GROUP), key=lambda e: e.name):
        packs.append((ep.name, ep, ep.dist.version if ep.dist else None))
    packs.extend((path.stem, path, None) for path in environment_rule_packs())
    for name, origin, version in packs:
        if name in blocked or (allowed is not None and name not in allowed):
            continue
        if pm.get_plugin(name) is not None:
            raise PluginError(f"two plugins use the name {name!r} (rule pack {origin})")
        # an entry point may come from the importlib_metadata backport, not the standard library's
        # class, when another package installed its finder: tell them apart from paths instead
        path = origin if isinstance(origin, Path) else locate_rule_pack(origin)
        _register(pm, RulePackPlugin(path, name), name)
        if version:
            pm.versions[name] = version


def _plugin_version(pm: pluggy.PluginManager, name: str, plugin: object) -> str | None:
    versions = getattr(pm, "versions", {})
    if versions.get(name):
        return str(versions[name])
    version = getattr(plugin, "__version__", None)
    if version is None and inspect.ismodule(plugin) and plugin.__package__:
        version = getattr(inspect.getmodule(plugin), "__version__", None)
    return None if version is None else str(version)


def collect_registry(pm: pluggy.PluginManager) -> Registry:
    """Call every plugin's hooks with a registry scope of its own and return the registry."""
    registry = Registry()
    for hook_name in ("medinsure_register_jurisdictions", "medinsure_register_rules"):
        hook = getattr(pm.hook, hook_name)
        for impl in hook.get_hookimpls():  # in order of registration
            name = impl.plugin_name
            scope = registry.scoped(name, _plugin_version(pm, name, impl.plugin))
            kwargs: dict[str, Any] = {arg: scope for arg in impl.argnames}
            try:
                impl.function(**kwargs)
            except MedinsureError:
                raise
            except Exception as exc:
                raise PluginError(f"plugin {name!r}: {hook_name} raised {type(exc).__name__}: {exc}") from exc
    registry.check()
    return registry


@attrs.frozen
class PluginInfo:
    """An installed plugin: its name, version and the jurisdictions it provides."""

    name: str
    version: str
    jurisdictions: tuple[str, ...]
    parents: tuple[str | None, ...]


def list_plugins(pm: pluggy.PluginManager | None = None) -> list[PluginInfo]:
    """The plugins of ``pm`` (by default: the installed ones) with versions and jurisdictions."""
    pm = pm or make_plugin_manager()
    registry = collect_registry(pm)
    infos = []
    for name, _plugin in sorted(pm.list_name_plugin()):
        codes = tuple(c for c in registry.codes if registry.owner(c) == name)
        infos.append(
            PluginInfo(
                name=name,
                version=registry.plugin_version(name),
                jurisdictions=codes,
                parents=tuple(registry.jurisdiction(c).parent for c in codes),
            )
        )
    return infos
