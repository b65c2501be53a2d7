"""Built-in eligibility checks a rule pack may name in ``check:``.

Each takes a :class:`~medinsure.rules.tables.RuleContext` and returns whether the claim passes.
Python plugins may also register any callable of that shape.

A contribution record (:class:`~medinsure.model.Contribution`) says when it was paid
(``paid_on``) and the period it pays for (``from`` – ``to``). The two coverage checks read the
records in order of their periods and judge coverage on the day a stay began (``admitted``),
or on the service date when the claim has no admission date: a stay that began while the person
was covered is covered whole. Without a contribution history the person is covered on every
date.

``insured``
    Coverage by the period each payment covers (employees: monthly or yearly contributions).
    Contributions are *continuous* when each record's period begins no later than the day after
    the previous one ends, whenever within its period the record was paid; a gap between
    periods, or a record paid only after its period ended, is an *interruption* (断缴). The
    first record (a first enrolment) covers from the first day of the month
    ``coverage.start_delay_months`` after the month of payment ("the month after paying");
    the record after an interruption covers from ``coverage.lapse_waiting_months`` after the
    day it was paid (the observation period after paying again); a continuous record covers
    its whole period, and so do the records that continue it once coverage has begun.
``insured_policy_year``
    Coverage by policy year (residents, whose contribution pays for a calendar year). A first
    enrolment covers from the month ``coverage.start_delay_months`` after the month of
    payment, as for ``insured``; every later record covers its period from the first policy
    year that begins after the payment: paid in the collection season, next year; paid in the
    middle of its own year (late, or after a lapse), from the next policy year on, so not the
    year it was paid in.
``designated``
    The institution is designated (定点).
``filed_if_out_of_area``
    Care outside the insured region was filed (异地就医备案) beforehand.
``not_referred_out``
    The claim is not a referral out of the region (转外就医).
``refuse``
    Refuses every claim the rule's ``when`` selects: a jurisdiction whose rules do not cover a
    group of claims says so, instead of settling them on rules meant for others.
``birth_date_given``
    The patient's birth date is given (for rules that differ by age).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from dateutil.relativedelta import relativedelta

from medinsure.errors import RuleError
from medinsure.rules.names import COVERAGE_LAPSE_WAITING, COVERAGE_START_DELAY
from medinsure.rules.tables import RuleContext

__all__ = ["BUILTIN_CHECKS", "REASONS_ZH", "coverage_day", "insured", "insured_policy_year"]


def _months(ctx: RuleContext, name: str, check: str) -> int:
    value = ctx.param(name)
    if value is None:
        raise RuleError(
            f"the built-in check {check!r} needs the table {name!r} (kind: months) for this claim",
            rule=name,
        )
    return int(value)


def coverage_day(ctx: RuleContext) -> dt.date:
    """The day coverage is judged on: the admission date of a stay, else the service date."""
    return ctx.claim.admitted or ctx.claim.service_date


def _first_enrolment(ctx: RuleContext, paid_on: dt.date, check: str) -> dt.date:
    """缴费次月: the first day of the month ``coverage.start_delay_months`` after the month of payment."""
    return paid_on.replace(day=1) + relativedelta(months=_months(ctx, COVERAGE_START_DELAY, check))


def insured(ctx: RuleContext) -> bool:
    """Covered on the coverage day, contributions judged by the period each one pays for."""
    contributions = ctx.patient.contributions
    if not contributions:
        return True
    day = coverage_day(ctx)
    covered_from = dt.date.min
    previous_end: dt.date | None = None
    for record in contributions:
        if previous_end is None:
            covered_from = max(record.start, _first_enrolment(ctx, record.paid_on, "insured"))
        elif record.start > previous_end + dt.timedelta(days=1) or record.paid_on > record.end:
            waiting = _months(ctx, COVERAGE_LAPSE_WAITING, "insured")
            covered_from = max(record.start, record.paid_on + relativedelta(months=waiting))
        if record.start <= day <= record.end:
            return day >= covered_from
        previous_end = record.end if previous_end is None else max(previous_end, record.end)
    return False


def insured_policy_year(ctx: RuleContext) -> bool:
    """Covered on the coverage day, each contribution paying for a policy year (residents)."""
    contributions = ctx.patient.contributions
    if not contributions:
        return True
    day = coverage_day(ctx)
    first = True
    for record in contributions:
        if first:
            covered_from = _first_enrolment(ctx, record.paid_on, "insured_policy_year")
            first = False
        else:
            covered_from = dt.date(record.paid_on.year + 1, 1, 1)
        if record.start <= day <= record.end:
            return day >= max(record.start, covered_from)
    return False


BUILTIN_CHECKS: dict[str, Callable[[RuleContext], bool]] = {
    "insured": insured,
    "insured_policy_year": insured_policy_year,
    "designated": lambda ctx: ctx.claim.designated,
    "filed_if_out_of_area": lambda ctx: ctx.claim.location == "local" or ctx.claim.filed,
    "not_referred_out": lambda ctx: ctx.claim.referral != "referred_out",
    "refuse": lambda ctx: False,
    "birth_date_given": lambda ctx: ctx.patient.birth_date is not None,
}


#: The reason a built-in check gives in Chinese, for sheets in Chinese (a rule pack's ``reason``
#: is the English one).
REASONS_ZH: dict[str, str] = {
    "insured": "就医之日未处于参保缴费有效期内",
    "insured_policy_year": "就医之日未处于参保缴费有效期内（城乡居民按参保年度生效）",
    "designated": "就医机构不是定点医疗机构",
    "filed_if_out_of_area": "异地就医未办理备案",
    "not_referred_out": "转外就医不享受此项待遇",
    "refuse": "本地规则不适用于此类就医",
    "birth_date_given": "未提供出生日期，无法按年龄适用规则",
}
