"""Strict mode: refuse a settlement that would rest on values the user does not trust.

``Engine(..., strict=True)`` (or ``"unverified"``) refuses any settlement that would use a value
not verified against its source, a value carried forward past the last date its source speaks
for, or a refusal made by an eligibility rule that is not verified; ``strict="carried-forward"``
refuses only carried-forward values. The refusal is a :class:`~medinsure.errors.StrictRefusal`
naming the jurisdiction, the rule version, its value and why.

A claim's plan (:func:`~medinsure.settlement.plan.rules_used`) is checked before any amount is
computed, so that the batch path, which settles groups of claims from one plan, refuses what the
engine refuses; the settlement itself is checked again for the rules only some accumulators use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from medinsure.errors import InvalidInput, StrictRefusal
from medinsure.money import fmt, pct
from medinsure.rules.tables import Provenance, Resolved, Schedule
from medinsure.settlement.plan import Plan, rules_used
from medinsure.settlement.result import Refusal, RuleRef, Settlement

__all__ = ["STRICT_MODES", "check_plan", "check_settlement", "strict_mode"]

#: The strict modes: refuse unverified and carried-forward values, or carried-forward ones only.
STRICT_MODES = ("unverified", "carried-forward")


def strict_mode(value: bool | str | None) -> str | None:
    """The strict mode named by ``value``: None (off), ``"unverified"`` (also ``True``) or ``"carried-forward"``."""
    if value is None or value is False:
        return None
    if value is True:
        return "unverified"
    if isinstance(value, str) and value in STRICT_MODES:
        return value
    raise InvalidInput("strict", value, f"expected true, false or one of {', '.join(STRICT_MODES)}")


def _why(mode: str, provenance: Provenance, carried: bool, until: str | None, day: dt.date) -> str | None:
    if carried:
        return (
            f"is carried forward past {until}, the last date its source speaks for, to the claim's date"
            f" {day.isoformat()}"
        )
    if mode == "unverified" and not provenance.verified:
        note = " ".join(provenance.note.split())
        return "is not verified against its source" + (f" ({note})" if note else "")
    return None


def _refuse(jurisdiction: str, rule: str, value: str, why: str) -> StrictRefusal:
    return StrictRefusal(
        f"value '{value}' {why}; strict mode refuses it", jurisdiction=jurisdiction, rule=rule, value=value
    )


def _check_refusals(mode: str, jurisdiction: str, refusals: Iterable[Refusal]) -> None:
    if mode != "unverified":
        return
    for refusal in refusals:
        if not refusal.provenance.verified:
            note = " ".join(refusal.provenance.note.split())
            why = "comes from an eligibility rule not verified against its source" + (f" ({note})" if note else "")
            raise _refuse(jurisdiction, refusal.rule_id, f"refused: {refusal.reason}", why)


def _shown(plan: Plan, found: Resolved[Any]) -> str:
    value = found.value
    if isinstance(value, Schedule):
        return value.describe()
    if isinstance(value, Decimal):
        kind = plan.rules.find_table(found.table).kind
        return pct(value) if kind == "rate" else fmt(value)
    return str(value)


def check_plan(mode: str, plan: Plan, day: dt.date) -> None:
    """Raise :class:`StrictRefusal` when the plan's claim would rest on a value ``mode`` refuses."""
    for found in rules_used(plan):
        version = found.version
        until = version.end.isoformat() if version.end else None
        why = _why(mode, version.provenance, found.carried_forward, until, day)
        if why is not None:
            raise _refuse(plan.rules.code, found.version_id, _shown(plan, found), why)
    _check_refusals(mode, plan.rules.code, plan.refusals)


def check_settlement(mode: str, settlement: Settlement) -> None:
    """Raise :class:`StrictRefusal` when a settlement rests on a value ``mode`` refuses."""
    day = settlement.claim.service_date
    refs: Iterable[RuleRef] = settlement.rules
    for ref in refs:
        why = _why(mode, ref.provenance, ref.carried_forward, ref.until, day)
        if why is not None:
            raise _refuse(settlement.jurisdiction, ref.version_id, ref.value, why)
    _check_refusals(mode, settlement.jurisdiction, settlement.refusals)
