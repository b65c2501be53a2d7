"""Requests read by the library's own constructors, so the API's errors are the library's errors.

A body is JSON (numbers with a point become exact decimals, a key given twice is refused) read
by :func:`read_json`; one person's claims — the shape of a scenario-file case — by
:meth:`CaseRequest.from_mapping`, which hands the patient to
:meth:`~medinsure.model.Patient.from_mapping`, each claim to
:meth:`~medinsure.model.Claim.from_mapping` and each accumulator to
:meth:`~medinsure.settlement.accumulator.Accumulator.from_mapping`. An error names the field
and value as the command line does; an error in a claim also names the claim
(``claims[1]: claim.total='abc': not a number``). Unknown keys and unknown query parameters
are errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from medinsure.errors import InputError, InvalidInput, MedinsureError, RequestError
from medinsure.io.data import parse_json
from medinsure.io.sheets import COPIES
from medinsure.model import BasicResult, Claim, Patient, is_plain_text
from medinsure.settlement.accumulator import Accumulator

__all__ = [
    "CASE_FIELDS",
    "CaseRequest",
    "Reversal",
    "claim_at",
    "copy_of",
    "flag",
    "language",
    "query",
    "read_json",
    "reversal_of",
    "year_of",
]

BASIC_FIELDS = tuple(attrs.fields_dict(BasicResult))

#: The keys of one person's claims; ``name``, ``reference`` and ``expect`` are a scenario
#: case's and change nothing (so a case posts as it is); ``accumulators`` only where allowed.
CASE_FIELDS = ("name", "reference", "jurisdiction", "patient", "claims", "expect", "accumulators")


def read_json(body: bytes, content_type: str | None, *, empty: Any = ...) -> Any:
    """The JSON value of a request body; ``empty`` is returned for an empty body when given."""
    if not body.strip() and empty is not ...:
        return empty
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise RequestError(
            415, "Unsupported Media Type", f"Content-Type {media or 'none'!r}: expected application/json"
        )
    charset = [p.split("=", 1)[1].strip().strip('"').lower() for p in (content_type or "").split(";")[1:] if "=" in p]
    if charset and charset[0] not in ("utf-8", "utf8"):
        raise RequestError(415, "Unsupported Media Type", f"charset {charset[0]!r}: expected utf-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError(400, "Bad Request", f"body: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise RequestError(400, "Bad Request", "body: empty (expected a JSON object)")
    return parse_json(text)


def _known(where: str, owner: str, data: Any, allowed: Iterable[str]) -> None:
    """Refuse an unknown key in the words of a scenario file: ``WHERE: unknown key 'K' (allowed: …)``."""
    if not isinstance(data, Mapping):
        return  # the constructor names what it expected
    allowed = tuple(allowed)
    for key in data:
        if key not in allowed:
            cause = InvalidInput(f"{owner}.{key}" if owner else str(key), data[key], "unknown key")
            raise InputError(where, f"unknown key {key!r} (allowed: {', '.join(allowed)})") from cause


def _all_keys_known(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    """Every key of the request, its patient and its claims is known (checked before any value)."""
    _known("request", "", data, allowed)
    patient = data.get("patient")
    _known("patient", "patient", patient, Patient.FIELDS)
    contributions = patient.get("contributions") if isinstance(patient, Mapping) else None
    for i, contribution in enumerate(contributions if isinstance(contributions, list) else []):
        _known(f"patient.contributions[{i}]", "contribution", contribution, ("paid_on", "from", "to"))
    claims = data.get("claims")
    for i, claim in enumerate(claims if isinstance(claims, list) else []):
        _known(f"claims[{i}]", "claim", claim, Claim.FIELDS)
        if isinstance(claim, Mapping):
            _known(f"claims[{i}].basic", "claim.basic", claim.get("basic"), BASIC_FIELDS)


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, value, "expected text")
    return value.strip()


@attrs.frozen
class CaseRequest:
    """One person's claims to settle, in order, under one jurisdiction (a scenario case's shape).

    ``accumulators`` are the person's year-to-date state before the first claim, one per policy
    year (the ``accumulator_after`` of the year's last settlement, or the platform's totals).
    """

    jurisdiction: str
    patient: Patient
    claims: tuple[Claim, ...]
    accumulators: tuple[Accumulator, ...] = ()

    @classmethod
    def from_mapping(cls, data: Any, *, accumulators: bool = True) -> CaseRequest:
        """Read a request body; ``accumulators=False`` refuses the ``accumulators`` key (a ledger keeps the state)."""
        if not isinstance(data, Mapping):
            raise InvalidInput("request", data, "expected a JSON object: jurisdiction, patient, claims")
        allowed = CASE_FIELDS if accumulators else tuple(k for k in CASE_FIELDS if k != "accumulators")
        _all_keys_known(data, allowed)
        for key in ("jurisdiction", "patient", "claims"):
            if data.get(key) is None:
                raise InvalidInput(key, None, "required")
        for key in ("name", "reference"):
            if key in data:
                _text(key, data[key])
        if "expect" in data and not isinstance(data["expect"], Mapping):
            raise InvalidInput("expect", data["expect"], "expected a mapping of claim id to amounts")
        jurisdiction = _text("jurisdiction", data["jurisdiction"])
        patient = Patient.from_mapping(data["patient"])
        raw_claims = data["claims"]
        if not isinstance(raw_claims, list) or not raw_claims:
            raise InvalidInput("claims", raw_claims, "expected a non-empty list of claims")
        claims: list[Claim] = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_claims):
            try:
                claim = Claim.from_mapping(raw)
            except MedinsureError as exc:
                raise claim_at(i, exc) from exc
            if claim.id in seen:
                raise InvalidInput(f"claims[{i}].id", claim.id, "claim id given twice")
            seen.add(claim.id)
            claims.append(claim)
        return cls(jurisdiction, patient, tuple(claims), _accumulators(data.get("accumulators"), patient))


def _accumulators(value: Any, patient: Patient) -> tuple[Accumulator, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidInput("accumulators", value, "expected a list of accumulators, one per policy year")
    out: list[Accumulator] = []
    for i, raw in enumerate(value):
        acc = Accumulator.from_mapping(raw, owner=f"accumulators[{i}]")
        if acc.person_id != patient.id:
            raise InvalidInput(f"accumulators[{i}].person_id", acc.person_id, f"not the patient's id {patient.id!r}")
        if any(a.year == acc.year for a in out):
            raise InvalidInput(f"accumulators[{i}].year", acc.year, "a second accumulator for this year")
        out.append(acc)
    return tuple(out)


def claim_at(index: int, exc: MedinsureError) -> InputError:
    """The error ``exc`` of claim ``index`` of a request, named at ``claims[index]``.

    Raise it ``from exc``: the problem details read the field and value from the cause.
    """
    return InputError(f"claims[{index}]", str(exc))


# --- query parameters --------------------------------------------------------------------------


def query(items: Iterable[tuple[str, str]], allowed: Iterable[str]) -> dict[str, str]:
    """The query parameters as a mapping; an unknown one, or one given twice, is refused."""
    allowed = tuple(allowed)
    params: dict[str, str] = {}
    for name, value in items:
        if name not in allowed:
            listed = ", ".join(allowed) or "none"
            raise InvalidInput(f"query.{name}", value, f"unknown query parameter (allowed: {listed})")
        if name in params:
            raise InvalidInput(f"query.{name}", value, "given twice")
        params[name] = value
    return params


def flag(params: Mapping[str, str], name: str) -> bool:
    """A boolean query parameter: ``true`` or ``false`` (absent is false)."""
    value = params.get(name)
    if value is None:
        return False
    if value in ("true", "false"):
        return value == "true"
    raise InvalidInput(f"query.{name}", value, "expected true or false")


def language(params: Mapping[str, str]) -> str:
    """The ``lang`` query parameter of a settlement sheet: ``zh`` (default) or ``en``."""
    value = params.get("lang", "zh")
    if value not in ("zh", "en"):
        raise InvalidInput("query.lang", value, "expected zh or en")
    return value


def year_of(field: str, value: str | None) -> int | None:
    """A policy year given as text (a path segment or query parameter)."""
    if value is None:
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise InvalidInput(field, value, "expected a year (four digits)")
    return int(text)


@attrs.frozen
class Reversal:
    """The body of a reversal: why, and the platform's ids to check against those recorded."""

    reason: str = ""
    mdtrt_id: str | None = None
    psn_no: str | None = None


def reversal_of(data: Any) -> Reversal:
    """The body of a reversal: nothing, or ``{"reason": TEXT, "mdtrt_id": ID, "psn_no": ID}``."""
    if data is None:
        return Reversal()
    if not isinstance(data, Mapping):
        raise InvalidInput("request", data, 'expected a JSON object: {"reason": TEXT}')
    _known("request", "", data, ("reason", "mdtrt_id", "psn_no"))
    values: dict[str, str | None] = {}
    for key in ("reason", "mdtrt_id", "psn_no"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or (key != "reason" and not value.strip()):
            raise InvalidInput(key, value, "expected text")
        if not is_plain_text(value):
            raise InvalidInput(key, value, "must not hold control characters or lone surrogates")
        values[key] = value.strip()
    return Reversal(**values)  # type: ignore[arg-type]


def copy_of(params: Mapping[str, str]) -> str:
    """The ``copy`` query parameter of a settlement sheet: ``audit`` (default) or ``patient``."""
    value = params.get("copy", "audit")
    if value not in COPIES:
        raise InvalidInput("query.copy", value, f"expected one of {', '.join(COPIES)}")
    return value
