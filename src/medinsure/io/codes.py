"""The national platform's code tables beside medinsure's own names: one table for every enum.

Every enum that input takes (scheme, employee status, claim kind, hospital level, referral,
location, fee-line class and category) accepts its English name, its Chinese name and, where
the national medical-security platform has one, its national code. :data:`CODES` is that
table; :func:`canonical` turns any of the three into the English name, :func:`label` gives the
Chinese name or the code for output. The table is printed in the documentation (``docs``:
"National fields and codes"), with where each code comes from and whether it was confirmed.

The codes come from the platform's public interface descriptions as hospital-system code and
secondary sources reproduce them (the platform's dictionaries ``insutype``, ``psn_type``,
``med_type``, ``hosp_lv``, ``chrgitm_lv``, ``med_chrgitm_type``, ``fund_pay_type``). Only a code
marked ``confirmed=True`` was seen with its meaning in public hospital-system code; the others
are medinsure's reading of secondary descriptions, not checked against the platform's own
dictionary, and listed so that a user can check them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

__all__ = [
    "CODES",
    "FIELD_DICTIONARIES",
    "FUND_PAY_TYPES",
    "Code",
    "FundPayType",
    "aliases",
    "canonical",
    "label",
    "rows",
]


class Code(NamedTuple):
    """One value of an enum: its English name, Chinese names (the first is the one shown)."""

    field: str
    name: str
    zh: tuple[str, ...]
    code: str | None = None
    confirmed: bool = False


#: The platform dictionary each enum's code belongs to.
FIELD_DICTIONARIES: dict[str, str] = {
    "scheme": "insutype",
    "status": "psn_type",
    "kind": "med_type",
    "hospital_level": "hosp_lv",
    "referral": "",
    "location": "",
    "class": "chrgitm_lv",
    "category": "med_chrgitm_type",
    "sex": "gend",
}

_C = Code
CODES: tuple[Code, ...] = (
    _C("scheme", "employee", ("职工基本医疗保险", "职工医保", "职工"), "310", True),
    _C("scheme", "resident", ("城乡居民基本医疗保险", "城乡居民医保", "居民医保", "居民", "城乡居民"), "390"),
    _C("status", "in_service", ("在职",), "11"),
    _C("status", "retired", ("退休",), "12"),
    _C("kind", "inpatient", ("住院", "普通住院"), "21"),
    _C("kind", "outpatient", ("门诊", "普通门诊"), "11"),
    _C("kind", "outpatient_special", ("门诊慢特病", "门诊特殊病"), "14"),
    _C("kind", "outpatient_dialysis", ("门诊透析",)),
    _C("kind", "outpatient_radiotherapy", ("门诊放疗", "恶性肿瘤门诊放疗")),
    _C("kind", "negotiated_drug", ("国家谈判药品", "谈判药品")),
    _C("kind", "pku", ("苯丙酮尿症",)),
    # hosp_lv codes name a grade within a level (三级甲等 …); each reads as its level
    _C("hospital_level", "tertiary", ("三级", "三级医院", "三级特等", "三级甲等", "三级乙等", "三级丙等"), "01", False),
    _C("hospital_level", "secondary", ("二级", "二级医院", "二级甲等", "二级乙等", "二级丙等"), "05"),
    _C("hospital_level", "primary", ("一级", "一级医院", "一级甲等", "一级乙等", "一级丙等"), "08"),
    _C("hospital_level", "community", ("基层医疗机构及护理院", "基层医疗机构", "基层", "社区")),
    _C("referral", "none", ("无", "未转诊")),
    _C("referral", "referred_out", ("转外就医", "转外诊治")),
    _C("location", "local", ("本地", "统筹区内")),
    _C("location", "in_province", ("省内异地",)),
    _C("location", "out_of_province", ("跨省异地", "省外")),
    _C("sex", "male", ("男",), "1"),
    _C("sex", "female", ("女",), "2"),
    _C("class", "A", ("甲类", "甲"), "01"),
    _C("class", "B", ("乙类", "乙"), "02"),
    _C("class", "C", ("丙类", "丙", "自费"), "03"),
    _C("category", "bed", ("床位费",), "01"),
    _C("category", "consultation", ("诊察费",), "02"),
    _C("category", "examination", ("检查费",), "03"),
    _C("category", "laboratory", ("化验费",), "04"),
    _C("category", "treatment", ("治疗费",), "05"),
    _C("category", "surgery", ("手术费",), "06"),
    _C("category", "nursing", ("护理费",), "07"),
    _C("category", "material", ("卫生材料费", "材料费", "医用耗材"), "08"),
    _C("category", "western_drug", ("西药费",), "09"),
    _C("category", "herbal_pieces", ("中药饮片费",), "10"),
    _C("category", "chinese_patent_drug", ("中成药费",), "11"),
    _C("category", "general_consultation", ("一般诊疗费",), "12"),
    _C("category", "registration", ("挂号费",), "13"),
    _C("category", "other", ("其他费",), "14"),
    _C("category", "drug", ("药品费", "药品")),
    _C("category", "service", ("医疗服务费", "医疗服务")),
)

# the other grades of hosp_lv, read as their level
_EXTRA_CODES: dict[tuple[str, str], str] = {
    ("hospital_level", "02"): "tertiary",
    ("hospital_level", "03"): "tertiary",
    ("hospital_level", "04"): "tertiary",
    ("hospital_level", "06"): "secondary",
    ("hospital_level", "07"): "secondary",
    ("hospital_level", "09"): "primary",
    ("hospital_level", "10"): "primary",
}


class FundPayType(NamedTuple):
    """A fund of the platform's ``fund_pay_type`` dictionary."""

    code: str
    zh: str
    confirmed: bool


