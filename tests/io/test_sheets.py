"""The settlement sheets as text: the two copies, display-width alignment, amounts in capitals."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from medinsure import Claim
from medinsure.io.sheets import display_width, render_html, render_text
from medinsure.money import capital
from support import D, patient
from support import testland_engine as make_engine

ENGINE = make_engine()
NAMES = {"testland": "测试省"}


def settle(**claim):
    data = {"id": "C1", "kind": "inpatient", "discharged": "2020-06-15", "hospital_level": "tertiary"}
    (s,) = ENGINE.settle(
        patient(id="210202198005011234"), [Claim.from_mapping({**data, **claim})], jurisdiction="testland"
    )
    return s


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("33250.00", "叁万叁仟贰佰伍拾元整"),
        ("100000", "壹拾万元整"),
        ("10005", "壹万零伍元整"),
        ("1005.50", "壹仟零伍元伍角"),
        ("12.05", "壹拾贰元零伍分"),
        ("0.05", "伍分"),
        ("0", "零元整"),
        ("30010000", "叁仟零壹万元整"),
        ("200000000", "贰亿元整"),
    ],
)
def test_amounts_in_capitals(amount, words):
    assert capital(Decimal(amount)) == words


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("copy", ["patient", "audit"])
def test_text_columns_line_up_by_display_width(lang, copy):
    s = settle(total=60000, in_scope=40000)
    text = render_text(s, lang=lang, copy=copy, names=NAMES)
    ends = set()
    for line in text.splitlines():
        match = re.match(r"^  \S.*?\s((?:\d{1,3}(?:,\d{3})*\.\d{2})|\S+元\S*)$", line)
        if match and "→" not in line:
            ends.add(display_width(line))
    assert len(ends) == 1, text  # every amount ends in the same column, Chinese labels or not
    assert display_width("大病保险") == 8


def test_the_patient_copy_has_no_rules_and_the_audit_copy_every_step():
    # (40,000 − 1,000) × 60% = 23,400; self-pay 16,600 below the threshold 20,000
    s = settle(total=60000, in_scope=40000)
    patient_copy = render_text(s, copy="patient", names=NAMES)
    audit = render_text(s, copy="audit", names=NAMES)
    assert "依据" not in patient_copy
    assert "testland" not in patient_copy
    assert "陆万元整" in patient_copy  # the total, 60,000, in capitals
    assert "（40,000.00 − 1,000.00）× 60% = 23,400.00" in audit
    assert "依据：测试省·统筹基金支付比例（2020-01-01 起施行） = 60%" in audit
    assert "起付线 20,000；未达起付线" in audit
    assert re.search(r"[a-z]_[a-z]", audit) is None  # no snake_case identifier on a Chinese sheet
    english = render_text(s, lang="en", copy="audit")
    assert "Rule: testland/basic.ratio[" in english
    assert "threshold 20,000; below the threshold" in english


def test_a_residents_sheet_shows_no_employee_fund_and_an_unknown_deductible_as_not_given():
    s = settle(basic={"pool": 1000, "in_scope_self_pay": 500})
    page = render_html(s, copy="patient", names=NAMES)
    assert "个人负担过重补助" not in page
    assert "大额医疗补助" not in page
    assert '<tr data-component="deductible"><th>起付线</th><td class="amount">未提供</td>' in page
    employee = ENGINE.settle(
        patient(scheme="employee"),
        [
            Claim.from_mapping(
                {"id": "E", "kind": "inpatient", "discharged": "2020-06-15", "total": 100, "in_scope": 100}
            )
        ],
        jurisdiction="testland",
    )[0]
    assert "个人负担过重补助" in render_html(employee, copy="patient")
    assert s.deductible == D(0)


def test_a_refusal_reads_in_chinese_on_a_chinese_sheet():
    s = settle(total=1000, in_scope=1000, designated=False)
    text = render_text(s, copy="patient", names=NAMES)
    assert "不予支付：就医机构不是定点医疗机构" in text
    assert "designated" not in text
    assert "Refused: the institution is not designated" in render_text(s, lang="en")
