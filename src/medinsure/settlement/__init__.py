"""Settling claims: the engine, a claim's plan, the arithmetic, the accumulator, the result.

- :mod:`.plan`: the rule versions that apply to one claim (:class:`Plan`);
- :mod:`.formulas`: the arithmetic in integer fen, shared by the engine and the batch path;
- :mod:`.accumulator`: one person's totals in one policy year;
- :mod:`.engine`: :class:`Engine`, which settles a claim from its plan and accumulator;
- :mod:`.years`: claims settled in order, one accumulator per person-year;
- :mod:`.result`: :class:`Settlement`, its lines and the rule versions it used.
"""

from __future__ import annotations

from medinsure.settlement.accumulator import Accumulator, Amounts, Delta
from medinsure.settlement.engine import Engine
from medinsure.settlement.plan import Plan
from medinsure.settlement.result import BenefitResult, Line, Refusal, RuleRef, Settlement
from medinsure.settlement.years import PersonYears

__all__ = [
    "Accumulator",
    "Amounts",
    "BenefitResult",
    "Delta",
    "Engine",
    "Line",
    "PersonYears",
    "Plan",
    "Refusal",
    "RuleRef",
    "Settlement",
]
