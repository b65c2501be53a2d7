"""Claims settled in order, one accumulator per person and policy year: :class:`PersonYears`.

Every caller that settles a sequence of claims — :meth:`Engine.settle
<medinsure.settlement.engine.Engine.settle>`, a claim file, a scenario file, the batch path's
fallback, the ledger's pre-settlement, re-settlement and verification — keeps the state here:
each claim is settled against the accumulator its person-year reached with the claims before
it, and that accumulator moves on. Memory grows with the number of person-years, never with
the number of claims.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from medinsure.model import Claim, Patient
from medinsure.settlement.accumulator import Accumulator
from medinsure.settlement.result import Settlement

if TYPE_CHECKING:
    from medinsure.settlement.engine import Engine

__all__ = ["PersonYears"]

#: The accumulator a person-year starts from, or None for an empty one.
Start = Callable[[str, int], "Accumulator | None"]


class PersonYears:
    """The accumulators of the person-years settled so far.

    ``start(person_id, year)`` gives the state a person-year starts from the first time one of
    its claims is settled (a ledger's stored accumulator, the accumulator before a reversed
    claim); by default every person-year starts empty.
    """

    def __init__(self, engine: Engine, start: Start | None = None) -> None:
        self.engine = engine
        self._start = start
        self._state: dict[tuple[str, int], Accumulator | None] = {}

    def settle(self, patient: Patient, claim: Claim, *, jurisdiction: str) -> Settlement:
        """Settle ``claim`` after the claims of its person-year settled before it."""
        key = (patient.id, claim.year)
        settlement = self.engine.settle_claim(patient, claim, jurisdiction=jurisdiction, accumulator=self._now(key))
        self._state[key] = settlement.accumulator_after
        return settlement

    def accumulator(self, person_id: str, year: int) -> Accumulator:
        """Where a person-year stands now (its starting state when none of its claims was settled)."""
        return self._now((person_id, year)) or Accumulator.empty(person_id, year)

    def _now(self, key: tuple[str, int]) -> Accumulator | None:
        if key in self._state:
            return self._state[key]
        return None if self._start is None else self._start(*key)
