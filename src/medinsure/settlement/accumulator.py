"""The annual accumulator: what a person has used in one policy year.

An :class:`Accumulator` is immutable. Settling a claim yields a :class:`Delta`; applying it
returns a new accumulator. The policy year is the calendar year of the service date, so an
accumulator belongs to one person and one year. :meth:`Accumulator.from_mapping` reads one
from input (the ``accumulator_after`` of the year's last settlement, say), checking every field.
"""

from __future__ import annotations

import re
from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from decimal import Decimal
from typing import Any

import attrs

from medinsure import money
from medinsure.errors import InvalidInput
from medinsure.money import ZERO
from medinsure.rules.names import COMPONENTS

__all__ = ["Accumulator", "Amounts", "Delta"]


def _items(value: Any) -> tuple[tuple[str, Decimal], ...]:
    if isinstance(value, Amounts):
        return value.items_
    if not value:
        return ()
    items = []
    for key, amount in dict(value).items():
        if not isinstance(amount, Decimal):
            amount = Decimal(amount)
        if amount:
            items.append((str(key), amount))
    items.sort()
    return tuple(items)


@attrs.frozen
class Amounts(Mapping[str, Decimal]):
    """An immutable mapping of names to amounts; a missing name reads as zero."""

    items_: tuple[tuple[str, Decimal], ...] = attrs.field(default=(), converter=_items)

    def __getitem__(self, key: str) -> Decimal:
        for name, value in self.items_:
            if name == key:
                return value
        return ZERO

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self.items_)

    def __len__(self) -> int:
        return len(self.items_)

    def __contains__(self, key: object) -> bool:
        return any(name == key for name, _ in self.items_)

    def items(self) -> ItemsView[str, Decimal]:
        return _Items(self)

    def values(self) -> ValuesView[Decimal]:
        return _Values(self)

    def plus(self, other: Mapping[str, Decimal]) -> Amounts:
        if not other:
            return self
        mine = self.items_
        merged = dict(mine)
        for name, value in other.items_ if isinstance(other, Amounts) else other.items():
            merged[name] = merged.get(name, ZERO) + value
        if len(merged) == len(mine):  # the same names: already in order
            return Amounts._trusted(tuple((k, merged[k]) for k, _ in mine if merged[k]))
        return Amounts._trusted(tuple(sorted((k, v) for k, v in merged.items() if v)))

    @classmethod
    def of(cls, amounts: Mapping[str, Decimal]) -> Amounts:
        """Amounts from a mapping whose values are already ``Decimal`` (zeros are dropped)."""
        if len(amounts) <= 1:
            return cls._trusted(tuple(item for item in amounts.items() if item[1]))
        return cls._trusted(tuple(sorted(item for item in amounts.items() if item[1])))

    @classmethod
    def _trusted(cls, items: tuple[tuple[str, Decimal], ...]) -> Amounts:
        """An instance from items already sorted, non-zero and of the right types (no conversion)."""
        instance = object.__new__(cls)
        object.__setattr__(instance, "items_", items)
        return instance


class _Items(ItemsView[str, Decimal]):
    """The items of :class:`Amounts`, read from its pairs (not looked up name by name)."""

    _mapping: Amounts

    def __iter__(self) -> Iterator[tuple[str, Decimal]]:
        return iter(self._mapping.items_)


class _Values(ValuesView[Decimal]):
    """The values of :class:`Amounts`, read from its pairs."""

    _mapping: Amounts

    def __iter__(self) -> Iterator[Decimal]:
        return (value for _, value in self._mapping.items_)


@attrs.frozen
class Delta:
    """What one settled claim adds to its person-year."""

    in_scope: Decimal = ZERO
    basic_pool: Decimal = ZERO
    admissions: int = 0
    claims: int = 0
    bases: Amounts = Amounts()
    paid: Amounts = Amounts()
    components: Amounts = Amounts()
    #: Stays settled in part (中途结算): a stay's id and the deductible its parts have paid so far,
    #: or None when this claim was its last part (the stay is closed).
    stays: tuple[tuple[str, Decimal | None], ...] = ()


