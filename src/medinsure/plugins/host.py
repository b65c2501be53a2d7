"""The plugin host: a plugin-manager factory, the registry the hooks fill, the installed-plugin list.

There is no global state: every call of :func:`make_plugin_manager` builds a fresh
``pluggy.PluginManager``. Installed plugins are found through entry points (see
:mod:`medinsure.plugins.discovery`); the entry-point name is the plugin's name, by convention
its jurisdiction code.

:func:`collect_registry` calls each hook once, through pluggy, so that ``tryfirst``,
``trylast`` and hook wrappers behave as pluggy documents them, and pluggy's tracing sees the
calls. Each plugin still receives a :class:`~medinsure.rules.registry.RegistryScope` that
knows its name: the host registers, under the plugin's name, a :class:`BoundPlugin` whose hook
implementations are the plugin's own, with the same pluggy options, each handed the plugin's
scope of the registry the hook is called with.

One broken installed plugin harms only its own jurisdictions: a plugin found through an entry
point that fails to load, or whose hooks fail (bad rule data, an exception), is set aside with
the reason; its jurisdictions, and those whose parent it provided, are unavailable and name the
failure when asked for; every other jurisdiction works. ``isolate=False`` fails closed instead.
Plugins passed in directly (tests, a program's own plugin) always fail closed.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Generator, Iterable
from typing import Any

import attrs
import pluggy

from medinsure.errors import MedinsureError, PluginError
from medinsure.plugins import hooks
from medinsure.plugins.discovery import installed_plugins
from medinsure.rules.registry import Registry

__all__ = [
    "BoundPlugin",
    "PluginInfo",
    "PluginManager",
    "collect_registry",
    "list_plugins",
    "make_plugin_manager",
]


def _check_hook_names(plugin: object, name: str) -> None:
    for attr in dir(plugin):
        if attr.startswith("medinsure_") and attr not in hooks.HOOKS:
            close = difflib.get_close_matches(attr, hooks.HOOKS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (hooks: {', '.join(hooks.HOOKS)})"
            raise PluginError(f"plugin {name!r}: {attr!r} is not a medinsure hook{hint}")


class PluginManager(pluggy.PluginManager):
    """A pluggy plugin manager for medinsure's hooks that remembers each plugin's version."""

    def __init__(self) -> None:
        super().__init__(hooks.PROJECT)
        self.add_hookspecs(hooks.Hooks)
        self.versions: dict[str, str] = {}
        #: installed plugins set aside when they failed to load, and why
        self.failures: dict[str, str] = {}
        #: the plugins whose failures are isolated (installed ones, unless asked to fail closed)
        self.isolated: set[str] = set()

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        """Only an attribute named after a hook can be one: the plugins registered here are
        :class:`BoundPlugin` s, which carry each hook under its own name (so registering one need
        not inspect every other attribute ``dir()`` lists)."""
        if name not in hooks.HOOKS:
            return None
        return super().parse_hookimpl_opts(plugin, name)

    def add(
        self, plugin: object, name: str | None = None, version: str | None = None, *, isolate: bool = False
    ) -> str | None:
        """Register ``plugin`` under ``name`` (default: its ``__name__``) with its hooks bound to it.

        Refuses, with a :class:`PluginError` naming the plugin: a misspelled hook, a hook API
        this core does not provide, a hook pluggy refuses, a name already taken. With
        ``isolate``, a failure of its hooks later sets the plugin aside instead of failing all.
        """
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        if self.is_blocked(name):
            return None
        _check_hook_names(plugin, name)
        hooks.check_plugin_api(plugin, name)
        if isolate:
            self.isolated.add(name)
        bound = BoundPlugin(self, plugin, name, version or _own_version(plugin), isolate=isolate)
        try:
            registered = self.register(bound, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginError(f"plugin {name!r}: {exc}") from None
        if version:
            self.versions[name] = version
        return registered


class BoundPlugin:
    """A plugin as the host registers it: its hook implementations bound to its name.

    Each hook the plugin implements is an attribute carrying the plugin's pluggy options
    (``tryfirst``, ``trylast``, ``wrapper`` ...) whose call hands the plugin its own
    :class:`~medinsure.rules.registry.RegistryScope` and names the plugin in any error.
    ``plugin`` is the object the plugin author wrote.
    """

    def __init__(
        self, pm: pluggy.PluginManager, plugin: object, name: str, version: str | None, *, isolate: bool = False
    ) -> None:
        self.plugin = plugin
        self.__name__ = name
        for hook in hooks.HOOKS:
            if pm.parse_hookimpl_opts(plugin, hook) is not None:
                setattr(self, hook, _bound(getattr(plugin, hook), hook, name, version, isolate))

    def __repr__(self) -> str:
        return f"<medinsure plugin {self.__name__!r}: {self.plugin!r}>"


def _own_version(plugin: object) -> str | None:
    version = getattr(plugin, "__version__", None)
    if version is None and inspect.ismodule(plugin) and plugin.__package__:
        version = getattr(inspect.getmodule(plugin), "__version__", None)
    return None if version is None else str(version)


def _bound(
    function: Callable[..., Any], hook: str, plugin: str, version: str | None, isolate: bool
) -> Callable[..., Any]:
    """``function`` given the plugin's own scope of the registry, its errors naming the plugin.

    The result keeps the function's pluggy marker and signature (``functools.wraps``), so pluggy
    reads the same options and arguments from it. With ``isolate``, a failure sets the plugin
    aside in the registry (and its later hooks do nothing) instead of propagating.
    """

    def registry_of(args: tuple[Any, ...]) -> Registry | None:
        return next((a for a in args if isinstance(a, Registry)), None)

    def scoped(args: tuple[Any, ...]) -> list[Any]:
        return [a.scoped(plugin, version) if isinstance(a, Registry) else a for a in args]

    def failed(exc: Exception, registry: Registry | None) -> None:
        error = exc if isinstance(exc, MedinsureError) else None
        reason = str(error) if error is not None else f"{hook} raised {type(exc).__name__}: {exc}"
        if isolate and registry is not None:
            registry.discard(plugin, reason)
            return
        if error is not None:
            raise error
        raise PluginError(f"plugin {plugin!r}: {reason}") from exc

    if inspect.isgeneratorfunction(function):  # a hook wrapper

        @functools.wraps(function)
        def wrapper(*args: Any) -> Generator[Any, Any, Any]:
            registry = registry_of(args)
            if registry is not None and registry.failed(plugin):
                return (yield)
            try:
                return (yield from function(*scoped(args)))
            except Exception as exc:
                failed(exc, registry)
                return None

        return wrapper

    @functools.wraps(function)
    def call(*args: Any) -> Any:
        registry = registry_of(args)
        if registry is not None and registry.failed(plugin):
            return None
        try:
            return function(*scoped(args))
        except Exception as exc:
            failed(exc, registry)
            return None

    return call


def make_plugin_manager(
    *,
    plugins: Iterable[object] = (),
    entry_points: bool = True,
    allow: Iterable[str] | None = None,
    block: Iterable[str] = (),
    isolate: bool = True,
) -> PluginManager:
    """A fresh plugin manager with the medinsure hookspecs.

    ``plugins`` are registered directly (module or object, named by ``__name__``). With
    ``entry_points`` the installed plugins are loaded too (code plugins of group ``medinsure``,
    rule packs of group ``medinsure.rulepacks`` and those named by ``MEDINSURE_RULE_PACKS``, see
    :mod:`medinsure.plugins.discovery`); ``allow`` (if given) names the only ones to load,
    ``block`` those never to load. A plugin whose ``MEDINSURE_HOOK_API`` this core does not
    satisfy is refused (:mod:`medinsure.plugins.hooks`). Hooks are checked (``check_pending``)
    after loading, so an unknown ``medinsure_`` hook is an error. With ``isolate`` (the default)
    an installed plugin that fails is set aside, named in ``pm.failures``, and the others load;
    ``isolate=False`` fails closed.
    """
    pm = PluginManager()
    allowed = None if allow is None else set(allow)
    blocked = set(block)
    for name in blocked:
        pm.set_blocked(name)
    for plugin in plugins:
        pm.add(plugin)
    if entry_points:
        for found in installed_plugins(allowed, blocked):
            try:
                if pm.get_plugin(found.name) is not None:
                    raise PluginError(f"two installed plugins use the name {found.name!r} ({found.origin})")
                pm.add(found.load(), found.name, found.version, isolate=isolate)
            except PluginError as exc:
                if not isolate:
                    raise
                pm.failures[found.name] = str(exc)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc)) from None
    return pm


def collect_registry(pm: pluggy.PluginManager) -> Registry:
    """Call the hooks of every plugin, through pluggy, and return the registry they filled."""
    registry = Registry()
    for plugin, reason in getattr(pm, "failures", {}).items():
        registry.failures[plugin] = reason
    for name in hooks.HOOKS:
        getattr(pm.hook, name)(registry=registry)
    registry.check(isolate=getattr(pm, "isolated", set()))
    return registry


@attrs.frozen
class PluginInfo:
    """An installed plugin: its name, version, the jurisdictions it provides, or why it failed."""

    name: str
    version: str
    jurisdictions: tuple[str, ...]
    parents: tuple[str | None, ...]
    failure: str | None = None


def list_plugins(pm: pluggy.PluginManager | None = None) -> list[PluginInfo]:
    """The plugins of ``pm`` (by default: the installed ones) with versions and jurisdictions."""
    pm = pm or make_plugin_manager()
    registry = collect_registry(pm)
    infos = []
    names = {name for name, _plugin in pm.list_name_plugin()} | set(registry.failures)
    for name in sorted(names):
        codes = tuple(c for c in registry.codes if registry.owner(c) == name)
        infos.append(
            PluginInfo(
                name=name,
                version=registry.plugin_version(name),
                jurisdictions=codes,
                parents=tuple(registry.jurisdiction(c).parent for c in codes),
                failure=registry.failures.get(name),
            )
        )
    return infos
