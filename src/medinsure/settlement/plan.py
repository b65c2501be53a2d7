"""What the rules say for one claim, before any amount: the :class:`Plan`.

A plan holds the rule versions that apply to a claim — the eligibility refusals, the basic
deductible, ratio and cap, each benefit's schedule in the order of its stage, each combined
cap's rate — found for the claim's patient, kind, level, date and so on, but not for the
year's accumulator. The scalar engine settles a claim from its plan and the accumulator; the
batch path asks for one plan per group of alike claims and settles the group's rows from it
with the same formulas (:mod:`medinsure.settlement.formulas`). Making a plan raises every
error that settling the claim would raise.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import attrs

from medinsure.errors import InvalidInput, PluginError, RuleError, RuleNotInForce
from medinsure.model import HOSPITAL_LEVELS, Claim, Patient
from medinsure.rules.eligibility import BUILTIN_CHECKS, REASONS_ZH
from medinsure.rules.names import BASIC_DEDUCTIBLE, BASIC_POOL_CAP, BASIC_RATIO
from medinsure.rules.registry import JurisdictionRules
from medinsure.rules.tables import Benefit, CombinedCap, ParameterTable, Resolved, RuleContext, Schedule
from medinsure.settlement.result import Refusal

__all__ = ["BasicPlan", "BenefitPlan", "CapPlan", "GivenBasicPlan", "Plan", "make_plan", "rules_used"]


@attrs.frozen
class BasicPlan:
    """The basic insurance rules of a claim the library settles itself."""

    deductible: Resolved[Decimal]
    ratio: Resolved[Decimal]
    cap: Resolved[Decimal] | None


@attrs.frozen
class GivenBasicPlan:
    """The rules a basic settlement made elsewhere is read against.

    ``cap`` is the annual pool cap its pool counts toward (None: no cap in force, nothing is
    checked). When a benefit on the cost above the cap covers the claim, ``ratio`` is the pool
    ratio that tells what part of the cost the given pool paid for, and ``level_missing`` says
    that the ratio depends on a hospital level the claim does not give. Both are used only when
    the given pool reaches the cap.
    """

    cap: Resolved[Decimal] | None
    ratio: Resolved[Decimal] | None = None
    level_missing: bool = False


@attrs.frozen
class BenefitPlan:
    """One benefit of the jurisdiction for this claim.

    ``applies`` is False when the benefit does not cover the claim's scheme or kind, or the
    whole claim is refused; ``refusal`` names the rule that keeps an applying benefit from
    counting and paying; ``schedule`` is the version of ``F`` in force (None: no row matches).
    """

    owner: str
    benefit: Benefit
    applies: bool
    refusal: Refusal | None
    schedule: Resolved[Schedule] | None

    @property
    def pays(self) -> bool:
        """Whether the benefit counts this claim and pays on it by a schedule."""
        return self.applies and self.refusal is None and self.schedule is not None


@attrs.frozen
class CapPlan:
    """A combined cap and its rate in force for the claim (None: no row matches)."""

    owner: str
    cap: CombinedCap
    rate: Resolved[Decimal] | None


@attrs.frozen
class Plan:
    """The rules of one claim (see the module documentation).

    ``basic`` is set when the library settles basic insurance itself (no basic settlement
    given, nothing refuses it, a ratio applies); ``basic_note`` says otherwise why not:
    ``"refused"`` (by ``refusals``), ``"given"`` (a basic settlement made elsewhere) or
    ``"no_ratio"`` (basic insurance does not cover the claim). ``benefits`` lists every
    benefit in the order of its stage (:data:`~medinsure.rules.names.BASES`), ``caps`` every
    combined cap (rates looked up only when the claim is not refused). ``looked_up`` are the
    tables the eligibility checks read. ``given`` is set for a basic settlement made elsewhere
    (``basic_note == "given"``).
    """

    rules: JurisdictionRules
    refusals: tuple[Refusal, ...]
    looked_up: tuple[Resolved[Any], ...]
    basic: BasicPlan | None
    basic_note: str
    benefits: tuple[BenefitPlan, ...]
    caps: tuple[CapPlan, ...]
    given: GivenBasicPlan | None = None

    @property
    def refused_all(self) -> bool:
        return any(r.applies_to == "claim" for r in self.refusals)

    def refusal(self, target: str) -> Refusal | None:
        """The first refusal that covers ``target`` (``basic``, a benefit key or a fund)."""
        return next((r for r in self.refusals if r.covers(target)), None)


def make_plan(rules: JurisdictionRules, patient: Patient, claim: Claim) -> Plan:
    """The plan of ``claim``: raises what settling it would raise (rules not in force, ...)."""
    day = claim.service_date
    looked_up: list[Resolved[Any]] = []

    def lookup(name: str) -> Resolved[Any] | None:
        entry = rules.table(name)
        return None if entry is None else entry[1].lookup(entry[0], patient, claim)

    def lookup_and_record(name: str) -> Resolved[Any] | None:
        found = lookup(name)
        if found is not None:
            looked_up.append(found)
        return found

    refusals: list[Refusal] = []
    ctx = RuleContext(patient, claim, lookup_and_record)
    for owner, rule in rules.eligibility:
        if (rule.start is not None and day < rule.start) or (rule.end is not None and day > rule.end):
            continue
        if not rule.when.matches(patient, claim):
            continue
        check = BUILTIN_CHECKS[rule.check] if isinstance(rule.check, str) else rule.check
        try:
            passed = check(ctx)
        except RuleError as exc:
            raise RuleError(str(exc), jurisdiction=owner, rule=f"eligibility.{rule.id}") from None
        except Exception as exc:  # a plugin's own check: its failure is the plugin's, named
            raise PluginError(
                _check_failed(rules, owner, rule.id, f"raised {type(exc).__name__}: {exc}", claim)
            ) from exc
        if not isinstance(passed, bool):
            raise PluginError(_check_failed(rules, owner, rule.id, f"returned {passed!r}, not True or False", claim))
        if not passed:
            reason_zh = REASONS_ZH.get(rule.check, "") if isinstance(rule.check, str) else ""
            refusals.append(
                Refusal(f"{owner}/eligibility.{rule.id}", rule.applies_to, rule.reason, rule.provenance, reason_zh)
            )
    if rules.start is not None and day < rules.start:
        raise RuleNotInForce(
            f"no rules in force on {day.isoformat()}: the jurisdiction's rules start {rules.start.isoformat()}",
            jurisdiction=rules.code,
            value=day.isoformat(),
        )
    refused_all = any(r.applies_to == "claim" for r in refusals)

    def refusal(target: str) -> Refusal | None:
        return next((r for r in refusals if r.covers(target)), None) if refusals else None

    basic: BasicPlan | None = None
    if refused_all:
        note = "refused"
    elif claim.basic is not None:
        note = "given"
    elif refusal("basic") is not None:
        note = "refused"
    else:
        ratio = lookup(BASIC_RATIO)
        if claim.hospital_level is None and _needs_level(rules, patient, claim, ratio):
            raise InvalidInput(
                "claim.hospital_level",
                None,
                "required to settle basic insurance for this claim (or give basic: {pool, in_scope_self_pay})",
            )
        if ratio is None:
            note = "no_ratio"
        else:
            deductible = lookup(BASIC_DEDUCTIBLE)
            if deductible is None:
                raise RuleError(
                    f"no row of {BASIC_DEDUCTIBLE} matches the claim ({describe_claim(patient, claim)})",
                    jurisdiction=rules.code,
                    rule=BASIC_DEDUCTIBLE,
                )
            note = "computed"
            basic = BasicPlan(deductible, ratio, lookup(BASIC_POOL_CAP))

    benefits: list[BenefitPlan] = []
    for owner, benefit in rules.staged_benefits:
        if refused_all or patient.scheme not in benefit.schemes or claim.kind not in benefit.counts:
            benefits.append(_not_applying(owner, benefit))
            continue
        refused = refusal(benefit.key) or refusal(benefit.component)
        schedule = None if refused is not None else benefit.schedules.lookup(owner, patient, claim)
        benefits.append(BenefitPlan(owner, benefit, True, refused, schedule))
    caps = tuple(
        CapPlan(owner, cap, None if refused_all else cap.rate.lookup(owner, patient, claim))
        for owner, cap in rules.combined_caps
    )
    given = None
    if note == "given":
        over_cap = refusal("basic") is None and any(b.pays and b.benefit.base == "over_cap" for b in benefits)
        given = _given_plan(rules, patient, claim, over_cap)
    return Plan(rules, tuple(refusals), tuple(looked_up), basic, note, tuple(benefits), caps, given)


def _given_plan(rules: JurisdictionRules, patient: Patient, claim: Claim, over_cap: bool) -> GivenBasicPlan:
    """The cap a given pool counts toward and, where the cost above it is paid, the ratio.

    A rule not in force on the service date is not in force for the check either: a pool given
    where no cap is known is taken as it is.
    """

    def lookup(name: str) -> Resolved[Any] | None:
        entry = rules.table(name)
        if entry is None:
            return None
        try:
            return entry[1].lookup(entry[0], patient, claim)
        except RuleNotInForce:
            return None

    cap = lookup(BASIC_POOL_CAP)
    if cap is None or not over_cap:
        return GivenBasicPlan(cap)
    ratio = lookup(BASIC_RATIO)
    if claim.hospital_level is None and _needs_level(rules, patient, claim, ratio):
        return GivenBasicPlan(cap, None, level_missing=True)
    return GivenBasicPlan(cap, ratio)


def rules_used(plan: Plan) -> list[Resolved[Any]]:
    """The rule versions every settlement of the plan's claim uses, whatever its accumulator.

    The rules a given basic settlement is read against (:class:`GivenBasicPlan`) are used only
    when its pool reaches the cap, so they are not listed.
    """
    used: list[Resolved[Any]] = list(plan.looked_up)
    if plan.basic is not None:
        used += [plan.basic.deductible, plan.basic.ratio]
        if plan.basic.cap is not None:
            used.append(plan.basic.cap)
    used += [item.schedule for item in plan.benefits if item.pays and item.schedule is not None]
    if not plan.refused_all:
        used += [item.rate for item in plan.caps if item.rate is not None]
    return used


@functools.lru_cache(maxsize=1024)
def _not_applying(owner: str, benefit: Benefit) -> BenefitPlan:
    return BenefitPlan(owner, benefit, False, None, None)


def _needs_level(rules: JurisdictionRules, patient: Patient, claim: Claim, found: Resolved[Any] | None) -> bool:
    """Whether the ratio row chosen for a claim without a hospital level would change with one."""
    entry = rules.table(BASIC_RATIO)
    if entry is None:
        return False
    table: ParameterTable[Any] = entry[1]
    chosen = None if found is None else found.row
    for level in HOSPITAL_LEVELS:
        probe = attrs.evolve(claim, hospital_level=level)
        for row in table.rows:
            if row.when.matches(patient, probe):
                if row.name != chosen:
                    return True
                break
    return False


def describe_claim(patient: Patient, claim: Claim) -> str:
    """What the rules match on, for a message: ``scheme=resident, kind=inpatient, ...``."""
    parts = [f"scheme={patient.scheme}", f"kind={claim.kind}", f"hospital_level={claim.hospital_level}"]
    if patient.employee_status:
        parts.append(f"status={patient.employee_status}")
    return ", ".join(parts)


def _check_failed(rules: JurisdictionRules, owner: str, rule_id: str, what: str, claim: Claim) -> str:
    """How a plugin's eligibility check that failed is named: plugin, jurisdiction, check and claim."""
    plugin = rules.owners.get(owner, owner)
    return f"plugin {plugin!r}, jurisdiction {owner!r}: eligibility check {rule_id!r} {what} (claim {claim.id!r})"
