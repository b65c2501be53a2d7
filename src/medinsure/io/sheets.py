"""The settlement sheets: the patient copy (出院结算单) and the audit copy, as text and HTML.

Two copies of one settlement:

- the **patient copy** (``copy="patient"``): what a cashier hands to a patient — the person and
  the stay, the fees by category, each fund that applies, the personal account and the cash,
  the totals with the amounts in capitals (大写), the year's figures; no rule ids, no sources;
- the **audit copy** (``copy="audit"``): every step of the calculation — the deductible, each
  tier's base × rate, the caps and what they cut — with each rule's version, the date it is in
  force from, its source, the sentence of the source it comes from (the rule pack's ``quote``),
  and whether it is verified for this claim (a value carried forward past its source's dates is
  not, and says so); then how many lines rest on verified, unverified and carried-forward
  values (a field of the header), and the settlement's warnings.

A Chinese sheet (``lang="zh"``) is Chinese throughout: fund and table names, refusal reasons,
source titles where a Chinese one exists, jurisdictions by name (``names``: code → name, e.g.
``{"dalian": "大连市"}``; :func:`jurisdiction_names` gives them for an engine). An English sheet
(``lang="en"``) keeps the rule ids a developer looks for. Person ids and names are masked unless
``mask=False``.

:func:`render_text` lines columns up by display width (a Chinese character takes two columns
on a terminal or a receipt printer); :func:`render_html` is a self-contained page and
:func:`render_document` one page of several sheets with an A4 print stylesheet: one claim per
printed page, its header repeated on each. :mod:`medinsure.io.printing` prints it to PDF.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from medinsure.io.codes import label
from medinsure.io.masking import mask_id
from medinsure.io.national import psn_type, setl_id
from medinsure.money import ZERO, capital, fmt
from medinsure.rules.names import FUND_NAMES_ZH, FUNDS

if TYPE_CHECKING:
    from medinsure.settlement.engine import Engine
    from medinsure.settlement.result import Line, RuleRef, Settlement

__all__ = [
    "COPIES",
    "LABELS",
    "display_width",
    "jurisdiction_names",
    "render_document",
    "render_html",
    "render_text",
]

COPIES = ("patient", "audit")

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "出院结算单",
        "patient_copy": "患者联",
        "audit_copy": "审核联",
        "person": "参保人",
        "name": "姓名",
        "sex": "性别",
        "age": "年龄",
        "id": "人员编号",
        "scheme": "险种类型",
        "psn_type": "人员类别",
        "jurisdiction": "参保地",
        "hospital": "医疗机构",
        "admission_no": "住院号",
        "department": "科室",
        "diagnosis": "诊断",
        "stay": "住院天数",
        "days": "天",
        "years": "岁",
        "claim": "结算单号",
        "setl_id": "结算ID",
        "mdtrt_id": "就诊ID",
        "kind": "医疗类别",
        "hospital_level": "医院等级",
        "admitted": "入院日期",
        "discharged": "出院日期",
        "plugin": "规则版本",
        "overrides": "调整的参数",
        "costs": "费用",
        "by_category": "费用分类",
        "total": "医疗费总额",
        "out_of_scope": "全自费",
        "over_limit": "超限价自费",
        "class_b_self_pay": "乙类先行自付",
        "in_scope": "政策范围内费用",
        "funds": "基金支付",
        "settlement": "结算",
        "deductible": "起付线",
        "basic_pool": "基本医疗保险统筹基金支付",
        "in_scope_self_pay": "政策范围内个人自付",
        "critical_illness": "大病保险支付",
        "burden_subsidy": "个人负担过重补助",
        "large_amount": "大额医疗补助",
        "medical_assistance": "医疗救助",
        "fund_total": "基金支付合计",
        "patient_total": "个人负担合计",
        "personal": "个人支付",
        "account": "个人账户支付",
        "mutual_aid": "家庭共济支付",
        "cash": "个人现金支付",
        "balance": "个人账户余额",
        "capital_total": "医疗费总额（大写）",
        "capital_cash": "个人现金支付（大写）",
        "how": "计算",
        "rule": "依据",
        "source": "来源",
        "quote": "原文",
        "from": "起施行",
        "verified": "已核实",
        "unverified": "未核实",
        "carried": "沿用（已超出来源所述日期 {until}，本次结算视为未核实）",
        "note": "说明",
        "trust": "数值核实",
        "trust_summary": "{verified} 行依据已核实数值，{unverified} 行依据未核实数值（其中沿用 {carried_forward} 行），"
        "{without_rule} 行无规则依据",
        "refused_by_unverified": "；未核实的资格规则拒付 {n} 项",
        "warning": "提示",
        "refused": "不予支付",
        "year": "年度累计",
        "before": "结算前",
        "after": "结算后",
        "acc_in_scope": "政策范围内费用",
        "acc_basic_pool": "统筹基金已支付",
        "acc_base": "累计基数",
        "acc_paid": "已支付",
        "not_given": "未提供",
        "male": "男",
        "female": "女",
        "none": "—",
    },
    "en": {
        "title": "Discharge settlement sheet",
        "patient_copy": "patient copy",
        "audit_copy": "audit copy",
        "person": "Insured person",
        "name": "Name",
        "sex": "Sex",
        "age": "Age",
        "id": "Person id",
        "scheme": "Scheme",
        "psn_type": "Person type",
        "jurisdiction": "Insured region",
        "hospital": "Institution",
        "admission_no": "Admission no.",
        "department": "Department",
        "diagnosis": "Diagnosis",
        "stay": "Length of stay",
        "days": "days",
        "years": "years",
        "claim": "Claim",
        "setl_id": "Settlement id",
        "mdtrt_id": "Treatment id",
        "kind": "Kind",
        "hospital_level": "Hospital level",
        "admitted": "Admitted",
        "discharged": "Discharged",
        "plugin": "Rules",
        "overrides": "Overridden parameters",
        "costs": "Costs",
        "by_category": "Fees by category",
        "total": "Total cost",
        "out_of_scope": "Out of scope",
        "over_limit": "Above the price ceiling",
        "class_b_self_pay": "Class-B first self-pay",
        "in_scope": "In-scope cost",
        "funds": "Funds",
        "settlement": "Settlement",
        "deductible": "Deductible",
        "basic_pool": "Basic pool",
        "in_scope_self_pay": "In-scope self-pay",
        "critical_illness": "Critical-illness insurance",
        "burden_subsidy": "Over-burden subsidy",
        "large_amount": "Large-amount subsidy",
        "medical_assistance": "Medical assistance",
        "fund_total": "Funds in total",
        "patient_total": "Patient pays",
        "personal": "Patient's share",
        "account": "Personal account",
        "mutual_aid": "Family mutual aid",
        "cash": "Cash",
        "balance": "Account balance",
        "capital_total": "Total cost in capitals",
        "capital_cash": "Cash in capitals",
        "how": "How",
        "rule": "Rule",
        "source": "Source",
        "quote": "Quote",
        "from": "in force from",
        "verified": "verified",
        "unverified": "UNVERIFIED",
        "carried": "carried forward past its source's last date {until}: unverified for this claim",
        "note": "Note",
        "trust": "Trust",
        "trust_summary": "{lines} lines: {verified} rest on verified values; {unverified} on unverified values"
        " ({carried_forward} of them on values carried forward past their sources' dates); {without_rule} on no rule",
        "refused_by_unverified": "; refused by an unverified eligibility rule: {n}",
        "warning": "Warning",
        "refused": "Refused",
        "year": "Year to date",
        "before": "before",
        "after": "after",
        "acc_in_scope": "In-scope cost",
        "acc_basic_pool": "Basic pool paid",
        "acc_base": "base",
        "acc_paid": "paid",
        "not_given": "not given",
        "male": "male",
        "female": "female",
        "none": "—",
    },
}

_KIND_ZH = {
    "inpatient": "住院",
    "outpatient": "普通门诊",
    "outpatient_dialysis": "门诊透析",
    "outpatient_radiotherapy": "恶性肿瘤门诊放疗",
    "outpatient_special": "门诊慢特病",
    "negotiated_drug": "国家谈判药品",
    "pku": "苯丙酮尿症门诊",
}
_TABLES_ZH = {
    "basic.deductible": "起付标准",
    "basic.ratio": "统筹基金支付比例",
    "basic.pool_cap": "统筹基金年度最高支付限额",
    "coverage.start_delay_months": "参保待遇等待期",
    "coverage.lapse_waiting_months": "断缴后等待期",
    "fees.class_b_self_pay_ratio": "乙类先行自付比例",
    "personal_account.outside_scope_share": "个人账户支付范围",
}
_CJK = re.compile(r"[\u3400-\u9fff]")
_RULE_ID = re.compile(r"^(?P<jurisdiction>[^/]+)/(?P<table>[^\[]+)(?:\[(?P<row>.*)\])?$")


# --- display width -----------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: a wide (CJK, full-width) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


# --- the names a sheet shows --------------------------------------------------------------------


def jurisdiction_names(engine: Engine) -> dict[str, str]:
    """Every jurisdiction's Chinese name in ``engine`` (code → name), for Chinese sheets."""
    return {code: engine.registry.jurisdiction(code).name for code in engine.registry.codes}


