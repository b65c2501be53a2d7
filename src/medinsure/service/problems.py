"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error response of the service is one JSON object: ``type`` (a URN naming the kind of
problem, listed in :data:`TYPES`), ``title``, ``status``, ``detail`` — the one line the command
line would print, naming the field and value — ``instance`` (the path) and ``request_id`` (the
id the server logged the request under). Errors about input add ``field``, ``value`` and
``reason`` (from :class:`~medinsure.errors.InvalidInput`) and, for a claim of a request,
``where`` (``claims[1]``); a conflict adds ``claim_id`` and the ``differences``. A response never
holds a stack trace: an unexpected error says only that it happened and under which request id
the server logged it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs

from medinsure.errors import (
    ClaimConflict,
    ClaimReversed,
    ConcurrentWrite,
    InputError,
    InvalidInput,
    LedgerError,
    MedinsureError,
    PluginError,
    ReadError,
    RequestError,
    RuleError,
    RuleNotInForce,
    StrictRefusal,
    UnknownClaim,
    UnknownJurisdiction,
)

__all__ = ["MEDIA_TYPE", "TYPES", "Problem", "problem_of"]

MEDIA_TYPE = "application/problem+json"

#: Every problem type, its status and what it means.
TYPES: dict[str, tuple[int, str]] = {
    "malformed-request": (400, "the body is not JSON, or not UTF-8"),
    "unauthorized": (401, "no bearer token, or not the server's"),
    "forbidden": (403, "asked for something this server does not allow (person ids unmasked)"),
    "not-found": (404, "no such path, jurisdiction, settlement or person-year; or no ledger"),
    "method-not-allowed": (405, "the path does not take this method"),
    "claim-conflict": (409, "a claim id already recorded with other content; names the differing fields"),
    "claim-reversed": (409, "a reversed claim given again"),
    "settlement-reversed": (410, "the settlement asked for was reversed"),
    "body-too-large": (413, "a body above the server's limit (--max-body)"),
    "unsupported-media-type": (415, "a body that is not application/json"),
    "invalid-input": (422, "a patient, claim, accumulator or parameter the library refuses; names field and value"),
    "unknown-jurisdiction": (422, "a jurisdiction code no installed plugin provides"),
    "rule-not-in-force": (422, "a service date before the first known value of a rule"),
    "rule-error": (422, "the rules cannot settle this claim"),
    "strict-refusal": (
        422,
        "a server in strict mode refuses a value unverified or carried forward; names rule and value",
    ),
    "ledger-busy": (503, "other writers held the person-year through every retry; retry the request"),
    "ledger-unavailable": (503, "the ledger cannot be read or written now"),
    "timeout": (503, "the request took longer than the server's limit (--timeout)"),
    "internal": (500, "an unexpected error, logged under the request id"),
}

_BY_STATUS = {
    400: "malformed-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    410: "settlement-reversed",
    413: "body-too-large",
    415: "unsupported-media-type",
    503: "timeout",
}
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
#: The longest ``detail`` sent; a longer one (a huge value quoted) is cut with "…".
MAX_DETAIL = 2000


