"""The version of the hook API, and the check of what a plugin says it needs.

The core states the version of the contract between it and its plugins as ``HOOK_API``
(major, minor): the hooks, their arguments, the registry methods a hook may call and the
rule-pack format. A minor version adds to the contract; a major version changes or removes
something. A plugin states the versions it works with as a module (or object) attribute::

    MEDINSURE_HOOK_API = ">=1.0,<2"

When the core's version does not satisfy it, loading the plugin fails with a
:class:`~medinsure.errors.PluginError` naming the plugin and both versions, never a wrong
amount later. A plugin that states nothing is loaded (as before versions were stated).
"""

from __future__ import annotations

import re

from medinsure.errors import PluginError

__all__ = ["HOOK_API", "HOOK_API_ATTRIBUTE", "check_plugin_api", "parse_requirement", "satisfies"]

#: The hook API version of this core: (major, minor).
HOOK_API: tuple[int, int] = (1, 0)
#: The attribute a plugin sets to the versions it needs, e.g. ``">=1.0,<2"``.
HOOK_API_ATTRIBUTE = "MEDINSURE_HOOK_API"

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
