"""Every exception type medinsure raises, in one place.

Every error a user can cause derives from :class:`MedinsureError`; catching it is enough for
an application that wants to report bad input without a traceback. Each message names the
culprit: the field and value for input, the file and row or case for a file, the plugin,
jurisdiction and rule for rule data, the claim for the ledger.

::

    MedinsureError
    ├── InvalidInput         a patient, claim or amount (field and value)
    ├── InputError           a claim file: file and row or case
    ├── ReadError            a YAML or JSON file that cannot be read (line)
    ├── ScenarioError        a scenario file (file, case, line)
    ├── ScenarioFailed       a scenario's expectations not met (its failures)
    ├── RuleError            rule data (plugin, jurisdiction, rule, value)
    │   ├── RuleNotInForce   no version of a rule on the service date
    │   └── StrictRefusal    strict mode refuses an unverified or carried-forward value
    ├── UnknownJurisdiction
    ├── PluginError          a plugin that cannot be loaded or registered
    ├── KitError             ``medinsure new-plugin`` cannot make the package
    ├── UsageError           a command line that cannot be parsed
    ├── RequestError         an HTTP request the service refuses (status, title)
    └── LedgerError          the ledger cannot be opened, read or written
        ├── ClaimConflict    a claim id given again with other content
        ├── ClaimReversed    a reversed claim given again
        ├── UnknownClaim     a claim id the ledger does not hold
        └── ConcurrentWrite  another writer added the same row first (retried)
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

__all__ = [
    "ClaimConflict",
    "ClaimReversed",
    "ConcurrentWrite",
    "InputError",
    "InvalidInput",
    "KitError",
    "LedgerError",
    "MedinsureError",
    "PluginError",
    "ReadError",
    "RequestError",
    "RowInputError",
    "RuleError",
    "RuleNotInForce",
    "ScenarioError",
    "ScenarioFailed",
    "StrictRefusal",
    "UnknownClaim",
    "UnknownJurisdiction",
    "UsageError",
]


class MedinsureError(Exception):
    """Base class of every error medinsure raises on purpose.

    Every one survives pickling (a Dask worker or another process sends it back whole): it is
    rebuilt from its message and attributes, not by calling its constructor again.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.args, dict(self.__dict__))


def _rebuild(cls: type[MedinsureError], args: tuple[Any, ...], state: dict[str, Any]) -> MedinsureError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


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


class InputError(MedinsureError):
    """A claim file that cannot be read or settled, with the file and row or case named."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(f"{where}: {message}")


def naming(where: str) -> AbstractContextManager[None]:
    """Errors raised inside name ``where`` (a file and row, a case): a :class:`MedinsureError`
    becomes an :class:`InputError` that starts with it. An ``InputError``, which names its place
    already, passes as it is; so does every error when ``where`` is empty.

    The helper of the readers, the command line and the ledger; not an error, so not in
    ``__all__`` (which lists this module's error classes).
    """
    return _Naming(where)


class _Naming(AbstractContextManager[None]):
    """:func:`naming` (a class, not a generator: it wraps every claim read and recorded)."""

    __slots__ = ("where",)

    def __init__(self, where: str) -> None:
        self.where = where

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if isinstance(exc, MedinsureError) and not isinstance(exc, InputError) and self.where:
            raise InputError(self.where, str(exc)) from None


class RowInputError(InputError, InvalidInput):
    """A value refused in one row of a frame or file: names the row (as :class:`InputError`) and
    the field and value (as :class:`InvalidInput`), so either kind of handler catches it."""

    def __init__(self, where: str, field: str, value: Any, reason: str) -> None:
        self.where = where
        self.field = field
        self.value = value
        self.reason = reason
        MedinsureError.__init__(self, f"{where}: {field}={value!r}: {reason}")


class ReadError(MedinsureError):
    """A YAML or JSON file that cannot be read; ``line`` is where, when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(message)


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


class StrictRefusal(RuleError):
    """Strict mode refuses a settlement that would rest on an unverified or carried-forward value.

    ``jurisdiction`` is the jurisdiction settling the claim, ``rule`` the rule version
    (``dalian/critical_illness.schedule[general]@2021-01-01``) and ``value`` its value.
    """


class UnknownJurisdiction(MedinsureError, LookupError):
    """A jurisdiction code that no loaded plugin provides."""

    def __init__(self, code: str, known: list[str], failures: Mapping[str, str] | None = None) -> None:
        self.code = code
        self.known = known
        listed = ", ".join(sorted(known)) or "none"
        failed = "; ".join(f"plugin {name!r}: {why}" for name, why in sorted((failures or {}).items()))
        more = f"; plugins that failed to load: {failed}" if failed else ""
        super().__init__(f"jurisdiction={code!r}: unknown jurisdiction (installed: {listed}{more})")


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


class ScenarioFailed(MedinsureError):
    """A scenario whose settlements differ from its expectations (one line per failure)."""


class KitError(MedinsureError):
    """The kit cannot make the package: a bad code or name, or a folder that is not empty."""


class UsageError(MedinsureError):
    """A command line that cannot be parsed (an unknown option, a missing argument)."""


class RequestError(MedinsureError):
    """An HTTP request that ``medinsure serve`` refuses before the library sees its content.

    A body that is too large or not JSON, a missing or wrong token, an unknown path or method.
    ``status`` is the HTTP status, ``title`` the short name of the problem (RFC 9457), and the
    message says what was wrong in one line.
    """

    def __init__(self, status: int, title: str, detail: str) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        super().__init__(detail)


class LedgerError(MedinsureError):
    """The ledger cannot be opened, read or written (no such file, no server, wrong schema)."""


class ClaimConflict(LedgerError):
    """A claim id already in the ledger, given again with different content.

    ``differences`` lists ``(field, stored, given)`` for each field that differs (person ids
    masked unless the ledger shows ids).
    """

    def __init__(self, claim_id: str, differences: list[tuple[str, str, str]]) -> None:
        self.claim_id = claim_id
        self.differences = differences
        shown = "; ".join(f"{field}: stored {stored}, given {given}" for field, stored, given in differences[:3])
        more = f"; and {len(differences) - 3} more" if len(differences) > 3 else ""
        super().__init__(
            f"claim.id={claim_id!r}: already in the ledger with different content ({shown}{more});"
            " use a new claim id, or correct the claim"
        )


class ClaimReversed(LedgerError):
    """A claim that was reversed, given again (to settle, correct or reverse)."""

    def __init__(self, claim_id: str, event_id: int) -> None:
        self.claim_id = claim_id
        self.event_id = event_id
        super().__init__(
            f"claim.id={claim_id!r}: reversed by ledger event {event_id}; a reversed claim is not settled,"
            " corrected or reversed again (give the claim a new id)"
        )


class UnknownClaim(LedgerError, LookupError):
    """A claim id that the ledger does not hold."""

    def __init__(self, claim_id: str) -> None:
        self.claim_id = claim_id
        super().__init__(f"claim.id={claim_id!r}: not in the ledger")


class ConcurrentWrite(LedgerError):
    """A database's unique constraint refused a row another writer added first.

    The ledger retries the operation; a caller sees it only when every retry met another writer.
    """
