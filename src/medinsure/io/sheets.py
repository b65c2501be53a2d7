"""The discharge settlement sheet (出院结算单) that a patient and a cashier read.

:func:`render_text` and :func:`render_html` show each fund's payment, the patient's share, and
for every amount the rule, its value, its source and the sentence of the source it comes
from; how many lines rest on verified, unverified and carried-forward values, and any warning;
then the year's accumulator before and after. Labels are Chinese by default (``lang="zh"``) or English (``lang="en"``). Person ids
are masked unless ``mask=False``.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from medinsure.io.masking import mask_id
from medinsure.money import fmt
from medinsure.rules.names import COMPONENTS

if TYPE_CHECKING:
    from medinsure.settlement.result import Line, RuleRef, Settlement

__all__ = ["LABELS", "render_html", "render_text"]

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "出院结算单",
        "patient": "参保人",
        "scheme": "险种",
        "resident": "城乡居民基本医疗保险",
        "employee": "职工基本医疗保险",
        "claim": "结算单号",
        "kind": "医疗类别",
        "inpatient": "住院",
        "outpatient": "普通门诊",
        "outpatient_dialysis": "门诊透析",
        "outpatient_radiotherapy": "恶性肿瘤门诊放疗",
        "outpatient_special": "门诊特殊病种",
        "negotiated_drug": "国家谈判药品",
        "pku": "苯丙酮尿症门诊",
        "hospital_level": "医院等级",
        "tertiary": "三级",
        "secondary": "二级",
        "primary": "一级",
        "community": "基层医疗机构及护理院",
        "none": "—",
        "admitted": "入院日期",
        "discharged": "出院日期",
        "jurisdiction": "参保地",
        "plugin": "规则",
        "costs": "费用",
        "total": "医疗费总额",
        "out_of_scope": "全自费",
        "class_b_self_pay": "乙类先行自付",
        "in_scope": "政策范围内费用",
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
        "how": "计算",
        "rule": "规则",
        "source": "依据",
        "verified": "已核实",
        "unverified": "未核实",
        "carried": "沿用（已超出来源所述日期 {until}，本次结算视为未核实）",
        "quote": "原文",
        "trust": "依据",
        "trust_summary": "共 {lines} 行：{verified} 行依据已核实的数值；{unverified} 行依据未核实的数值"
        "（其中 {carried_forward} 行沿用已超出来源所述日期的数值）；{without_rule} 行无规则依据",
        "refused_by_unverified": "未核实的资格规则拒付 {n} 项",
        "warning": "提示",
        "refused": "不予支付",
        "year": "年度累计",
        "before": "结算前",
        "after": "结算后",
        "acc_in_scope": "政策范围内费用",
        "acc_basic_pool": "统筹基金已支付",
        "acc_base": "累计基数",
        "acc_paid": "已支付",
        "overrides": "调整的参数",
    },
    "en": {
        "title": "Discharge settlement sheet",
        "patient": "Insured person",
        "scheme": "Scheme",
        "resident": "Urban-rural resident basic medical insurance",
        "employee": "Employee basic medical insurance",
        "claim": "Claim",
        "kind": "Kind",
        "inpatient": "Inpatient",
        "outpatient": "Outpatient",
        "outpatient_dialysis": "Outpatient dialysis",
        "outpatient_radiotherapy": "Outpatient tumour radiotherapy",
        "outpatient_special": "Outpatient special disease",
        "negotiated_drug": "Nationally negotiated drug",
        "pku": "PKU outpatient care",
        "hospital_level": "Hospital level",
        "tertiary": "Tertiary",
        "secondary": "Secondary",
        "primary": "Primary",
        "community": "Community / nursing home",
        "none": "—",
        "admitted": "Admitted",
        "discharged": "Discharged",
        "jurisdiction": "Insured region",
        "plugin": "Rules",
        "costs": "Costs",
        "total": "Total cost",
        "out_of_scope": "Out of scope",
        "class_b_self_pay": "Class-B first self-pay",
        "in_scope": "In-scope cost",
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
        "how": "How",
        "rule": "Rule",
        "source": "Source",
        "verified": "verified",
        "unverified": "UNVERIFIED",
        "carried": "carried forward past its source's last date {until}: unverified for this claim",
        "quote": "Quote",
        "trust": "Trust",
        "trust_summary": "{lines} lines: {verified} rest on verified values; {unverified} on unverified values"
        " ({carried_forward} of them on values carried forward past their sources' dates); {without_rule} on no rule",
        "refused_by_unverified": "refused by an unverified eligibility rule: {n}",
        "warning": "Warning",
        "refused": "Refused",
        "year": "Year to date",
        "before": "before",
        "after": "after",
        "acc_in_scope": "In-scope cost",
        "acc_basic_pool": "Basic pool paid",
        "acc_base": "base",
        "acc_paid": "paid",
        "overrides": "Overridden parameters",
    },
}

_ROWS = COMPONENTS


def _line_text(line: Line, lang: str) -> str:
    """How a line's amount was computed, in the sheet's language (English when no Chinese is given)."""
    return line.text_zh if lang == "zh" and line.text_zh else line.text


def _labels(lang: str) -> dict[str, str]:
    if lang not in LABELS:
        raise ValueError(f"lang={lang!r}: expected one of {', '.join(LABELS)}")
    return LABELS[lang]


def _header(s: Settlement, t: dict[str, str], mask: bool) -> list[tuple[str, str]]:
    c = s.claim
    person = mask_id(s.patient_id) if mask else s.patient_id
    rows = [
        (t["patient"], person),
        (t["claim"], c.id),
        (t["kind"], t.get(c.kind, c.kind)),
        (t["hospital_level"], t.get(c.hospital_level or "none", "—")),
        (t["admitted"], c.admitted.isoformat() if c.admitted else "—"),
        (t["discharged"], c.discharged.isoformat()),
        (t["jurisdiction"], s.jurisdiction),
        (t["plugin"], f"{s.plugin} {s.plugin_version}"),
    ]
    if s.overrides:
        rows.append((t["overrides"], ", ".join(s.overrides)))
    return rows


def _costs(s: Settlement, t: dict[str, str]) -> list[tuple[str, str]]:
    c = s.claim
    return [
        (t["total"], fmt(c.total)),
        (t["out_of_scope"], fmt(c.out_of_scope)),
        (t["class_b_self_pay"], fmt(c.class_b_self_pay)),
        (t["in_scope"], fmt(c.in_scope)),
    ]


def _trust(s: Settlement, t: dict[str, str]) -> list[str]:
    """The trust summary and the warnings, one text each."""
    trust = s.trust
    out = [t["trust_summary"].format(**trust.to_dict())]
    if trust.refused_by_unverified:
        out.append(t["refused_by_unverified"].format(n=trust.refused_by_unverified))
    out += [f"{t['warning']}: {text}" for text in s.warnings]
    return out


def _flags(ref: RuleRef, t: dict[str, str]) -> tuple[bool, str]:
    """Whether the rule is verified for this claim, and the carried-forward note (or "")."""
    return ref.verified, ("; " + t["carried"].format(until=ref.until)) if ref.carried_forward else ""


def _accumulator(s: Settlement, t: dict[str, str]) -> list[tuple[str, str, str]]:
    b, a = s.accumulator_before, s.accumulator_after
    rows = [
        (t["acc_in_scope"], fmt(b.in_scope), fmt(a.in_scope)),
        (t["acc_basic_pool"], fmt(b.basic_pool), fmt(a.basic_pool)),
    ]
    for key in sorted(set(b.bases) | set(a.bases)):
        rows.append((f"{key} {t['acc_base']}", fmt(b.bases[key]), fmt(a.bases[key])))
    for key in sorted(set(b.paid) | set(a.paid)):
        rows.append((f"{key} {t['acc_paid']}", fmt(b.paid[key]), fmt(a.paid[key])))
    return rows


def render_text(s: Settlement, *, lang: str = "zh", mask: bool = True) -> str:
    """The sheet as plain text."""
    t = _labels(lang)
    out = [t["title"], "=" * 40]
    out += [f"{k}: {v}" for k, v in _header(s, t, mask)]
    out += ["", t["costs"]]
    out += [f"  {k:<24}{v:>16}" for k, v in _costs(s, t)]
    for r in s.refusals:
        out.append(f"  {t['refused']}: {r.reason} ({r.rule_id}; {r.provenance.cite()})")
        if r.provenance.quote:
            out.append(f"      {t['quote']}: {r.provenance.quote}")
    out += ["", t["trust"]]
    out += [f"  {text}" for text in _trust(s, t)]
    out += ["", t["settlement"]]
    for name in _ROWS:
        out.append(f"  {t[name]:<24}{fmt(s.components[name]):>16}")
        for line in s.lines:
            if line.component != name:
                continue
            text = _line_text(line, lang)
            out.append(f"      {t['how']}: {text}")
            for ref in line.rules:
                verified, carried = _flags(ref, t)
                flag = t["verified"] if verified else t["unverified"]
                out.append(f"      {t['rule']}: {ref.version_id} = {ref.value}{carried}")
                out.append(f"      {t['source']}: {ref.provenance.source.cite()} [{flag}]")
                if ref.provenance.quote:
                    out.append(f"      {t['quote']}: {ref.provenance.quote}")
    out += ["", f"{t['year']} {s.claim.year} ({t['before']} → {t['after']})"]
    out += [f"  {k:<28}{b:>16} → {a}" for k, b, a in _accumulator(s, t)]
    return "\n".join(out)


_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;margin:24px;color:#111;max-width:960px}
h1{font-size:22px;border-bottom:2px solid #333;padding-bottom:6px}
h2{font-size:16px;margin-top:22px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #999;padding:4px 8px;vertical-align:top;text-align:left}
td.amount{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:bold;background:#f2f2f2}
.rule{color:#444;font-size:12px}
.unverified{color:#a40000;font-weight:bold}
.refused{color:#a40000}
.quote{color:#333;font-size:12px}
.carried,.warning{color:#a40000}
"""


