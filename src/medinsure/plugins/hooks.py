"""The contract between the core and its plugins: the hooks, their marker, the hook API version.

Mark implementations with :data:`medinsure.hookimpl`; the host calls each hook through pluggy,
and each plugin's implementation receives a :class:`~medinsure.rules.registry.RegistryScope`
bound to that plugin (see :mod:`medinsure.plugins.host`). Hook names start with
``medinsure_``; a plugin attribute with that prefix that is not one of these hooks is an error
at load time, so a misspelled hook never fails silently. pluggy's ``tryfirst``, ``trylast``
and ``wrapper`` options work as pluggy documents them.

The core states the version of this contract as ``HOOK_API`` (major, minor): the hooks, their
arguments, the registry methods a hook may call and the rule-pack format. A minor version adds
to the contract; a major version changes or removes something. A plugin states the versions it
works with as a module (or object) attribute::

    MEDINSURE_HOOK_API = ">=1.0,<2"

When the core's version does not satisfy it, loading the plugin fails with a
:class:`~medinsure.errors.PluginError` naming the plugin and both versions, never a wrong
amount later. A plugin that states nothing is loaded.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pluggy

from medinsure.errors import PluginError

if TYPE_CHECKING:
    from medinsure.rules.registry import RegistryScope

__all__ = [
    "HOOKS",
    "HOOK_API",
    "HOOK_API_ATTRIBUTE",
    "PROJECT",
    "check_plugin_api",
    "hookimpl",
    "hookspec",
    "parse_requirement",
    "satisfies",
]

PROJECT = "medinsure"
hookspec = pluggy.HookspecMarker(PROJECT)
#: The one marker plugins use for their hook implementations.
hookimpl = pluggy.HookimplMarker(PROJECT)

#: The hook API version of this core: (major, minor).
HOOK_API: tuple[int, int] = (1, 1)
#: The attribute a plugin sets to the versions it needs, e.g. ``">=1.0,<2"``.
HOOK_API_ATTRIBUTE = "MEDINSURE_HOOK_API"


class Hooks:
    """The hook specifications (registered with every plugin manager)."""

    @hookspec
    def medinsure_register_jurisdictions(self, registry: RegistryScope) -> None:
        """Declare the jurisdictions this plugin provides.

        Call ``registry.add_jurisdiction(code, name, parent=...)`` once per jurisdiction (or
        ``registry.declare_from_rule_pack(path)``). Two plugins may not declare the same code.
        This hook runs for every plugin before any :func:`medinsure_register_rules`, so a child
        may name a parent provided by another plugin.
        """

    @hookspec
    def medinsure_register_rules(self, registry: RegistryScope) -> None:
        """Register the rules of the jurisdictions this plugin declared.

        Call ``registry.add_table``, ``add_benefit``, ``add_eligibility``, ``add_combined_cap``
        and ``add_source``, or ``registry.load_rule_pack_rules(path)`` for a rule pack. Each value
        is validated here; an invalid one raises :class:`~medinsure.errors.RuleError` naming the
        plugin, jurisdiction, rule and value.
        """


#: The names of the hooks, in the order the host calls them.
HOOKS = ("medinsure_register_jurisdictions", "medinsure_register_rules")

_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\d+)(?:\.(\d+))?\s*$")
_OPS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


def parse_requirement(text: str) -> list[tuple[str, tuple[int, int]]]:
    """``">=1.0,<2"`` as ``[(">=", (1, 0)), ("<", (2, 0))]``; ValueError if it cannot be read."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expected a version requirement such as '>=1.0,<2', got {text!r}")
    clauses = []
    for part in text.split(","):
        m = _CLAUSE.match(part)
        if not m:
            raise ValueError(f"cannot read {part.strip()!r} in {text!r} (expected e.g. '>=1.0,<2')")
        clauses.append((m.group(1), (int(m.group(2)), int(m.group(3) or 0))))
    return clauses


def satisfies(version: tuple[int, int], requirement: str) -> bool:
    """Whether ``version`` meets every clause of ``requirement``."""
    return all(_OPS[op](version, bound) for op, bound in parse_requirement(requirement))


def _show(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def check_plugin_api(plugin: object, name: str, version: tuple[int, int] = HOOK_API) -> None:
    """Raise :class:`PluginError` when ``plugin`` needs a hook API other than ``version``."""
    wanted = getattr(plugin, HOOK_API_ATTRIBUTE, None)
    if wanted is None:
        return
    try:
        ok = satisfies(version, wanted)
    except ValueError as exc:
        raise PluginError(f"plugin {name!r}: {HOOK_API_ATTRIBUTE} = {wanted!r} cannot be read: {exc}") from None
    if not ok:
        raise PluginError(
            f"plugin {name!r} needs medinsure hook API {wanted} but this medinsure provides hook API"
            f" {_show(version)}: install a version of the plugin made for hook API {_show(version)}"
            " or a medinsure that provides what the plugin needs"
        )
