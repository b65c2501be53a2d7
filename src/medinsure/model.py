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
from medinsure.io.codes import canonical
from medinsure.money import ZERO, amount, rate, round_fen, shortened

__all__ = [
    "CATEGORIES",
    "CLAIM_KINDS",
    "CONDITIONS",
    "FEE_CATEGORIES",
    "FEE_CLASSES",
    "HOSPITAL_LEVELS",
    "LOCATIONS",
    "REFERRALS",
    "SCHEMES",
    "SEXES",
    "STATUSES",
    "WHITESPACE",
    "BasicResult",
    "Claim",
    "Contribution",
    "FeeLine",
    "Patient",
    "is_plain_text",
    "whole_years",
]

SCHEMES = ("resident", "employee")
SEXES = ("male", "female")
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
#: A fee line's catalogue class (收费项目等级 甲 / 乙 / 丙, the platform's ``chrgitm_lv``).
FEE_CLASSES = ("A", "B", "C")
#: A fee line's category (the platform's ``med_chrgitm_type``, and the broad drug / material / service).
FEE_CATEGORIES = (
    "bed", "consultation", "examination", "laboratory", "treatment", "surgery", "nursing", "material",
    "western_drug", "herbal_pieces", "chinese_patent_drug", "general_consultation", "registration", "other",
    "drug", "service",
)  # fmt: skip

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
    """A converter to one of ``choices``; the Chinese name and national code are read too."""

    def convert(value: Any) -> str:
        found = canonical(name, value)
        if found not in choices:
            raise InvalidInput(
                f"{owner}.{name}", value, f"expected one of {', '.join(choices)} (or its Chinese name or national code)"
            )
        return str(found)

    return convert


def _optional_choice(owner: str, name: str, choices: tuple[str, ...]) -> Any:
    inner = _choice(owner, name, choices)

    def convert(value: Any) -> str | None:
        return None if value is None else inner(value)

    return convert


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", flags=re.ASCII)