def _labels(lang: str) -> dict[str, str]:
    if lang not in LABELS:
        raise ValueError(f"lang={lang!r}: expected one of {', '.join(LABELS)}")
    return LABELS[lang]


def _place(code: str, lang: str, names: Mapping[str, str]) -> str:
    return names.get(code, code) if lang == "zh" else code


def _table_zh(table: str) -> str:
    if table in _TABLES_ZH:
        return _TABLES_ZH[table]
    if table.endswith(".schedule") or table.endswith(".rate"):
        key = table.rsplit(".", 1)[0]
        fund = next((name for c, name in FUND_NAMES_ZH.items() if key.startswith(c)), None)
        if fund is not None:
            return f"{fund}支付标准"
        return "合计支付上限" if table.endswith(".rate") else "待遇支付标准"
    if table.startswith("eligibility."):
        return "待遇资格"
    if table.startswith("personal_account."):
        return "个人账户"
    return "规则参数"


def _cite_zh(ref: RuleRef) -> str:
    """The source in Chinese: the document's title and the publication's Chinese name, dated."""
    src = ref.provenance.source
    if src.publication.startswith("medinsure assumption"):
        return "medinsure 假设值（未找到公开数据，可替换为官方数值）"
    publication = re.split(r" \(|,|，", src.publication, maxsplit=1)[0].strip()
    document = None
    if src.document and _CJK.search(src.document):  # without any English aside in brackets
        document = re.sub(r"\s*\([^)\u3400-\u9fff]*\)", "", src.document).strip()
    parts = [p for p in (document, publication) if p]
    text = "，".join(dict.fromkeys(parts))
    if src.date is not None:
        text += f"，{src.date.isoformat()}"
    return text


