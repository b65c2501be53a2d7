"""Value types: :class:`Patient`, :class:`Contribution`, :class:`Claim`, :class:`BasicResult`.

All are frozen attrs classes validated on construction. Build them from plain mappings (a
scenario file, a CSV row, JSON) with the named constructors :meth:`Patient.from_mapping` and
:meth:`Claim.from_mapping`: they reject unknown keys and name the field and value at fault.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from medinsure.errors import InvalidInput
from medinsure.money import ZERO, amount

__all__ = [
    "CATEGORIES",
    "CLAIM_KINDS",
    "CONDITIONS",
    "HOSPITAL_LEVELS",
    "LOCATIONS",
    "REFERRALS",
    "SCHEMES",
    "STATUSES",
    "WHITESPACE",
    "BasicResult",
    "Claim",
    "Contribution",
    "Patient",
    "is_plain_text",
    "whole_years",
]

SCHEMES = ("resident", "employee")
STATUSES = ("in_service", "retired")
CLAIM_KINDS = (
    "inpatient",
    "outpatient",
    "outpatient_dialysis",
    "outpatient_radiotherapy",
    "outpatient_special",
    "negotiated_drug",
    "pku",
)
HOSPITAL_LEVELS = ("tertiary", "secondary", "primary", "community")
REFERRALS = ("none", "referred_out")
LOCATIONS = ("local", "in_province", "out_of_province")
#: Categories the core knows; a jurisdiction's rules may name more.
CATEGORIES = ("minimum_living", "extreme_poverty", "low_income", "student")
#: Conditions the core knows; a jurisdiction's rules may name more.
CONDITIONS = ("childhood_blood_disease", "childhood_malignant_tumor", "pku")

_TERM = re.compile(r"^[a-z][a-z0-9_]*$")


#: Every character ``str.strip`` removes: ids are compared with it stripped, by every path.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def is_plain_text(text: str) -> bool:
    """Whether ``text`` holds no control character and no lone surrogate: what an id may be.

    Neither can be stored as text by every database (PostgreSQL refuses NUL) or written as UTF-8.
    """
    return not any(unicodedata.category(c) in ("Cc", "Cs") for c in text)


def whole_years(born_year: Any, born_month_day: Any, on_year: Any, on_month_day: Any) -> Any:
    """Whole years from a birth to a day; a month-day is ``month × 32 + day``.

    For one person (``int``) or many (numpy arrays): :meth:`Patient.age_on` and the batch path
    both count ages with it.
    """
    return on_year - born_year - (on_month_day < born_month_day)


# --- converters that name the field they convert -------------------------------------------


def _choice(owner: str, name: str, choices: tuple[str, ...]) -> Any:
    def convert(value: Any) -> str:
        if value not in choices:
            raise InvalidInput(f"{owner}.{name}", value, f"expected one of {', '.join(choices)}")
        return str(value)

    return convert


def _optional_choice(owner: str, name: str, choices: tuple[str, ...]) -> Any:
    inner = _choice(owner, name, choices)

    def convert(value: Any) -> str | None:
        return None if value is None else inner(value)

    return convert


def _date(field: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise InvalidInput(field, value, "expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(field, value, "expected a date written YYYY-MM-DD")


def _date_conv(owner: str, name: str) -> Any:
    return lambda value: _date(f"{owner}.{name}", value)


def _optional_date_conv(owner: str, name: str) -> Any:
    return lambda value: None if value is None else _date(f"{owner}.{name}", value)


def _amount_conv(owner: str, name: str) -> Any:
    return lambda value: amount(value, f"{owner}.{name}")


def _text_conv(owner: str, name: str) -> Any:
    def convert(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise InvalidInput(f"{owner}.{name}", value, "expected text")
        text = str(value).strip()
        if not text:
            raise InvalidInput(f"{owner}.{name}", value, "must not be empty")
        if not is_plain_text(text):
            raise InvalidInput(f"{owner}.{name}", value, "must not hold control characters or lone surrogates")
        return text

    return convert


def _terms_conv(owner: str, name: str) -> Any:
    def convert(value: Any) -> frozenset[str]:
        if value is None:
            return frozenset()
        if isinstance(value, str):
            value = [v for v in (part.strip() for part in value.split(",")) if v]
        if not isinstance(value, Iterable) or isinstance(value, Mapping):
            raise InvalidInput(f"{owner}.{name}", value, "expected a list of terms")
        terms = []
        for term in value:
            if not isinstance(term, str) or not _TERM.match(term):
                raise InvalidInput(f"{owner}.{name}", term, "a term is lower-case snake_case text")
            terms.append(term)
        return frozenset(terms)

    return convert


def _bool_conv(owner: str, name: str) -> Any:
    def convert(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise InvalidInput(f"{owner}.{name}", value, "expected true or false")

    return convert


def _check_keys(owner: str, data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    if not isinstance(data, Mapping):
        raise InvalidInput(owner, data, "expected a mapping of field names to values")
    allowed = set(allowed)
    for key in data:
        if key not in allowed:
            raise InvalidInput(f"{owner}.{key}", data[key], f"unknown key (allowed: {', '.join(sorted(allowed))})")


# --- contributions and patients --------------------------------------------------------------


@attrs.frozen
class Contribution:
    """One payment of contributions: paid on ``paid_on``, for coverage from ``start`` to ``end``.

    Eligibility rules read the contribution history to decide whether the person is insured on
    a service date: when coverage takes effect after a first payment, and whether a gap between
    two periods (a lapse, 断缴) brings a waiting period.
    """

    paid_on: dt.date = attrs.field(converter=lambda v: _date_conv("contribution", "paid_on")(v))
    start: dt.date = attrs.field(converter=lambda v: _date_conv("contribution", "start")(v))
    end: dt.date = attrs.field(converter=lambda v: _date_conv("contribution", "end")(v))

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput("contribution.end", self.end.isoformat(), f"before start {self.start.isoformat()}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Contribution:
        _check_keys("contribution", data, ("paid_on", "from", "to"))
        for key in ("paid_on", "from", "to"):
            if key not in data:
                raise InvalidInput(f"contribution.{key}", None, "required")
        return cls(paid_on=data["paid_on"], start=data["from"], end=data["to"])


def _contributions_conv(value: Any) -> tuple[Contribution, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise InvalidInput("patient.contributions", value, "expected a list of contributions")
    out = []
    for i, item in enumerate(value):
        try:
            out.append(item if isinstance(item, Contribution) else Contribution.from_mapping(item))
        except InvalidInput as exc:
            raise InvalidInput(
                exc.field.replace("contribution", f"patient.contributions[{i}]", 1), exc.value, exc.reason
            ) from None
    return tuple(sorted(out, key=lambda c: (c.start, c.paid_on)))


def _optional_years_conv(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 100:
        raise InvalidInput("patient.service_years", value, "expected a whole number of years (0 to 100)")
    return value


@attrs.frozen
class Patient:
    """An insured person.

    ``contributions`` is the contribution history; when it is empty the person is taken to be
    insured with contributions paid up on every date. ``categories`` (``minimum_living``,
    ``extreme_poverty``, ``low_income``, ``student``, ...) and ``conditions``
    (``childhood_blood_disease``, ``pku``, ...) select special rules. ``service_years`` is the
    number of years of service or contribution (工龄, 缴费年限) where a rule depends on it.
    """

    id: str = attrs.field(converter=lambda v: _text_conv("patient", "id")(v))
    scheme: str = attrs.field(converter=lambda v: _choice("patient", "scheme", SCHEMES)(v))
    status: str | None = attrs.field(
        default=None, converter=lambda v: _optional_choice("patient", "status", STATUSES)(v)
    )
    birth_date: dt.date | None = attrs.field(
        default=None, converter=lambda v: _optional_date_conv("patient", "birth_date")(v)
    )
    categories: frozenset[str] = attrs.field(
        default=frozenset(), converter=lambda v: _terms_conv("patient", "categories")(v)
    )
    conditions: frozenset[str] = attrs.field(
        default=frozenset(), converter=lambda v: _terms_conv("patient", "conditions")(v)
    )
    contributions: tuple[Contribution, ...] = attrs.field(default=(), converter=_contributions_conv)
    service_years: int | None = attrs.field(default=None, converter=_optional_years_conv)

    def __attrs_post_init__(self) -> None:
        if self.status is not None and self.scheme != "employee":
            raise InvalidInput("patient.status", self.status, "only employees have a status (in_service or retired)")

    FIELDS = ("id", "scheme", "status", "birth_date", "categories", "conditions", "contributions", "service_years")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Patient:
        """Build a patient from a mapping with the scenario-file names; unknown keys are refused."""
        _check_keys("patient", data, cls.FIELDS)
        for key in ("id", "scheme"):
            if data.get(key) is None:
                raise InvalidInput(f"patient.{key}", None, "required")
        return cls(**{key: data[key] for key in cls.FIELDS if key in data})

    def age_on(self, day: dt.date) -> int | None:
        """Age in whole years on ``day``, or None when the birth date is unknown."""
        born = self.birth_date
        if born is None:
            return None
        return int(whole_years(born.year, born.month * 32 + born.day, day.year, day.month * 32 + day.day))

    @property
    def employee_status(self) -> str | None:
        """``in_service`` or ``retired`` for an employee (``in_service`` when not given)."""
        if self.scheme != "employee":
            return None
        return self.status or "in_service"


# --- claims ----------------------------------------------------------------------------------


@attrs.frozen
class BasicResult:
    """A basic settlement already made elsewhere (e.g. by the national settlement platform).

    ``pool`` is what the basic pool paid, ``in_scope_self_pay`` what the patient still pays of
    the in-scope cost, ``deductible`` the deductible applied (informative).
    """

    pool: Decimal = attrs.field(converter=lambda v: _amount_conv("claim.basic", "pool")(v))
    in_scope_self_pay: Decimal = attrs.field(converter=lambda v: _amount_conv("claim.basic", "in_scope_self_pay")(v))
    deductible: Decimal = attrs.field(default=ZERO, converter=lambda v: _amount_conv("claim.basic", "deductible")(v))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> BasicResult:
        _check_keys("claim.basic", data, ("pool", "in_scope_self_pay", "deductible"))
        for key in ("pool", "in_scope_self_pay"):
            if data.get(key) is None:
                raise InvalidInput(f"claim.basic.{key}", None, "required")
        return cls(**dict(data))


def _basic_conv(value: Any) -> BasicResult | None:
    if value is None or isinstance(value, BasicResult):
        return value
    return BasicResult.from_mapping(value)


@attrs.frozen
class Claim:
    """One claim: an admission, an outpatient visit or a drug purchase.

    ``discharged`` is the service date; its calendar year is the policy year. Costs:
    ``total`` = out-of-scope + class-B first self-pay (``class_b_self_pay``) + ``in_scope``.
    Either the library settles basic insurance itself from these costs, or ``basic`` carries
    a basic settlement already made elsewhere.
    """

    id: str = attrs.field(converter=lambda v: _text_conv("claim", "id")(v))
    kind: str = attrs.field(converter=lambda v: _choice("claim", "kind", CLAIM_KINDS)(v))
    discharged: dt.date = attrs.field(converter=lambda v: _date_conv("claim", "discharged")(v))
    total: Decimal = attrs.field(converter=lambda v: _amount_conv("claim", "total")(v))
    in_scope: Decimal = attrs.field(converter=lambda v: _amount_conv("claim", "in_scope")(v))
    admitted: dt.date | None = attrs.field(
        default=None, converter=lambda v: _optional_date_conv("claim", "admitted")(v)
    )
    hospital_level: str | None = attrs.field(
        default=None, converter=lambda v: _optional_choice("claim", "hospital_level", HOSPITAL_LEVELS)(v)
    )
    referral: str = attrs.field(default="none", converter=lambda v: _choice("claim", "referral", REFERRALS)(v))
    location: str = attrs.field(default="local", converter=lambda v: _choice("claim", "location", LOCATIONS)(v))
    filed: bool = attrs.field(default=True, converter=lambda v: _bool_conv("claim", "filed")(v))
    designated: bool = attrs.field(default=True, converter=lambda v: _bool_conv("claim", "designated")(v))
    class_b_self_pay: Decimal = attrs.field(
        default=ZERO, converter=lambda v: _amount_conv("claim", "class_b_self_pay")(v)
    )
    basic: BasicResult | None = attrs.field(default=None, converter=_basic_conv)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=lambda v: _terms_conv("claim", "tags")(v))

    def __attrs_post_init__(self) -> None:
        if self.in_scope > self.total:
            raise InvalidInput("claim.in_scope", str(self.in_scope), f"above claim.total {self.total}")
        if self.in_scope + self.class_b_self_pay > self.total:
            raise InvalidInput(
                "claim.class_b_self_pay",
                str(self.class_b_self_pay),
                f"in_scope {self.in_scope} + class_b_self_pay exceeds total {self.total}",
            )
        if self.admitted is not None and self.admitted > self.discharged:
            raise InvalidInput(
                "claim.discharged", self.discharged.isoformat(), f"before admitted {self.admitted.isoformat()}"
            )
        if self.basic is not None and self.basic.pool + self.basic.in_scope_self_pay != self.in_scope:
            raise InvalidInput(
                "claim.basic",
                f"pool {self.basic.pool} + in_scope_self_pay {self.basic.in_scope_self_pay}",
                f"does not add up to claim.in_scope {self.in_scope}",
            )

    FIELDS = (
        "id", "kind", "admitted", "discharged", "hospital_level", "referral", "location", "filed",
        "designated", "total", "in_scope", "class_b_self_pay", "basic", "tags",
    )  # fmt: skip

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Claim:
        """Build a claim from a mapping with the scenario-file names; unknown keys are refused.

        With ``basic`` given, ``in_scope`` defaults to ``pool + in_scope_self_pay`` and
        ``total`` to ``in_scope``.
        """
        _check_keys("claim", data, cls.FIELDS)
        values = {key: data[key] for key in cls.FIELDS if key in data and data[key] is not None}
        for key in ("id", "kind", "discharged"):
            if key not in values:
                raise InvalidInput(f"claim.{key}", None, "required")
        if "basic" in values:
            basic = _basic_conv(values["basic"])
            assert basic is not None
            values["basic"] = basic
            values.setdefault("in_scope", basic.pool + basic.in_scope_self_pay)
            values.setdefault("total", values["in_scope"])
        for key in ("total", "in_scope"):
            if key not in values:
                raise InvalidInput(f"claim.{key}", None, "required (or give basic: {pool, in_scope_self_pay})")
        return cls(**values)

    @property
    def service_date(self) -> dt.date:
        """The date that decides the policy year and the rule versions: the discharge date."""
        return self.discharged

    @property
    def year(self) -> int:
        """The policy year: the calendar year of the service date."""
        return self.discharged.year

    @property
    def out_of_scope(self) -> Decimal:
        """Cost outside the catalogue (全自费), never reimbursed."""
        return self.total - self.in_scope - self.class_b_self_pay