def parse_date(value: Any, field: str) -> dt.date:
    """A calendar date given as a ``date`` or as text ``YYYY-MM-DD`` (nothing else: not
    ``20210301``, not ``2021-W10-1``, not a date and time); InvalidInput otherwise."""
    if isinstance(value, dt.datetime):
        raise InvalidInput(field, value, "expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.fullmatch(text):
            raise InvalidInput(
                field, value if len(value) <= 40 else value[:40] + "…", "expected a date written YYYY-MM-DD"
            )
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(field, value, "not a date of the calendar") from None
    raise InvalidInput(field, value, "expected a date written YYYY-MM-DD")


def _date_conv(owner: str, name: str) -> Any:
    return lambda value: parse_date(value, f"{owner}.{name}")


def _optional_date_conv(owner: str, name: str) -> Any:
    return lambda value: None if value is None else parse_date(value, f"{owner}.{name}")


def _amount_conv(owner: str, name: str) -> Any:
    return lambda value: amount(value, f"{owner}.{name}")


#: The longest id accepted (characters, after normalisation): a national ID number has 18, the
#: platform's settlement and visit ids about 30.
MAX_ID_LENGTH = 64
#: Unicode categories an id may not contain: control (newline, NUL, ANSI escapes) and format
#: characters (zero-width, bidi marks), line and paragraph separators, unassigned, private, surrogates.
_FORBIDDEN = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"})


#: The longest name or description accepted (a hospital, a department, a diagnosis, a person).
MAX_TEXT_LENGTH = 200


def identifier(value: Any, field: str, *, limit: int = MAX_ID_LENGTH) -> str:
    """An id as medinsure compares and stores it: NFKC-normalised (full-width ``Ｋ１`` is
    ``K1``), stripped of white space, not empty, without control or format characters, at most
    ``limit`` characters (:data:`MAX_ID_LENGTH`). The same id written two ways is one id; an id
    that could forge a line of output or hide a character is refused. Names and descriptions
    are read the same way, up to :data:`MAX_TEXT_LENGTH`."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput(field, value, "expected text")
    if isinstance(value, int) and value.bit_length() > 200:
        raise InvalidInput(field, "an integer of many digits", f"longer than {limit} characters")
    raw = str(value)
    if len(raw) > 4 * limit:  # NFKC may shorten a text, never to a quarter
        raise InvalidInput(field, shortened(raw, limit), f"longer than {limit} characters")
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise InvalidInput(field, value, "must not be empty")
    for char in text:
        if unicodedata.category(char) in _FORBIDDEN:
            raise InvalidInput(
                field, text.encode("unicode_escape").decode("ascii"), f"contains the character U+{ord(char):04X}"
            )
    if len(text) > limit:
        raise InvalidInput(field, shortened(text, limit), f"longer than {limit} characters")
    return text


def _text_conv(owner: str, name: str) -> Any:
    return lambda value: identifier(value, f"{owner}.{name}")


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


def _optional_code_conv(owner: str, name: str) -> Any:
    def convert(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip().isdigit():
            raise InvalidInput(f"{owner}.{name}", value, "expected a national code (digits)")
        return str(value).strip()

    return convert


def _optional_text_conv(owner: str, name: str) -> Any:
    inner = _text_conv(owner, name)
    return lambda value: None if value is None else inner(value)


def _optional_label_conv(owner: str, name: str) -> Any:
    """A name or description: read as an id is, up to :data:`MAX_TEXT_LENGTH` characters."""
    return lambda value: None if value is None else identifier(value, f"{owner}.{name}", limit=MAX_TEXT_LENGTH)


def _optional_amount_conv(owner: str, name: str) -> Any:
    return lambda value: None if value is None else amount(value, f"{owner}.{name}")


def _bool_conv(owner: str, name: str) -> Any:
    def convert(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _BOOLS:
            return _BOOLS[value.strip().lower()]
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise InvalidInput(f"{owner}.{name}", value, "expected true or false (or 1 / 0, 是 / 否)")

    return convert


_BOOLS = {"true": True, "false": False, "1": True, "0": False, "是": True, "否": False}


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
    psn_type: str | None = attrs.field(default=None, converter=lambda v: _optional_code_conv("patient", "psn_type")(v))
    name: str | None = attrs.field(default=None, converter=lambda v: _optional_label_conv("patient", "name")(v))
    sex: str | None = attrs.field(default=None, converter=lambda v: _optional_choice("patient", "sex", SEXES)(v))

    def __attrs_post_init__(self) -> None:
        if self.status is not None and self.scheme != "employee":
            raise InvalidInput("patient.status", self.status, "only employees have a status (in_service or retired)")

    FIELDS = (
        "id", "scheme", "status", "birth_date", "categories", "conditions", "contributions", "service_years",
        "psn_type", "name", "sex",
    )  # fmt: skip

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
    the in-scope cost, ``deductible`` the deductible applied (informative; None when not given,
    which the national output shows as ``null``, not as a zero).
    """

    pool: Decimal = attrs.field(converter=lambda v: _amount_conv("claim.basic", "pool")(v))
    in_scope_self_pay: Decimal = attrs.field(converter=lambda v: _amount_conv("claim.basic", "in_scope_self_pay")(v))
    deductible: Decimal | None = attrs.field(
        default=None, converter=lambda v: _optional_amount_conv("claim.basic", "deductible")(v)
    )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> BasicResult:
        _check_keys("claim.basic", data, ("pool", "in_scope_self_pay", "deductible"))
        for key in ("pool", "in_scope_self_pay"):
            if data.get(key) is None:
                raise InvalidInput(f"claim.basic.{key}", None, "required")
        return cls(**dict(data))


def _optional_rate_conv(owner: str, name: str) -> Any:
    return lambda value: None if value is None else rate(value, f"{owner}.{name}")


def _quantity_conv(value: Any) -> Decimal:
    if value is None:
        return Decimal(1)
    return _positive("item.quantity", value)


def _positive(field: str, value: Any) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (int, str, Decimal)):
        raise InvalidInput(field, value, "expected a number (a str, int or Decimal)")
    try:
        dec = Decimal(str(value).strip())
    except ArithmeticError:
        raise InvalidInput(field, value, "not a number") from None
    if not dec.is_finite() or dec <= 0:
        raise InvalidInput(field, value, "must be a number above 0")
    return dec