def _quote(ref: RuleRef) -> str | None:
    """The sentence of the source a rule pack quotes for the value (else its note, when it is Chinese)."""
    if ref.provenance.quote:
        return ref.provenance.quote
    note = ref.provenance.note
    if note and _CJK.search(note) and len(_CJK.findall(note)) * 2 >= len(note.replace(" ", "")) // 2:
        return note
    return None


def _is_schedule(ref: RuleRef) -> bool:
    match = _RULE_ID.match(ref.rule_id)
    return bool(match and match.group("table").endswith(".schedule"))


# --- what a sheet holds, whatever it is rendered as ---------------------------------------------


@attrs.frozen
class _Row:
    label: str
    value: str
    details: tuple[str, ...] = ()
    component: str | None = None
    strong: bool = False
    css: str = ""


@attrs.frozen
class _Block:
    title: str
    rows: tuple[_Row, ...]
    kind: str = "amounts"  # amounts | year
    after: tuple[str, ...] = ()


@attrs.frozen
class _Sheet:
    lang: str
    title: str
    subtitle: str
    header: tuple[tuple[str, str], ...]
    blocks: tuple[_Block, ...]
    claim_id: str


def _age(s: Settlement) -> int | None:
    return None if s.patient is None else s.patient.age_on(s.claim.service_date)