def render_html(s: Settlement, *, lang: str = "zh", mask: bool = True) -> str:
    """The sheet as a self-contained HTML page."""
    t = _labels(lang)
    e = html.escape
    parts = [
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{e(t['title'])} {e(s.claim.id)}</title><style>{_CSS}</style></head><body>",
        f'<h1>{e(t["title"])}</h1><table class="header">',
    ]
    parts += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _header(s, t, mask)]
    parts.append(f'</table><h2>{e(t["costs"])}</h2><table class="costs">')
    parts += [f'<tr><th>{e(k)}</th><td class="amount">{e(v)}</td></tr>' for k, v in _costs(s, t)]
    parts.append("</table>")
    for r in s.refusals:
        parts.append(
            f'<p class="refused">{e(t["refused"])}: {e(r.reason)} ({e(r.rule_id)}; {e(r.provenance.cite())})</p>'
        )
    parts.append(f'<h2>{e(t["trust"])}</h2><ul class="trust">')
    for text in _trust(s, t):
        css = ' class="warning"' if text.startswith(t["warning"]) else ""
        parts.append(f"<li{css}>{e(text)}</li>")
    parts.append("</ul>")
    parts.append(f'<h2>{e(t["settlement"])}</h2><table class="settlement">')
    parts.append(
        f"<tr><th></th><th>{e(t['settlement'])}</th><th>{e(t['how'])} / {e(t['rule'])} / {e(t['source'])}</th></tr>"
    )
    for name in _ROWS:
        details = []
        for line in s.lines:
            if line.component != name:
                continue
            text = _line_text(line, lang)
            details.append(f"<div>{e(text)}</div>")
            for ref in line.rules:
                verified, carried_text = _flags(ref, t)
                flag = f'<span class="{"verified" if verified else "unverified"}">[{e(t["verified"] if verified else t["unverified"])}]</span>'
                carried = f'<span class="carried">{e(carried_text)}</span>' if carried_text else ""
                quote = (
                    f'<br><span class="quote">{e(t["quote"])}: {e(ref.provenance.quote)}</span>'
                    if ref.provenance.quote
                    else ""
                )
                details.append(
                    f'<div class="rule">{e(t["rule"])}: {e(ref.version_id)} = {e(ref.value)}{carried}<br>'
                    f"{e(t['source'])}: {e(ref.provenance.source.cite())} {flag}{quote}</div>"
                )
        css = ' class="total"' if name in ("fund_total", "patient_total") else ""
        parts.append(
            f'<tr{css} data-component="{name}"><th>{e(t[name])}</th><td class="amount">{fmt(s.components[name])}</td>'
            f"<td>{''.join(details)}</td></tr>"
        )
    parts.append(f'</table><h2>{e(t["year"])} {s.claim.year}</h2><table class="accumulator">')
    parts.append(f"<tr><th></th><th>{e(t['before'])}</th><th>{e(t['after'])}</th></tr>")
    parts += [
        f'<tr><th>{e(k)}</th><td class="amount">{b}</td><td class="amount">{a}</td></tr>'
        for k, b, a in _accumulator(s, t)
    ]
    parts.append("</table></body></html>")
    return "\n".join(parts)
