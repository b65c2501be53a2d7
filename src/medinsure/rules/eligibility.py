"""Built-in eligibility checks a rule pack may name in ``check:``.

Each takes a :class:`~medinsure.rules.tables.RuleContext` and returns whether the claim passes.
Python plugins may also register any callable of that shape.

``insured``
    The person is covered on the service date. Without a contribution history the person is
    insured on every date. Otherwise a contribution period must cover the date, and coverage
    starts: at once for a period that continues the previous one without a gap and was paid
    before it began; for a first enrolment, on the first day of the month
    ``coverage.start_delay_months`` after the month of payment (1: "the month after paying");
    after a lapse (a gap, or a late payment), ``coverage.lapse_waiting_months`` later still.
``designated``
    The institution is designated (定点).
``filed_if_out_of_area``
    Care outside the insured region was filed (异地就医备案) beforehand.
``not_referred_out``
    The claim is not a referral out of the region (转外就医).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from dateutil.relativedelta import relativedelta

from medinsure.errors import RuleError
from medinsure.rules.tables import RuleContext

__all__ = ["BUILTIN_CHECKS", "REASONS_ZH", "coverage_start", "insured"]


def _months(ctx: RuleContext, name: str) -> int:
    value = ctx.param(name)
    if value is None:
        raise RuleError(
            f"the built-in check 'insured' needs the table {name!r} (kind: months) for this claim",
            rule=name,
        )
    return int(value)


def coverage_start(
    paid_on: dt.date, period_start: dt.date, *, delay_months: int, waiting_months: int, lapsed: bool
) -> dt.date:
    """First day of coverage for a contribution paid on ``paid_on`` for a period from ``period_start``."""
    first_of_month = paid_on.replace(day=1)
    start = first_of_month + relativedelta(months=delay_months + (waiting_months if lapsed else 0))
    return max(start, period_start)


def insured(ctx: RuleContext) -> bool:
    contributions = ctx.patient.contributions
    if not contributions:
        return True
    day = ctx.claim.service_date
    previous_end: dt.date | None = None
    for contribution in contributions:
        continuous = (
            previous_end is not None
            and contribution.start <= previous_end + dt.timedelta(days=1)
            and contribution.paid_on <= contribution.start
        )
        if contribution.start <= day <= contribution.end:
            if continuous:
                return True
            start = coverage_start(
                contribution.paid_on,
                contribution.start,
                delay_months=_months(ctx, "coverage.start_delay_months"),
                waiting_months=_months(ctx, "coverage.lapse_waiting_months"),
                lapsed=previous_end is not None,
            )
            return day >= start
        previous_end = contribution.end if previous_end is None else max(previous_end, contribution.end)
    return False


BUILTIN_CHECKS: dict[str, Callable[[RuleContext], bool]] = {
    "insured": insured,
    "designated": lambda ctx: ctx.claim.designated,
    "filed_if_out_of_area": lambda ctx: ctx.claim.location == "local" or ctx.claim.filed,
    "not_referred_out": lambda ctx: ctx.claim.referral != "referred_out",
}


#: The reason a built-in check gives in Chinese, for sheets in Chinese (a rule pack's ``reason``
#: is the English one).
REASONS_ZH: dict[str, str] = {
    "insured": "就医之日未处于参保缴费有效期内",
    "designated": "就医机构不是定点医疗机构",
    "filed_if_out_of_area": "异地就医未办理备案",
    "not_referred_out": "转外就医不享受此项待遇",
}
