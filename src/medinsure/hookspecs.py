"""The hooks a jurisdiction plugin implements.

Mark implementations with :data:`medinsure.hookimpl`; the host calls each plugin's
implementation with a :class:`~medinsure.registry.RegistryScope` bound to that plugin.
Hook names start with ``medinsure_``; a plugin attribute with that prefix that is not one of
these hooks is an error at load time, so a misspelled hook never fails silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from medinsure.registry import RegistryScope

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "medinsure"
hookspec = pluggy.HookspecMarker(PROJECT)
#: The one marker plugins use for their hook implementations.
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def medinsure_register_jurisdictions(registry: RegistryScope) -> None:
    """Declare the jurisdictions this plugin provides.

    Call ``registry.add_jurisdiction(code, name, parent=...)`` once per jurisdiction (or
    ``registry.declare_from_rule_pack(path)``). Two plugins may not declare the same code.
    This hook runs for every plugin before any :func:`medinsure_register_rules`, so a child
    may name a parent provided by another plugin.
    """


@hookspec
def medinsure_register_rules(registry: RegistryScope) -> None:
    """Register the rules of the jurisdictions this plugin declared.

    Call ``registry.add_table``, ``add_benefit``, ``add_eligibility``, ``add_combined_cap``
    and ``add_source``, or ``registry.load_rule_pack_rules(path)`` for a rule pack. Each value
    is validated here; an invalid one raises :class:`~medinsure.errors.RuleError` naming the
    plugin, jurisdiction, rule and value.
    """