def _header(
    s: Settlement, t: dict[str, str], lang: str, mask: bool, names: Mapping[str, str], copy: str
) -> list[tuple[str, str]]:
    c, p = s.claim, s.patient
    person = mask_id(s.patient_id) if mask else s.patient_id
    scheme = None if p is None else p.scheme
    rows: list[tuple[str, str]] = []
    if p is not None and p.name:
        rows.append((t["name"], _mask_name(p.name) if mask else p.name))
    if p is not None and p.sex:
        rows.append((t["sex"], t[p.sex]))
    age = _age(s)
    if age is not None:
        rows.append((t["age"], f"{age} {t['years']}" if lang == "en" else f"{age}{t['years']}"))
    rows.append((t["id"], person))
    if scheme is not None:
        rows.append((t["scheme"], (label("scheme", scheme) or scheme) if lang == "zh" else scheme))
    kind_code = psn_type(s)
    if kind_code is not None:
        rows.append((t["psn_type"], _psn_type_name(kind_code, lang)))
    rows.append((t["jurisdiction"], _place(s.jurisdiction, lang, names)))
    if c.hospital_name or c.hospital_code:
        code = f"({c.hospital_code})" if c.hospital_code else None
        rows.append((t["hospital"], " ".join(x for x in (c.hospital_name, code) if x)))
    rows.append((t["hospital_level"], _level(c.hospital_level, t, lang)))
    for key in ("admission_no", "department", "diagnosis"):
        if getattr(c, key):
            rows.append((t[key], getattr(c, key)))
    rows.append((t["kind"], _KIND_ZH.get(c.kind, c.kind) if lang == "zh" else c.kind))
    rows.append((t["admitted"], c.admitted.isoformat() if c.admitted else t["none"]))
    rows.append((t["discharged"], c.discharged.isoformat()))
    if c.admitted is not None and c.kind == "inpatient":
        days = max((c.discharged - c.admitted).days, 1)
        rows.append((t["stay"], f"{days} {t['days']}" if lang == "en" else f"{days}{t['days']}"))
    rows.append((t["claim"], c.id))
    rows.append((t["setl_id"], setl_id(s)))
    if copy == "audit":
        plugin = f"{names.get(s.plugin, s.plugin)}规则包" if lang == "zh" else s.plugin
        rows.append((t["plugin"], f"{plugin} {s.plugin_version}"))
        if s.overrides:
            rows.append((t["overrides"], ", ".join(s.overrides)))
        rows.append((t["trust"], _trust(s, t)))
    return rows


