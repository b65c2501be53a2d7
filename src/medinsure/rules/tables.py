"""Rule data: dated parameter tables, tier schedules, benefits and eligibility rules.

Everything a jurisdiction registers is data with provenance. A :class:`ParameterTable` is a
list of :class:`Row` s; a row applies to the claims its :class:`Match` selects and holds dated
:class:`Version` s of one value. The version in force on a service date is the last one that
started on or before it: a value stays in force until a later one replaces it. A version may
state the last date its source speaks for (``end``); a claim after that date still uses it
and is told the value was *carried forward*. A claim before the first version is refused
(:class:`~medinsure.errors.RuleNotInForce`).

Every version carries a :class:`Provenance`: the :class:`Source` (publication, document
number, URL), whether the value is verified against that source, a note, and the sentence of
the source it comes from (``quote``, in the source's own words).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from medinsure.errors import InvalidInput, RuleError, RuleNotInForce
from medinsure.money import ZERO, amount, fmt, pct, rate

if TYPE_CHECKING:
    from medinsure.model import Claim, Patient

__all__ = [
    "BASIS",
    "Benefit",
    "CombinedCap",
    "EligibilityRule",
    "Jurisdiction",
    "Match",
    "ParameterTable",
    "Provenance",
    "Resolved",
    "Row",
    "Schedule",
    "Source",
    "Tier",
    "Version",
    "claim_profile",
]

T = TypeVar("T")

#: How tier bounds are measured.
BASIS = ("above_threshold", "absolute")
#: Kinds of parameter table values.
VALUE_KINDS = ("amount", "rate", "months", "schedule")


@attrs.frozen(cache_hash=True)
class Source:
    """A publication a rule comes from: cite it, not a file name."""

    id: str
    publication: str
    date: dt.date | None = None
    document: str | None = None
    url: str | None = None

    def cite(self) -> str:
        parts = [self.publication]
        if self.document:
            parts.append(self.document)
        if self.date:
            parts.append(self.date.isoformat())
        if self.url:
            parts.append(self.url)
        return ", ".join(parts)


@attrs.frozen(cache_hash=True)
class Provenance:
    """Where a value comes from and whether it was checked against that source.

    ``quote`` is the sentence of the source the value comes from, exactly as the source words
    it (Chinese for the bundled jurisdictions); empty when the value is not quoted from one
    (an assumption, or a figure without a sentence of its own).
    """

    source: Source
    verified: bool
    note: str = ""
    quote: str = ""

    def cite(self) -> str:
        text = self.source.cite()
        flag = "verified" if self.verified else "UNVERIFIED"
        return f"{text} [{flag}]" + (f" ({self.note})" if self.note else "")


@attrs.frozen(cache_hash=True)
class Version(Generic[T]):
    """One dated value: in force from ``start``; ``end`` is the last date its source speaks for."""

    value: T
    start: dt.date
    provenance: Provenance
    end: dt.date | None = None

    @property
    def quote(self) -> str:
        """The sentence of the source this value comes from (see :class:`Provenance`)."""
        return self.provenance.quote

    def carried_forward_on(self, day: dt.date) -> bool:
        """Whether using this version on ``day`` carries it past the last date its source speaks for."""
        return self.end is not None and day > self.end


@attrs.frozen(cache_hash=True)
class Match:
    """Which claims a row applies to. Empty means every claim.

    Equality fields (``scheme``, ``status``, ``kind``, ``hospital_level``, ``location``,
    ``referral``, ``filed``, ``designated``) match when the claim's value is one of those
    listed; ``categories``, ``conditions`` and ``tags`` match when the patient or claim has any
    of them; ``age_min`` and ``age_max`` bound the age in whole years on the service date
    (inclusive; a patient without a birth date matches no age bound); ``service_years_min``
    and ``service_years_max`` bound the patient's years of service or contribution (inclusive;
    a patient without them matches no such bound).
    """

    scheme: frozenset[str] | None = None
    status: frozenset[str] | None = None
    kind: frozenset[str] | None = None
    hospital_level: frozenset[str] | None = None
    location: frozenset[str] | None = None
    referral: frozenset[str] | None = None
    filed: bool | None = None
    designated: bool | None = None
    categories: frozenset[str] | None = None
    conditions: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    age_min: int | None = None
    age_max: int | None = None
    service_years_min: int | None = None
    service_years_max: int | None = None

    SET_FIELDS = (
        "scheme",
        "status",
        "kind",
        "hospital_level",
        "location",
        "referral",
        "categories",
        "conditions",
        "tags",
    )
    FIELDS = (*SET_FIELDS, "filed", "designated", "age_min", "age_max", "service_years_min", "service_years_max")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, where: str = "when") -> Match:
        if not data:
            return cls()
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in cls.FIELDS:
                raise InvalidInput(f"{where}.{key}", value, f"unknown key (allowed: {', '.join(cls.FIELDS)})")
            if key in cls.SET_FIELDS:
                items = [value] if isinstance(value, str) else list(value)
                if not items or not all(isinstance(i, str) for i in items):
                    raise InvalidInput(f"{where}.{key}", value, "expected a term or a non-empty list of terms")
                values[key] = frozenset(items)
            elif key in ("filed", "designated"):
                if not isinstance(value, bool):
                    raise InvalidInput(f"{where}.{key}", value, "expected true or false")
                values[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise InvalidInput(f"{where}.{key}", value, "expected a whole number of years")
                values[key] = value
        return cls(**values)

    def matches(self, patient: Patient, claim: Claim) -> bool:
        return all(check(patient, claim) for check in self._compiled()[0])

    def describe(self) -> str:
        return self._compiled()[1]

    def _compiled(self) -> tuple[tuple[_Check, ...], str]:
        """The checks and the description of this match object, built once."""
        entry = _COMPILED.get(id(self))
        if entry is None or entry[0] is not self:
            entry = (self, (_compile(self), self._describe()))
            if len(_COMPILED) > _COMPILED_SIZE:
                _COMPILED.clear()
            _COMPILED[id(self)] = entry
        return entry[1]

    def _describe(self) -> str:
        parts = []
        for name in self.FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, frozenset):
                value = "|".join(sorted(value))
            elif isinstance(value, bool):
                value = str(value).lower()
            parts.append(f"{name}={value}")
        return ", ".join(parts) or "any claim"

    def terms(self) -> dict[str, frozenset[str]]:
        """The categories, conditions and tags this match names (they become known terms)."""
        return {name: getattr(self, name) or frozenset() for name in ("categories", "conditions", "tags")}


_Check = Callable[["Patient", "Claim"], bool]


#: The checks and description of each match object by its id, the match kept alive so that the
#: id stays its own (looking a match up by value compared equal matches field by field).
_COMPILED: dict[int, tuple[Match, tuple[tuple[_Check, ...], str]]] = {}
_COMPILED_SIZE = 1 << 16


def _compile(match: Match) -> tuple[_Check, ...]:
    """The checks of a match, only for the fields it sets (built once per match)."""
    checks: list[_Check] = []

    def one_of(wanted: frozenset[str], get: Callable[[Patient, Claim], object]) -> _Check:
        return lambda p, c: get(p, c) in wanted

    def any_of(wanted: frozenset[str], get: Callable[[Patient, Claim], frozenset[str]]) -> _Check:
        return lambda p, c: not wanted.isdisjoint(get(p, c))

    def bounded(low: int | None, high: int | None, get: Callable[[Patient, Claim], int | None]) -> _Check:
        def check(p: Patient, c: Claim) -> bool:
            value = get(p, c)
            if value is None:
                return False
            return (low is None or value >= low) and (high is None or value <= high)

        return check

    getters: dict[str, Callable[[Patient, Claim], Any]] = {
        "scheme": lambda p, c: p.scheme,
        "status": lambda p, c: p.employee_status,
        "kind": lambda p, c: c.kind,
        "hospital_level": lambda p, c: c.hospital_level,
        "location": lambda p, c: c.location,
        "referral": lambda p, c: c.referral,
        "categories": lambda p, c: p.categories,
        "conditions": lambda p, c: p.conditions,
        "tags": lambda p, c: c.tags,
    }
    for name in ("scheme", "status", "kind", "hospital_level", "location", "referral"):
        wanted = getattr(match, name)
        if wanted is not None:
            checks.append(one_of(wanted, getters[name]))
    for name in ("categories", "conditions", "tags"):
        wanted = getattr(match, name)
        if wanted is not None:
            checks.append(any_of(wanted, getters[name]))
    if match.filed is not None:
        filed = match.filed
        checks.append(lambda p, c: c.filed == filed)
    if match.designated is not None:
        designated = match.designated
        checks.append(lambda p, c: c.designated == designated)
    if match.age_min is not None or match.age_max is not None:
        checks.append(bounded(match.age_min, match.age_max, lambda p, c: p.age_on(c.service_date)))
    if match.service_years_min is not None or match.service_years_max is not None:
        checks.append(bounded(match.service_years_min, match.service_years_max, lambda p, c: p.service_years))
    return tuple(checks)


@attrs.frozen
class Tier:
    """A band of a tier schedule: ``start`` to ``end`` (inclusive; ``None`` = no upper bound)."""

    start: Decimal
    end: Decimal | None
    rate: Decimal


@attrs.frozen(cache_hash=True)
class Schedule:
    """A secondary benefit's annual function ``F``: threshold, tiers and optional annual cap.

    With ``basis="above_threshold"`` tier bounds measure the part of the annual base above the
    threshold (Dalian: 0–50,000 above 20,000); with ``basis="absolute"`` they measure the annual
    base itself and the first tier starts at the threshold (Liaoning: 10,000–50,000).
    Upper bounds are inclusive ("0 至 5 万元（含 5 万）"); since the function is continuous the
    amount at a bound is the same either way. ``F`` itself is computed by
    :func:`medinsure.settlement.formulas.annual`, for one base or many.
    """

    threshold: Decimal
    tiers: tuple[Tier, ...]
    basis: str = "above_threshold"
    cap: Decimal | None = None

    def describe(self) -> str:
        return _describe_schedule(self)

    def _describe(self) -> str:
        bands = []
        for tier in self.tiers:
            end = "∞" if tier.end is None else f"{tier.end:,}"
            bands.append(f"{tier.start:,}–{end} at {pct(tier.rate)}")
        measured = "above threshold" if self.basis == "above_threshold" else "of the annual total"
        text = f"threshold {self.threshold:,}; {'; '.join(bands)} ({measured})"
        if self.cap is not None:
            text += f"; annual cap {self.cap:,}"
        return text


@functools.cache
def _describe_schedule(schedule: Schedule) -> str:
    return schedule._describe()


@attrs.frozen
class Row(Generic[T]):
    """One row of a table: the claims it applies to and the dated versions of its value."""

    when: Match
    versions: tuple[Version[T], ...]
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.when.describe()


def _show_value(kind: str, value: Any) -> str:
    if kind == "rate":
        return pct(value)
    if kind == "amount":
        return fmt(value)
    return str(value)


@attrs.frozen
class Resolved(Generic[T]):
    """The value of a table for one claim: which row and version gave it, from which source."""

    table: str
    jurisdiction: str
    row: str
    version: Version[T]
    carried_forward: bool

    @property
    def value(self) -> T:
        return self.version.value

    @property
    def rule_id(self) -> str:
        return f"{self.jurisdiction}/{self.table}[{self.row}]"

    @property
    def version_id(self) -> str:
        return f"{self.rule_id}@{self.version.start.isoformat()}"


@attrs.frozen(cache_hash=True)
class ParameterTable(Generic[T]):
    """A named table of dated values; the first row whose match fits the claim applies."""

    name: str
    kind: str
    rows: tuple[Row[T], ...]
    description: str = ""
    description_zh: str = ""

    def _repr_html_(self) -> str:
        """A notebook's view: every row and dated version with its value, source and verified flag."""
        from html import escape

        body = []
        for row in self.rows:
            for i, v in enumerate(row.versions):
                value = v.value.describe() if isinstance(v.value, Schedule) else _show_value(self.kind, v.value)
                flag = "verified" if v.provenance.verified else "<b>unverified</b>"
                body.append(
                    f"<tr><td>{escape(row.name) if i == 0 else ''}</td><td>{v.start}</td>"
                    f"<td>{v.end or ''}</td><td>{escape(value)}</td>"
                    f"<td>{escape(v.provenance.source.cite())}</td><td>{flag}</td></tr>"
                )
        head = "<tr><th>row</th><th>from</th><th>to</th><th>value</th><th>source</th><th></th></tr>"
        about = f": {escape(self.description)}" if self.description else ""
        return f"<div><p><b>{escape(self.name)}</b> ({self.kind}){about}</p><table>{head}{''.join(body)}</table></div>"

    def validate(self, jurisdiction: str, plugin: str | None) -> None:
        def fail(message: str, value: Any, row: Row[Any] | None = None) -> RuleError:
            rule = self.name if row is None else f"{self.name}[{row.name}]"
            return RuleError(message, plugin=plugin, jurisdiction=jurisdiction, rule=rule, value=value)

        if self.kind not in VALUE_KINDS:
            raise fail(f"unknown table kind {self.kind!r} (expected one of {', '.join(VALUE_KINDS)})", self.kind)
        if not self.rows:
            raise fail("a table needs at least one row", ())
        for row in self.rows:
            if not row.versions:
                raise fail("a row needs at least one dated version", ())
            previous: Version[Any] | None = None
            for version in row.versions:
                if previous is not None:
                    if version.start <= previous.start:
                        raise fail(
                            f"versions must be in ascending order of start date: {version.start} after {previous.start}",
                            version.start.isoformat(),
                            row,
                        )
                    if previous.end is not None and previous.end >= version.start:
                        raise fail(
                            f"overlapping dates: {previous.start}–{previous.end} and {version.start}–",
                            version.start.isoformat(),
                            row,
                        )
                if version.end is not None and version.end < version.start:
                    raise fail(f"end {version.end} before start {version.start}", version.end.isoformat(), row)
                try:
                    _check_value(self.kind, version.value)
                except InvalidInput as exc:
                    raise fail(str(exc), version.value, row) from None
                except ValueError as exc:
                    raise fail(f"{exc} (version from {version.start.isoformat()})", version.value, row) from None
                previous = version

    def lookup(self, jurisdiction: str, patient: Patient, claim: Claim) -> Resolved[T] | None:
        """The value in force for this claim, or None when no row matches.

        Raises :class:`RuleNotInForce` when a row matches but the service date is before its
        first version.
        """
        day = claim.service_date
        row = self._row_for(patient, claim)
        if row is not None:
            in_force = None
            for version in row.versions:
                if version.start <= day:
                    in_force = version
            if in_force is None:
                first = row.versions[0].start
                raise RuleNotInForce(
                    f"no version in force on {day.isoformat()}: the first known value starts {first.isoformat()}",
                    jurisdiction=jurisdiction,
                    rule=f"{self.name}[{row.name}]",
                    value=day.isoformat(),
                )
            return Resolved(self.name, jurisdiction, row.name, in_force, in_force.carried_forward_on(day))
        return None

    def _row_for(self, patient: Patient, claim: Claim) -> Row[T] | None:
        """The first row matching the claim, remembered per claim profile (see :func:`claim_profile`)."""
        key = (self, claim_profile(patient, claim))
        index = _ROW_CACHE.get(key, -2)
        if index == -2:
            index = next((i for i, row in enumerate(self.rows) if row.when.matches(patient, claim)), -1)
            if len(_ROW_CACHE) > _ROW_CACHE_SIZE:
                _ROW_CACHE.clear()
            _ROW_CACHE[key] = index
        return None if index < 0 else self.rows[index]