@attrs.frozen
class FeeLine:
    """One fee line (费用明细) of a claim, split as the platform splits it (interface 2301).

    ``klass`` is the catalogue class ``A`` / ``B`` / ``C`` (甲 / 乙 / 丙, ``chrgitm_lv`` 01 / 02 /
    03); ``amount`` the line's cost; ``price_limit`` the ceiling per unit (``pric_uplmt_amt``)
    and ``quantity`` the units; ``self_pay_ratio`` the class-B first self-pay ratio
    (``selfpay_prop``; None: the jurisdiction's default applies when the claim is settled).

    Each line is split, rounded half up to the fen per line:

    - 全自费 ``out_of_scope`` (``fulamt_ownpay_amt``): the whole of a class-C line;
    - 超限价 ``over_limit`` (``overlmt_amt``): ``amount − round(quantity × price_limit)``
      where that is positive;
    - 先行自付 ``class_b_self_pay`` (``preselfpay_amt``): of a class-B line,
      ``round((amount − over_limit) × self_pay_ratio)``;
    - 符合政策范围 ``in_scope`` (``inscp_scp_amt``): the rest.
    """

    code: str = attrs.field(converter=lambda v: _text_conv("item", "code")(v))
    klass: str = attrs.field(converter=lambda v: _choice("item", "class", FEE_CLASSES)(v))
    amount: Decimal = attrs.field(converter=lambda v: _amount_conv("item", "amount")(v))
    name: str | None = attrs.field(default=None, converter=lambda v: _optional_label_conv("item", "name")(v))
    quantity: Decimal = attrs.field(default=None, converter=_quantity_conv)
    unit_price: Decimal | None = attrs.field(
        default=None, converter=lambda v: _optional_amount_conv("item", "unit_price")(v)
    )
    price_limit: Decimal | None = attrs.field(
        default=None, converter=lambda v: _optional_amount_conv("item", "price_limit")(v)
    )
    self_pay_ratio: Decimal | None = attrs.field(
        default=None, converter=lambda v: _optional_rate_conv("item", "self_pay_ratio")(v)
    )
    category: str | None = attrs.field(
        default=None, converter=lambda v: _optional_choice("item", "category", FEE_CATEGORIES)(v)
    )

    def __attrs_post_init__(self) -> None:
        if self.unit_price is not None and round_fen(self.quantity * self.unit_price) != self.amount:
            raise InvalidInput(
                "item.amount",
                str(self.amount),
                f"is not quantity {self.quantity} × unit_price {self.unit_price}"
                f" = {round_fen(self.quantity * self.unit_price)}",
            )
        if self.klass == "C" and self.self_pay_ratio is not None:
            raise InvalidInput("item.self_pay_ratio", str(self.self_pay_ratio), "only a class-B (乙类) line has one")
        if self.klass == "A" and self.self_pay_ratio not in (None, ZERO):
            raise InvalidInput("item.self_pay_ratio", str(self.self_pay_ratio), "only a class-B (乙类) line has one")

    FIELDS = ("code", "name", "class", "amount", "quantity", "unit_price", "price_limit", "self_pay_ratio", "category")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FeeLine:
        """A fee line from the scenario-file names (``class``, not ``klass``); unknown keys are refused.

        Without ``amount``, it is ``quantity × unit_price`` rounded half up to the fen.
        """
        _check_keys("item", data, cls.FIELDS)
        values = {("klass" if k == "class" else k): v for k, v in data.items() if v is not None}
        for key in ("code", "klass"):
            if key not in values:
                raise InvalidInput(f"item.{'class' if key == 'klass' else key}", None, "required")
        if "amount" not in values:
            if "unit_price" not in values:
                raise InvalidInput("item.amount", None, "required (or give quantity and unit_price)")
            price = amount(values["unit_price"], "item.unit_price")
            values["amount"] = round_fen(_quantity_conv(values.get("quantity")) * price)
        return cls(**values)

    @property
    def needs_ratio(self) -> bool:
        """A class-B line without its own self-pay ratio: the jurisdiction's default applies."""
        return self.klass == "B" and self.self_pay_ratio is None

    @property
    def out_of_scope(self) -> Decimal:
        """全自费: the whole line when it is class C."""
        return self.amount if self.klass == "C" else ZERO

    @property
    def over_limit(self) -> Decimal:
        """超限价: the cost above ``quantity × price_limit`` (rounded to the fen)."""
        if self.klass == "C" or self.price_limit is None:
            return ZERO
        return max(self.amount - round_fen(self.quantity * self.price_limit), ZERO)

    def class_b_self_pay(self, default_ratio: Decimal | None = None) -> Decimal:
        """先行自付 of a class-B line, by its own ratio or ``default_ratio`` (0 when neither)."""
        if self.klass != "B":
            return ZERO
        ratio = self.self_pay_ratio if self.self_pay_ratio is not None else default_ratio
        return round_fen((self.amount - self.over_limit) * (ratio or ZERO))

    def in_scope(self, default_ratio: Decimal | None = None) -> Decimal:
        """符合政策范围: what remains of the line."""
        return self.amount - self.out_of_scope - self.over_limit - self.class_b_self_pay(default_ratio)

    def to_mapping(self) -> dict[str, Any]:
        """The line as a mapping :meth:`from_mapping` reads back unchanged."""
        data: dict[str, Any] = {"code": self.code, "class": self.klass, "amount": str(self.amount)}
        if self.name is not None:
            data["name"] = self.name
        if self.quantity != 1:
            data["quantity"] = str(self.quantity)
        for key in ("unit_price", "price_limit"):
            if getattr(self, key) is not None:
                data[key] = str(getattr(self, key))
        if self.self_pay_ratio is not None:
            data["self_pay_ratio"] = str(self.self_pay_ratio)
        if self.category is not None:
            data["category"] = self.category
        return data