def _mask_name(name: str) -> str:
    """A name with its middle hidden: 王秀英 → 王*英, 李明 → 李*."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _psn_type_name(code: str, lang: str) -> str:
    names = {"11": ("在职", "in service"), "12": ("退休", "retired")}
    zh, en = names.get(code[:2], (code, code))
    return f"{zh}（{code}）" if lang == "zh" else f"{en} ({code})"


def _level(level: str | None, t: dict[str, str], lang: str) -> str:
    if level is None:
        return t["none"]
    return (label("hospital_level", level) or level) if lang == "zh" else level


def _costs(s: Settlement, t: dict[str, str]) -> _Block:
    c = s.claim
    rows = [
        _Row(t["total"], fmt(c.total), strong=True),
        _Row(t["out_of_scope"], fmt(c.out_of_scope)),
        _Row(t["over_limit"], fmt(c.over_limit)),
        _Row(t["class_b_self_pay"], fmt(c.class_b_self_pay)),
        _Row(t["in_scope"], fmt(c.in_scope)),
    ]
    return _Block(t["costs"], tuple(rows))


def _categories(s: Settlement, lang: str) -> _Block | None:
    items = s.claim.items
    if not items:
        return None
    sums: dict[str, Decimal] = {}
    for item in items:
        key = item.category or "other"
        sums[key] = sums.get(key, ZERO) + item.amount
    t = _labels(lang)
    rows = [_Row((label("category", key) or key) if lang == "zh" else key, fmt(amount)) for key, amount in sums.items()]
    return _Block(t["by_category"], tuple(rows))


def _funds_applying(s: Settlement) -> list[str]:
    """The funds that apply to the claim: the basic pool, and each fund with a line of its own."""
    applying = ["basic_pool"]
    for line in s.lines:
        if line.component in FUNDS and line.component not in applying:
            applying.append(line.component)
    return applying


def _line_text(line: Line, lang: str) -> str:
    return line.text_zh if lang == "zh" and line.text_zh else line.text


def _ref_lines(ref: RuleRef, t: dict[str, str], lang: str, names: Mapping[str, str]) -> list[str]:
    flag = t["verified"] if ref.verified else t["unverified"]  # a carried-forward value is not, for this claim
    carried_text = t["carried"].format(until=ref.until) if ref.carried_forward else ""
    if lang == "en":
        carried = f"; {carried_text}" if carried_text else ""
        out = [f"{t['rule']}: {ref.version_id} = {ref.value}{carried}"]
        out.append(f"{t['source']}: {ref.provenance.source.cite()} [{flag}]")
        if ref.provenance.quote:
            out.append(f"{t['quote']}: {ref.provenance.quote}")
        if ref.provenance.note:
            out.append(f"{t['note']}: {ref.provenance.note}")
        return out
    carried = f"；{carried_text}" if carried_text else ""
    match = _RULE_ID.match(ref.rule_id)
    place = _place(match.group("jurisdiction"), lang, names) if match else ""
    table = _table_zh(match.group("table")) if match else "规则参数"
    value = "" if _is_schedule(ref) else f" = {ref.value}"
    out = [f"{t['rule']}：{place}·{table}（{ref.version} {t['from']}）{value}{carried}"]
    out.append(f"{t['source']}：{_cite_zh(ref)} [{flag}]")
    quote = _quote(ref)
    if quote:
        out.append(f"{t['quote']}：{quote}")
    return out


def _steps(
    s: Settlement, component: str, t: dict[str, str], lang: str, copy: str, names: Mapping[str, str]
) -> tuple[str, ...]:
    """The audit copy's steps of one component: each line's calculation, then its rules."""
    if copy != "audit":
        return ()
    details: list[str] = []
    for line in s.lines:
        if line.component != component:
            continue
        details.append(f"{t['how']}{'：' if lang == 'zh' else ': '}{_line_text(line, lang)}")
        for ref in line.rules:
            details.extend(_ref_lines(ref, t, lang, names))
    return tuple(details)


def _settlement_block(s: Settlement, t: dict[str, str], lang: str, copy: str, names: Mapping[str, str]) -> _Block:
    applying = _funds_applying(s)
    unknown_deductible = s.claim.basic is not None and s.claim.basic.deductible is None
    rows = []
    for name in ("deductible", *FUNDS, "in_scope_self_pay", "fund_total", "patient_total"):
        if name in FUNDS and name not in applying:
            continue
        if name in ("in_scope_self_pay", "patient_total") and copy == "patient":
            continue
        value = t["not_given"] if name == "deductible" and unknown_deductible else fmt(s.components[name])
        steps = _steps(s, name, t, lang, copy, names)
        rows.append(_Row(t[name], value, steps, name, strong=name in ("fund_total", "patient_total")))
    refusals = tuple(
        f"{t['refused']}：{r.text_zh}"
        if lang == "zh"
        else f"{t['refused']}: {r.reason} ({r.rule_id}; {r.provenance.cite()})"
        for r in s.refusals
    )
    if copy == "audit":
        refusals += tuple(f"{t['warning']}{'：' if lang == 'zh' else ': '}{text}" for text in s.warnings)
    return _Block(t["settlement"] if copy == "audit" else t["funds"], tuple(rows), after=refusals)


def _trust(s: Settlement, t: dict[str, str]) -> str:
    """The audit copy's count of the lines by the trust of the rules they rest on."""
    trust = s.trust
    text = t["trust_summary"].format(**trust.to_dict())
    if trust.refused_by_unverified:
        text += t["refused_by_unverified"].format(n=trust.refused_by_unverified)
    return text


def _personal_block(s: Settlement, t: dict[str, str], lang: str, copy: str, names: Mapping[str, str]) -> _Block:
    a = s.account
    rows = [_Row(t["patient_total"], fmt(s.patient_total), strong=True)]
    if a is not None:
        steps = _steps(s, "personal_account", t, lang, copy, names)
        rows.append(_Row(t["account"], fmt(a.account), steps, component="personal_account"))
        if a.mutual_aid:
            steps = _steps(s, "mutual_aid", t, lang, copy, names)
            rows.append(_Row(t["mutual_aid"], fmt(a.mutual_aid), steps, component="mutual_aid"))
    cash = s.patient_total if a is None else a.cash
    rows.append(_Row(t["cash"], fmt(cash), strong=True, component="cash"))
    if a is not None and a.balance is not None:
        rows.append(_Row(t["balance"], fmt(a.balance)))
    rows.append(_Row(t["capital_total"], capital(s.claim.total), css="capital", component="capital_total"))
    rows.append(_Row(t["capital_cash"], capital(cash), css="capital", component="capital_cash"))
    return _Block(t["personal"], tuple(rows))