def claim_profile(patient: Patient, claim: Claim) -> tuple[object, ...]:
    """Everything a :class:`Match` can look at: two claims with one profile match the same rows.

    A claim's tables are looked up one after the other, so the last profile is kept (with the
    patient and claim it belongs to, compared by identity).
    """
    last = _LAST_PROFILE
    if last[0] is patient and last[1] is claim:
        return last[2]
    profile = _profile_of(patient, claim)
    globals()["_LAST_PROFILE"] = (patient, claim, profile)
    return profile


_LAST_PROFILE: tuple[object, object, tuple[object, ...]] = (None, None, ())


def _profile_of(patient: Patient, claim: Claim) -> tuple[object, ...]:
    return (
        patient.scheme,
        patient.employee_status,
        claim.kind,
        claim.hospital_level,
        claim.location,
        claim.referral,
        claim.filed,
        claim.designated,
        patient.categories,
        patient.conditions,
        claim.tags,
        patient.age_on(claim.service_date),
        patient.service_years,
    )


#: Which row of a table a claim profile selects. A pure cache: clearing it changes no result.
_ROW_CACHE: dict[tuple[ParameterTable[Any], tuple[object, ...]], int] = {}
_ROW_CACHE_SIZE = 1 << 16


def _check_value(kind: str, value: Any) -> None:
    if kind == "amount":
        if not isinstance(value, Decimal):
            raise ValueError(f"an amount must be a Decimal, got {value!r}")
        amount(value, "value")
    elif kind == "rate":
        if not isinstance(value, Decimal):
            raise ValueError(f"a rate must be a Decimal, got {value!r}")
        rate(value, "value")
    elif kind == "months":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"a number of months must be a whole number >= 0, got {value!r}")
    elif kind == "schedule":
        if not isinstance(value, Schedule):
            raise ValueError(f"expected a Schedule, got {value!r}")
        _check_schedule(value)