def _items_conv(value: Any) -> tuple[FeeLine, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise InvalidInput("claim.items", value, "expected a list of fee lines")
    out = []
    for i, item in enumerate(value):
        try:
            out.append(item if isinstance(item, FeeLine) else FeeLine.from_mapping(item))
        except InvalidInput as exc:
            raise InvalidInput(exc.field.replace("item", f"claim.items[{i}]", 1), exc.value, exc.reason) from None
    return tuple(out)


def _basic_conv(value: Any) -> BasicResult | None:
    if value is None or isinstance(value, BasicResult):
        return value
    return BasicResult.from_mapping(value)


_TOTALS = ("total", "in_scope", "class_b_self_pay", "over_limit")


def _line_totals(items: tuple[FeeLine, ...]) -> dict[str, Decimal]:
    """The claim's totals from its lines (a line without its ratio counts no first self-pay yet)."""
    totals = dict.fromkeys(_TOTALS, ZERO)
    for item in items:
        totals["total"] += item.amount
        totals["over_limit"] += item.over_limit
        totals["class_b_self_pay"] += item.class_b_self_pay()
        totals["in_scope"] += item.in_scope()
    return totals


@attrs.frozen
class Claim:
    """One claim: an admission, an outpatient visit or a drug purchase.

    ``discharged`` is the service date; its calendar year is the policy year. Costs:
    ``total`` = out-of-scope (全自费) + ``over_limit`` (超限价) + class-B first self-pay
    (``class_b_self_pay``, 先行自付) + ``in_scope`` (符合政策范围). Either the library settles
    basic insurance itself from these costs, or ``basic`` carries a basic settlement already
    made elsewhere. With fee lines (``items``) the four amounts are their sums (see
    :class:`FeeLine`); a class-B line without its own ratio takes the jurisdiction's default
    when the claim is settled (:attr:`pending_ratio`, :meth:`with_default_ratio`).

    The platform's ids: ``mdtrt_id`` (就诊 ID; default the claim id), ``setl_id`` (结算 ID;
    default a deterministic one, see :mod:`medinsure.io.national`). ``mid_setl_flag`` marks an
    interim settlement (中途结算) of a stay that goes on: the later parts with the same
    ``mdtrt_id`` pay no deductible again and count no new admission. The personal account:
    ``account_balance`` (个人账户余额), ``use_account`` (``acct_used_flag``; default: used when a
    balance is given) and ``mutual_aid_balance`` (家庭共济 funds the family makes available).
    For the settlement sheet only: ``hospital_name``, ``hospital_code`` (the institution's
    national code), ``admission_no`` (住院号), ``department``, ``diagnosis``.
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
    over_limit: Decimal = attrs.field(default=ZERO, converter=lambda v: _amount_conv("claim", "over_limit")(v))
    items: tuple[FeeLine, ...] = attrs.field(default=(), converter=_items_conv)
    mdtrt_id: str | None = attrs.field(default=None, converter=lambda v: _optional_text_conv("claim", "mdtrt_id")(v))
    setl_id: str | None = attrs.field(default=None, converter=lambda v: _optional_text_conv("claim", "setl_id")(v))
    mid_setl_flag: bool = attrs.field(default=False, converter=lambda v: _bool_conv("claim", "mid_setl_flag")(v))
    account_balance: Decimal | None = attrs.field(
        default=None, converter=lambda v: _optional_amount_conv("claim", "account_balance")(v)
    )
    use_account: bool | None = attrs.field(
        default=None, converter=lambda v: None if v is None else _bool_conv("claim", "use_account")(v)
    )
    mutual_aid_balance: Decimal | None = attrs.field(
        default=None, converter=lambda v: _optional_amount_conv("claim", "mutual_aid_balance")(v)
    )
    hospital_name: str | None = attrs.field(
        default=None, converter=lambda v: _optional_label_conv("claim", "hospital_name")(v)
    )
    hospital_code: str | None = attrs.field(
        default=None, converter=lambda v: _optional_text_conv("claim", "hospital_code")(v)
    )
    admission_no: str | None = attrs.field(
        default=None, converter=lambda v: _optional_text_conv("claim", "admission_no")(v)
    )
    department: str | None = attrs.field(
        default=None, converter=lambda v: _optional_label_conv("claim", "department")(v)
    )
    diagnosis: str | None = attrs.field(default=None, converter=lambda v: _optional_label_conv("claim", "diagnosis")(v))
    #: Totals given beside fee lines that wait for the default ratio (checked by with_default_ratio).
    stated: tuple[tuple[str, Decimal], ...] = attrs.field(default=(), repr=False)

    def __attrs_post_init__(self) -> None:
        if self.items:
            derived = _line_totals(self.items)
            for key in _TOTALS:
                if getattr(self, key) != derived[key]:
                    raise InvalidInput(f"claim.{key}", str(getattr(self, key)), f"the fee lines give {derived[key]}")
        if self.in_scope > self.total:
            raise InvalidInput("claim.in_scope", str(self.in_scope), f"above claim.total {self.total}")
        if self.in_scope + self.class_b_self_pay > self.total:
            raise InvalidInput(
                "claim.class_b_self_pay",
                str(self.class_b_self_pay),
                f"in_scope {self.in_scope} + class_b_self_pay exceeds total {self.total}",
            )
        if self.in_scope + self.class_b_self_pay + self.over_limit > self.total:
            raise InvalidInput(
                "claim.over_limit",
                str(self.over_limit),
                f"in_scope {self.in_scope} + class_b_self_pay {self.class_b_self_pay} + over_limit exceeds"
                f" total {self.total}",
            )
        if self.admitted is not None and self.admitted > self.discharged:
            raise InvalidInput(
                "claim.discharged", self.discharged.isoformat(), f"before admitted {self.admitted.isoformat()}"
            )
        if (
            self.basic is not None
            and not self.pending_ratio
            and self.basic.pool + self.basic.in_scope_self_pay != self.in_scope
        ):
            raise InvalidInput(
                "claim.basic",
                f"pool {self.basic.pool} + in_scope_self_pay {self.basic.in_scope_self_pay}",
                f"does not add up to claim.in_scope {self.in_scope}",
            )
        if self.mid_setl_flag and self.kind != "inpatient":
            raise InvalidInput("claim.mid_setl_flag", True, "an interim settlement (中途结算) is of an inpatient stay")
        if self.mutual_aid_balance is not None and self.account_balance is None:
            raise InvalidInput(
                "claim.mutual_aid_balance", str(self.mutual_aid_balance), "needs account_balance (the own account)"
            )

    FIELDS = (
        "id", "kind", "admitted", "discharged", "hospital_level", "referral", "location", "filed",
        "designated", "total", "in_scope", "class_b_self_pay", "over_limit", "basic", "tags", "items",
        "mdtrt_id", "setl_id", "mid_setl_flag", "account_balance", "use_account", "mutual_aid_balance",
        "hospital_name", "hospital_code", "admission_no", "department", "diagnosis",
    )  # fmt: skip

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Claim:
        """Build a claim from a mapping with the scenario-file names; unknown keys are refused.

        With ``basic`` given, ``in_scope`` defaults to ``pool + in_scope_self_pay`` and
        ``total`` to ``in_scope``. With ``items`` the totals are the lines' sums; a total given
        beside them must agree, or the claim is refused naming both figures.
        """
        _check_keys("claim", data, cls.FIELDS)
        values = {key: data[key] for key in cls.FIELDS if key in data and data[key] is not None}
        for key in ("id", "kind", "discharged"):
            if key not in values:
                raise InvalidInput(f"claim.{key}", None, "required")
        if values.get("items"):
            values["items"] = items = _items_conv(values["items"])
            values.update(_from_lines(values, items))
        elif "items" in values:
            raise InvalidInput("claim.items", values["items"], "an empty list (give at least one fee line)")
        if "basic" in values:
            basic = _basic_conv(values["basic"])
            assert basic is not None
            values["basic"] = basic
            values.setdefault("in_scope", basic.pool + basic.in_scope_self_pay)
            values.setdefault("total", values["in_scope"])
        for key in ("total", "in_scope"):
            if key not in values:
                raise InvalidInput(
                    f"claim.{key}", None, "required (or give items, or basic: {pool, in_scope_self_pay})"
                )
        return cls(**values)

    @property
    def pending_ratio(self) -> bool:
        """Whether a class-B fee line waits for the jurisdiction's default self-pay ratio."""
        return any(item.needs_ratio for item in self.items)

    def with_default_ratio(self, ratio: Decimal) -> Claim:
        """This claim with ``ratio`` given to every class-B line that has none of its own.

        Totals given beside the lines are checked now; a claim without such lines is returned
        as it is.
        """
        if not self.pending_ratio:
            return self
        items = tuple(attrs.evolve(i, self_pay_ratio=ratio) if i.needs_ratio else i for i in self.items)
        totals = _line_totals(items)
        for key, given in self.stated:
            if given != totals[key]:
                raise InvalidInput(
                    f"claim.{key}",
                    str(given),
                    f"the fee lines give {totals[key]} (class-B lines at the default ratio {ratio});"
                    " give lines or totals that agree",
                )
        return attrs.evolve(self, items=items, stated=(), **totals)

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
        return self.total - self.in_scope - self.class_b_self_pay - self.over_limit

    @property
    def treatment_id(self) -> str:
        """The platform's ``mdtrt_id``: as given, or the claim id."""
        return self.mdtrt_id or self.id


def _from_lines(values: Mapping[str, Any], items: tuple[FeeLine, ...]) -> dict[str, Any]:
    """The totals of ``items``, checked against the totals given beside them."""
    derived = _line_totals(items)
    pending = any(item.needs_ratio for item in items)
    stated = []
    for key in _TOTALS:
        if key not in values:
            continue
        given = amount(values[key], f"claim.{key}")
        if pending and key in ("in_scope", "class_b_self_pay"):
            stated.append((key, given))
            continue
        if given != derived[key]:
            raise InvalidInput(
                f"claim.{key}", str(given), f"the fee lines give {derived[key]}; give lines or totals that agree"
            )
    if pending and stated:
        both = derived["in_scope"] + derived["class_b_self_pay"]
        given_both = sum((g for _, g in stated), ZERO)
        if len(stated) == 2 and given_both != both:
            raise InvalidInput(
                "claim.in_scope",
                f"{stated[0][1]} + {stated[1][1]}",
                f"in_scope + class_b_self_pay: the fee lines give {both}; give lines or totals that agree",
            )
    return {**derived, "stated": tuple(stated)}