@attrs.frozen
class Accumulator:
    """One person's totals in one policy year.

    - ``in_scope``: in-scope cost of the year's eligible claims (for combined caps);
    - ``basic_pool``: paid by the basic pool (for its annual cap);
    - ``admissions`` and ``claims``: counts of eligible inpatient and of all claims;
    - ``bases``: per benefit key, the base accumulated (in-scope self-pay of the claim kinds
      the benefit counts, cost above the basic cap, or the residual);
    - ``paid``: per benefit key, what the benefit paid (for its annual cap);
    - ``components``: per settlement component, what was paid in the year;
    - ``open_stays``: the stays with an interim settlement (中途结算) whose discharge is still to
      be settled, by ``mdtrt_id``, each with the deductible its parts have paid: a later part
      pays only what remains of the deductible and counts no new admission.
    """

    person_id: str
    year: int
    in_scope: Decimal = ZERO
    basic_pool: Decimal = ZERO
    admissions: int = 0
    claims: int = 0
    bases: Amounts = Amounts()
    paid: Amounts = Amounts()
    components: Amounts = Amounts()
    open_stays: tuple[tuple[str, Decimal], ...] = ()

    def stay_deductible(self, stay: str) -> Decimal | None:
        """The deductible paid so far by the open stay ``stay``; None when it is not open."""
        return next((paid for key, paid in self.open_stays if key == stay), None)

    @classmethod
    def empty(cls, person_id: str, year: int) -> Accumulator:
        return cls(person_id=person_id, year=year)

    FIELDS = (
        "person_id", "year", "in_scope", "basic_pool", "admissions", "claims", "bases", "paid", "components",
        "open_stays",
    )  # fmt: skip

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, owner: str = "accumulator") -> Accumulator:
        """A person-year's state from a mapping in the form of :meth:`to_dict`.

        ``person_id`` and ``year`` are required; a missing amount or count is zero. ``bases``
        and ``paid`` map benefit keys, ``components`` component names, and ``open_stays`` the
        ``mdtrt_id`` of each stay with an interim settlement, to amounts. Errors name the field as
        ``OWNER.FIELD`` and the value; unknown keys are refused.
        """
        if not isinstance(data, Mapping):
            raise InvalidInput(owner, data, "expected a mapping of field names to values")
        for key in data:
            if key not in cls.FIELDS:
                raise InvalidInput(f"{owner}.{key}", data[key], f"unknown key (allowed: {', '.join(cls.FIELDS)})")
        for key in ("person_id", "year"):
            if data.get(key) is None:
                raise InvalidInput(f"{owner}.{key}", None, "required")
        person_id = data["person_id"]
        if isinstance(person_id, bool) or not isinstance(person_id, (str, int)) or not str(person_id).strip():
            raise InvalidInput(f"{owner}.person_id", person_id, "expected text")
        return cls(
            person_id=str(person_id).strip(),
            year=_whole(f"{owner}.year", data["year"], 1, 9999),
            in_scope=money.amount(data.get("in_scope", ZERO), f"{owner}.in_scope"),
            basic_pool=money.amount(data.get("basic_pool", ZERO), f"{owner}.basic_pool"),
            admissions=_whole(f"{owner}.admissions", data.get("admissions", 0)),
            claims=_whole(f"{owner}.claims", data.get("claims", 0)),
            bases=_named_amounts(f"{owner}.bases", data.get("bases")),
            paid=_named_amounts(f"{owner}.paid", data.get("paid")),
            components=_named_amounts(f"{owner}.components", data.get("components"), COMPONENTS),
            open_stays=_open_stays(f"{owner}.open_stays", data.get("open_stays")),
        )

    def plus(self, delta: Delta) -> Accumulator:
        return Accumulator(
            person_id=self.person_id,
            year=self.year,
            in_scope=self.in_scope + delta.in_scope,
            basic_pool=self.basic_pool + delta.basic_pool,
            admissions=self.admissions + delta.admissions,
            claims=self.claims + delta.claims,
            bases=self.bases.plus(delta.bases),
            paid=self.paid.plus(delta.paid),
            components=self.components.plus(delta.components),
            open_stays=_stays(self.open_stays, delta.stays) if delta.stays else self.open_stays,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "year": self.year,
            "in_scope": str(self.in_scope),
            "basic_pool": str(self.basic_pool),
            "admissions": self.admissions,
            "claims": self.claims,
            "bases": {k: str(v) for k, v in self.bases.items()},
            "paid": {k: str(v) for k, v in self.paid.items()},
            "components": {k: str(v) for k, v in self.components.items()},
            **({"open_stays": {k: str(v) for k, v in self.open_stays}} if self.open_stays else {}),
        }


_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _whole(field: str, value: Any, low: int = 0, high: int | None = None) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        limit = f"{low} to {high}" if high is not None else f"at least {low}"
        raise InvalidInput(field, value, f"expected a whole number ({limit})")
    return value


def _named_amounts(field: str, value: Any, names: tuple[str, ...] | None = None) -> Amounts:
    if value is None:
        return Amounts()
    if not isinstance(value, Mapping):
        raise InvalidInput(field, value, "expected a mapping of names to amounts")
    out = {}
    for key, raw in value.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise InvalidInput(field, key, "a name is lower-case snake_case text")
        if names is not None and key not in names:
            raise InvalidInput(f"{field}.{key}", raw, f"unknown component (components: {', '.join(names)})")
        out[key] = money.amount(raw, f"{field}.{key}")
    return Amounts.of(out)


def _open_stays(field: str, value: Any) -> tuple[tuple[str, Decimal], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise InvalidInput(field, value, "expected a mapping of stay ids (mdtrt_id) to the deductible paid")
    out = []
    for key, raw in value.items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidInput(field, key, "a stay id is text")
        out.append((key.strip(), money.amount(raw, f"{field}.{key}")))
    return tuple(sorted(out))


def _stays(
    open_stays: tuple[tuple[str, Decimal], ...], changes: tuple[tuple[str, Decimal | None], ...]
) -> tuple[tuple[str, Decimal], ...]:
    stays = dict(open_stays)
    for stay, paid in changes:
        if paid is None:
            stays.pop(stay, None)
        else:
            stays[stay] = paid
    return tuple(sorted(stays.items()))