def _check_schedule(schedule: Schedule) -> None:
    amount(schedule.threshold, "threshold")
    if schedule.basis not in BASIS:
        raise ValueError(f"basis {schedule.basis!r}: expected one of {', '.join(BASIS)}")
    if schedule.cap is not None:
        amount(schedule.cap, "cap")
    if not schedule.tiers:
        raise ValueError("a schedule needs at least one tier")
    expected_start = ZERO if schedule.basis == "above_threshold" else schedule.threshold
    for i, tier in enumerate(schedule.tiers):
        rate(tier.rate, f"tiers[{i}].rate")
        if tier.start != expected_start:
            raise ValueError(
                f"tiers[{i}] starts at {tier.start} but must start at {expected_start}: tiers are contiguous"
                + (
                    " and the first starts at 0 above the threshold"
                    if i == 0 and schedule.basis == "above_threshold"
                    else ""
                )
                + (" and the first starts at the threshold" if i == 0 and schedule.basis == "absolute" else "")
            )
        if tier.end is None:
            if i != len(schedule.tiers) - 1:
                raise ValueError(f"tiers[{i}] has no upper bound but is not the last tier")
        elif tier.end <= tier.start:
            raise ValueError(f"tiers[{i}] ends at {tier.end}, not above its start {tier.start}: tiers must ascend")
        else:
            expected_start = tier.end