#: The platform's fund types that medinsure's funds map to (see :mod:`medinsure.io.national`).
FUND_PAY_TYPES: dict[str, FundPayType] = {
    "employee_pool": FundPayType("310100", "职工基本医疗保险统筹基金", False),
    "resident_pool": FundPayType("390100", "城乡居民基本医疗保险基金", False),
    "resident_critical_illness": FundPayType("390200", "城乡居民大病医疗保险资金", False),
    "employee_large_amount": FundPayType("330100", "职工大额医疗费用补助基金", False),
    "medical_assistance": FundPayType("610100", "医疗救助基金", False),
}


def _index() -> dict[tuple[str, str], str]:
    index: dict[tuple[str, str], str] = {}
    for row in CODES:
        for alias in (row.name, *row.zh, *((row.code,) if row.code else ())):
            index[(row.field, alias)] = row.name
    index.update(_EXTRA_CODES)
    return index


_INDEX = _index()
_BY_NAME = {(row.field, row.name): row for row in CODES}


def canonical(field: str, value: object) -> object:
    """The English name of ``value`` in ``field`` (given as English, Chinese or a code).

    A value that is none of these comes back unchanged, for the caller to refuse with its own
    message; integers read as codes (``390`` is ``"390"``).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return value
    return _INDEX.get((field, value.strip()), value)


def label(field: str, name: str, *, form: str = "zh") -> str | None:
    """``name``'s Chinese name (``form="zh"``) or national code (``form="code"``), or None."""
    row = _BY_NAME.get((field, name))
    if row is None:
        return None
    return row.zh[0] if form == "zh" else row.code


def aliases(field: str, name: str) -> tuple[str, ...]:
    """Every spelling input may use for ``name``: English, Chinese and the code."""
    return tuple(alias for (f, alias), canon in _INDEX.items() if f == field and canon == name)


def rows(fields: Iterable[str] | None = None) -> list[Code]:
    """The table's rows (of ``fields`` only, when given), in the documented order."""
    wanted = None if fields is None else set(fields)
    return [row for row in CODES if wanted is None or row.field in wanted]
