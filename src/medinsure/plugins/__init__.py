"""The plugin host: the hooks, finding and loading plugins, and the kit that makes new ones.

- :mod:`.hooks`: the hook specifications, the ``hookimpl`` marker, the hook API version;
- :mod:`.discovery`: installed plugins (entry points, rule packs without code);
- :mod:`.host`: a fresh plugin manager, the registry its hooks fill, the installed-plugin list;
- :mod:`.kit`: ``medinsure new-plugin``'s package maker and its templates.
"""

from __future__ import annotations

from medinsure.plugins.discovery import RulePackPlugin
from medinsure.plugins.hooks import HOOK_API, hookimpl
from medinsure.plugins.host import PluginInfo, PluginManager, collect_registry, list_plugins, make_plugin_manager

__all__ = [
    "HOOK_API",
    "PluginInfo",
    "PluginManager",
    "RulePackPlugin",
    "collect_registry",
    "hookimpl",
    "list_plugins",
    "make_plugin_manager",
]
