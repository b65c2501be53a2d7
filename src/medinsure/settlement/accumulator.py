"""The annual accumulator: what a person has used in one policy year.

An :class:`Accumulator` is immutable. Settling a claim yields a :class:`Delta`; applying it
returns a new accumulator. The policy year is the calendar year of the service date, so an
accumulator belongs to one person and one year.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from medinsure.money import ZERO

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