def _year_block(s: Settlement, t: dict[str, str], lang: str) -> _Block:
    b, a = s.accumulator_before, s.accumulator_after
    rows = [
        _Row(t["acc_in_scope"], fmt(b.in_scope), (fmt(a.in_scope),)),
        _Row(t["acc_basic_pool"], fmt(b.basic_pool), (fmt(a.basic_pool),)),
    ]

    def named(key: str) -> str:
        if lang != "zh":
            return key
        return next((name for c, name in FUND_NAMES_ZH.items() if key.startswith(c)), "其他待遇")

    for key in sorted(set(b.bases) | set(a.bases)):
        rows.append(_Row(f"{named(key)} {t['acc_base']}", fmt(b.bases[key]), (fmt(a.bases[key]),)))
    for key in sorted(set(b.paid) | set(a.paid)):
        rows.append(_Row(f"{named(key)} {t['acc_paid']}", fmt(b.paid[key]), (fmt(a.paid[key]),)))
    return _Block(f"{t['year']} {s.claim.year}", tuple(rows), kind="year")


def _sheet(s: Settlement, lang: str, mask: bool, copy: str, names: Mapping[str, str]) -> _Sheet:
    if copy not in COPIES:
        raise ValueError(f"copy={copy!r}: expected one of {', '.join(COPIES)}")
    t = _labels(lang)
    blocks = [_costs(s, t)]
    category = _categories(s, lang)
    if category is not None:
        blocks.append(category)
    blocks.append(_settlement_block(s, t, lang, copy, names))
    blocks.append(_personal_block(s, t, lang, copy, names))
    blocks.append(_year_block(s, t, lang))
    place = _place(s.jurisdiction, lang, names)
    subtitle = f"{place} · {t[copy + '_copy']}" if lang == "en" else f"{place}（{t[copy + '_copy']}）"
    return _Sheet(lang, t["title"], subtitle, tuple(_header(s, t, lang, mask, names, copy)), tuple(blocks), s.claim.id)


# --- text ----------------------------------------------------------------------------------------