def _json_value(value: Any) -> Any:
    """A refused value as JSON: text, numbers and booleans as they are, others as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value if not isinstance(value, str) or len(value) <= MAX_DETAIL else value[:MAX_DETAIL] + "…"
    if isinstance(value, (Decimal, dt.date)):
        return str(value)
    text = repr(value)
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL] + "…"


@attrs.frozen
class Problem:
    """One problem: its type name (a key of :data:`TYPES`), status, detail and extra members."""

    name: str
    status: int
    detail: str
    extra: dict[str, Any] = attrs.field(factory=dict)
    headers: dict[str, str] = attrs.field(factory=dict)

    @property
    def title(self) -> str:
        return _TITLES.get(self.status, "Error")

    def to_json(self, *, instance: str, request_id: str) -> bytes:
        """The body of the response: UTF-8 JSON (a lone surrogate quoted in a value stays an escape)."""
        text = json.dumps(
            self.to_dict(instance=instance, request_id=request_id), ensure_ascii=False, separators=(",", ":")
        )
        return text.encode("utf-8", "backslashreplace")

    def to_dict(self, *, instance: str, request_id: str) -> dict[str, Any]:
        detail = self.detail if len(self.detail) <= MAX_DETAIL else self.detail[:MAX_DETAIL] + "…"
        return {
            "type": f"urn:medinsure:problem:{self.name}",
            "title": self.title,
            "status": self.status,
            "detail": " ".join(detail.splitlines()),
            "instance": instance,
            "request_id": request_id,
            **self.extra,
        }


def _input(exc: InvalidInput) -> dict[str, Any]:
    return {"field": exc.field, "value": _json_value(exc.value), "reason": exc.reason}


def problem_of(exc: BaseException, *, request_id: str) -> Problem:
    """The problem that answers ``exc``; anything unexpected is ``internal``, with no detail of it."""
    if isinstance(exc, RequestError):
        return Problem(_BY_STATUS.get(exc.status, "not-found"), exc.status, exc.detail)
    if isinstance(exc, PluginError) or isinstance(exc.__cause__, PluginError):
        # a plugin's own code failed: the server's fault, not the request's; its words stay in the log
        return Problem("internal", 500, f"an unexpected error; the server logged it under request id {request_id}")
    if isinstance(exc, InvalidInput):
        return Problem("invalid-input", 422, str(exc), _input(exc))
    if isinstance(exc, InputError):
        # a claim of the request: the library's error is the cause, named at ``where``
        extra: dict[str, Any] = {"where": exc.where}
        cause = exc.__cause__
        if isinstance(cause, InvalidInput):
            extra.update(_input(cause))
        elif isinstance(cause, UnknownJurisdiction):
            extra.update(field="jurisdiction", value=cause.code)
        elif isinstance(cause, StrictRefusal):
            extra.update(rule=cause.rule, value=cause.value)
        name = "invalid-input"
        if isinstance(cause, MedinsureError) and not isinstance(cause, InvalidInput):
            name = problem_of(cause, request_id=request_id).name
        return Problem(name, 422, str(exc), extra)
    if isinstance(exc, UnknownJurisdiction):
        return Problem("unknown-jurisdiction", 422, str(exc), {"field": "jurisdiction", "value": exc.code})
    if isinstance(exc, RuleNotInForce):
        return Problem("rule-not-in-force", 422, str(exc), {"rule": exc.rule})
    if isinstance(exc, StrictRefusal):
        return Problem("strict-refusal", 422, str(exc), {"rule": exc.rule, "value": exc.value})
    if isinstance(exc, RuleError):
        return Problem("rule-error", 422, str(exc), {"rule": exc.rule})
    if isinstance(exc, ClaimConflict):
        differences = [{"field": f, "stored": s, "given": g} for f, s, g in exc.differences]
        field = exc.differences[0][0] if exc.differences else None
        return Problem(
            "claim-conflict", 409, str(exc), {"claim_id": exc.claim_id, "field": field, "differences": differences}
        )
    if isinstance(exc, ClaimReversed):
        return Problem("claim-reversed", 409, str(exc), {"claim_id": exc.claim_id, "event_id": exc.event_id})
    if isinstance(exc, UnknownClaim):
        return Problem("not-found", 404, str(exc), {"claim_id": exc.claim_id})
    if isinstance(exc, ConcurrentWrite):
        return Problem(
            "ledger-busy", 503, "other writers held this person-year through every retry; send the request again",
            headers={"Retry-After": "1"},
        )  # fmt: skip
    if isinstance(exc, LedgerError):
        return Problem(
            "ledger-unavailable",
            503,
            f"the ledger cannot be read or written now; the server logged why under request id {request_id}",
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, ReadError):
        return Problem("malformed-request", 400, str(exc))
    if isinstance(exc, MedinsureError):
        return Problem("invalid-input", 422, str(exc))
    return Problem("internal", 500, f"an unexpected error; the server logged it under request id {request_id}")