Predicate = Callable[["RuleContext"], bool]


@attrs.frozen
class EligibilityRule:
    """A condition a claim must meet, and the reason given when it does not.

    ``check`` is a predicate over a :class:`RuleContext` (or the name of a built-in one, see
    :mod:`medinsure.rules.eligibility`). ``applies_to`` is ``"claim"`` (no fund pays when refused),
    or a tuple of benefit keys and ``"basic"``. ``when`` limits the claims the rule looks at.
    """

    id: str
    check: Predicate | str
    reason: str
    provenance: Provenance
    applies_to: str | tuple[str, ...] = "claim"
    when: Match = Match()
    start: dt.date | None = None
    end: dt.date | None = None


@attrs.frozen(cache_hash=True)
class Benefit:
    """A benefit paid on an annually accumulated base: secondary benefits and other funds.

    ``base`` says what accumulates: ``self_pay`` (in-scope self-pay after basic insurance:
    critical illness, over-burden subsidy), ``over_cap`` (in-scope cost above the basic pool's
    annual cap: large-amount subsidy) or ``residual`` (what the patient still owes of the
    in-scope cost after every earlier fund: medical assistance). ``counts`` lists the claim
    kinds whose amounts count; ``schemes`` the schemes covered. ``schedules`` is a table of
    :class:`Schedule` values: the first row matching the claim gives the function ``F``.
    A claim's payment is ``F(base after) - paid before``, so the year's total is ``F(total)``.
    """

    key: str
    component: str
    base: str
    schemes: tuple[str, ...]
    counts: tuple[str, ...]
    schedules: ParameterTable[Schedule]
    description: str = ""
    description_zh: str = ""


@attrs.frozen
class CombinedCap:
    """Within a year, the listed components together never exceed ``rate`` × in-scope cost.

    When a claim would exceed it, the components listed in ``reduce`` are cut in that order
    (the first listed first; of two benefits paying into one component, the later one first)
    until the claim is within the cap.
    """

    id: str
    components: tuple[str, ...]
    reduce: tuple[str, ...]
    rate: ParameterTable[Decimal]
    description: str = ""
    description_zh: str = ""


@attrs.frozen
class Jurisdiction:
    """A jurisdiction a plugin provides: its code, names and the parent it builds on."""

    code: str
    name: str
    name_en: str = ""
    parent: str | None = None
    version: str | None = None
    description: str = ""
    start: dt.date | None = None


@attrs.frozen
class RuleContext:
    """What an eligibility predicate sees: the patient, the claim, and the jurisdiction's tables."""

    patient: Patient
    claim: Claim
    lookup: Callable[[str], Resolved[Any] | None]

    def param(self, name: str) -> Any:
        found = self.lookup(name)
        return None if found is None else found.value