def render_text(
    s: Settlement,
    *,
    lang: str = "zh",
    mask: bool = True,
    copy: str = "audit",
    names: Mapping[str, str] | None = None,
) -> str:
    """The sheet as plain text, its columns lined up by display width."""
    sheet = _sheet(s, lang, mask, copy, names or {})
    t = _labels(lang)
    head = f"{sheet.title}  {sheet.subtitle}"
    out = [head, "=" * max(display_width(head), 48)]
    key_width = max(display_width(k) for k, _ in sheet.header)
    out += [f"{_pad(k, key_width)}  {v}" for k, v in sheet.header]
    rows = [row for block in sheet.blocks for row in block.rows]
    width = max(display_width(r.label) for r in rows) + 2  # one label column for the whole sheet
    amounts = max(16, *(display_width(r.value) for r in rows))
    for block in sheet.blocks:
        span = f"（{t['before']} → {t['after']}）" if sheet.lang == "zh" else f" ({t['before']} → {t['after']})"
        out += ["", block.title + (span if block.kind == "year" else "")]
        for row in block.rows:
            if block.kind == "year":
                out.append(f"  {_pad(row.label, width)}{_pad(row.value, amounts, right=True)} → {row.details[0]}")
                continue
            out.append(f"  {_pad(row.label, width)}{_pad(row.value, amounts, right=True)}")
            out += [f"      {detail}" for detail in row.details]
        out += [f"  {line}" for line in block.after]
    return "\n".join(out)


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;margin:24px;color:#111}
.sheet{max-width:960px;margin:0 auto 32px}
header h1{font-size:21px;margin:0;text-align:center;letter-spacing:2px}
header .subtitle{text-align:center;font-size:13px;color:#333;margin:2px 0 8px}
h2{font-size:14px;margin:12px 0 4px}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{border:1px solid #999;padding:3px 6px;vertical-align:top;text-align:left}
th{font-weight:normal;background:#f7f7f7;white-space:nowrap}
td.amount{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td,tr.total th{font-weight:bold;background:#eee}
tr.capital td{font-weight:bold;letter-spacing:1px}
.detail{color:#333;font-size:11px;line-height:1.35}
.rule{color:#555;font-size:10.5px}
.unverified{color:#a40000;font-weight:bold}
.refused{color:#a40000;font-size:12px;margin:4px 0}
@page{size:A4;margin:12mm 10mm}
@media print{
  body{margin:0;font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC","Noto Sans SC",sans-serif}
  .sheet{max-width:none;margin:0;break-after:page;page-break-after:always}
  .sheet:last-child{break-after:auto;page-break-after:auto}
  thead{display:table-header-group}
  tr{break-inside:avoid}
  .copy-audit table{font-size:10px}
  .copy-audit .detail{font-size:9px}
  .copy-audit .rule{font-size:8px;line-height:1.25}
}
"""


def _html_sheet(sheet: _Sheet, copy: str) -> str:
    e = html.escape
    t = _labels(sheet.lang)
    parts = [
        f'<section class="sheet copy-{copy}" data-claim="{e(sheet.claim_id)}">',
        f'<header><h1>{e(sheet.title)}</h1><p class="subtitle">{e(sheet.subtitle)}</p></header>',
        '<table class="fields">',
    ]
    pairs = list(sheet.header)
    for i in range(0, len(pairs), 3):
        cells = "".join(f"<th>{e(k)}</th><td>{e(v)}</td>" for k, v in pairs[i : i + 3])
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</table>")
    for block in sheet.blocks:
        parts.append(f"<h2>{e(block.title)}</h2>")
        if block.kind == "year":
            parts.append(
                f'<table class="year"><thead><tr><th></th><th>{e(t["before"])}</th>'
                f"<th>{e(t['after'])}</th></tr></thead>"
            )
            parts += [
                f'<tr><th>{e(r.label)}</th><td class="amount">{e(r.value)}</td>'
                f'<td class="amount">{e(r.details[0])}</td></tr>'
                for r in block.rows
            ]
            parts.append("</table>")
            continue
        with_details = any(r.details for r in block.rows)
        parts.append('<table class="amounts">')
        for row in block.rows:
            css = " ".join(x for x in ("total" if row.strong else "", row.css) if x)
            row_attrs = (f' class="{css}"' if css else "") + (
                f' data-component="{row.component}"' if row.component else ""
            )
            cell = f'<td class="amount">{e(row.value)}</td>'
            detail = ""
            if with_details:
                detail = "<td>" + "".join(_html_detail(d, t) for d in row.details) + "</td>"
            parts.append(f"<tr{row_attrs}><th>{e(row.label)}</th>{cell}{detail}</tr>")
        parts.append("</table>")
        parts += [f'<p class="refused">{e(line)}</p>' for line in block.after]
    parts.append("</section>")
    return "\n".join(parts)


def _html_detail(text: str, t: dict[str, str]) -> str:
    e = html.escape
    is_rule = text.startswith((t["rule"], t["source"], t["quote"], t["note"]))
    body = e(text)
    for flag in (t["unverified"], t["verified"]):
        marker = e(f"[{flag}]")
        if marker in body:
            css = "unverified" if flag == t["unverified"] else "verified"
            body = body.replace(marker, f'<span class="{css}">{marker}</span>')
            break
    return f'<div class="{"rule" if is_rule else "detail"}">{body}</div>'


def _page(title: str, lang: str, body: Iterable[str]) -> str:
    return "\n".join(
        [
            f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
            *body,
            "</body></html>",
        ]
    )


def render_html(
    s: Settlement,
    *,
    lang: str = "zh",
    mask: bool = True,
    copy: str = "audit",
    names: Mapping[str, str] | None = None,
) -> str:
    """The sheet as a self-contained HTML page (A4 when printed)."""
    return render_document([s], lang=lang, mask=mask, copy=copy, names=names)


def render_document(
    settlements: Iterable[Settlement],
    *,
    lang: str = "zh",
    mask: bool = True,
    copy: str = "audit",
    names: Mapping[str, str] | None = None,
) -> str:
    """One HTML page holding the sheet of each settlement: one claim per printed A4 page."""
    sheets = [_sheet(s, lang, mask, copy, names or {}) for s in settlements]
    title = ""
    if sheets:
        title = sheets[0].title + (f" {sheets[0].claim_id}" if len(sheets) == 1 else "")
    return _page(title, lang, (_html_sheet(sheet, copy) for sheet in sheets))
