"""Exception types raised by medinsure.

Every error a user can cause derives from :class:`MedinsureError`; catching it is enough for
an application that wants to report bad input without a traceback. Each message names the
culprit: the field and value for input, the plugin, jurisdiction and rule for rule data.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "InvalidInput",
    "MedinsureError",
    "PluginError",
    "RuleError",
    "RuleNotInForce",
    "ScenarioError",
    "UnknownJurisdiction",
]


class MedinsureError(Exception):
    """Base class of every error medinsure raises on purpose."""


class InvalidInput(MedinsureError, ValueError):
    """A patient, claim or amount is not valid input.

    ``field`` is the dotted name of the offending field (``claim.in_scope``) and ``value`` the
    value that was refused.
    """

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")

    def within(self, prefix: str) -> InvalidInput:
        """The same error with ``prefix`` put before the field name (``claims[2]``)."""
        return InvalidInput(f"{prefix}.{self.field}", self.value, self.reason)


class RuleError(MedinsureError, ValueError):
    """Rule data registered by a plugin is invalid or conflicts with other rule data."""

    def __init__(
        self,
        message: str,
        *,
        plugin: str | None = None,
        jurisdiction: str | None = None,
        rule: str | None = None,
        value: Any = None,
    ) -> None:
        self.plugin = plugin
        self.jurisdiction = jurisdiction
        self.rule = rule
        self.value = value
        where = []
        if plugin:
            where.append(f"plugin {plugin!r}")
        if jurisdiction:
            where.append(f"jurisdiction {jurisdiction!r}")
        if rule:
            where.append(f"rule {rule!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class RuleNotInForce(RuleError):
    """No version of a rule is in force on the service date (it predates the first known value)."""


class UnknownJurisdiction(MedinsureError, LookupError):
    """A jurisdiction code that no loaded plugin provides."""

    def __init__(self, code: str, known: list[str]) -> None:
        self.code = code
        self.known = known
        listed = ", ".join(sorted(known)) or "none"
        super().__init__(f"jurisdiction={code!r}: unknown jurisdiction (installed: {listed})")


class PluginError(MedinsureError):
    """A plugin could not be loaded or registered: bad hook, duplicate code, failed import."""


class ScenarioError(MedinsureError):
    """A scenario file cannot be read or names an unknown key, jurisdiction or component."""

    def __init__(self, file: str, message: str, *, case: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.case = case
        self.line = line
        loc = file if line is None else f"{file}:{line}"
        if case is not None:
            loc += f": case {case!r}"
        super().__init__(f"{loc}: {message}")
