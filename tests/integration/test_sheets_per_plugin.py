"""Settlement sheets for each installed jurisdiction plugin, in both languages.

Unlike the core tests, these use the installed plugins (Liaoning, Dalian, Yingkou): they check
that every plugin's settlement renders, with the amounts computed by hand from its rule pack.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from medinsure.cli import main

# One resident, one tertiary admission: total 55,000, in-scope 51,000, deductible 1,000.
CASES = {
    # Liaoning 2025: (51,000 − 1,000) × 60% = 30,000; self-pay 21,000;
    # critical illness from 10,000 at 60%: 11,000 × 60% = 6,600
    "liaoning": ("2025-05-10", "30,000.00", "21,000.00", "6,600.00", "36,600.00", "18,400.00"),
    # Dalian 2021: 60% for adult residents; critical illness above 20,000: 1,000 × 60% = 600
    "dalian": ("2021-05-10", "30,000.00", "21,000.00", "600.00", "30,600.00", "24,400.00"),
    # Yingkou 2025: tertiary 70%: 35,000; self-pay 16,000; 6,000 × 60% = 3,600
    "yingkou": ("2025-05-10", "35,000.00", "16,000.00", "3,600.00", "38,600.00", "16,400.00"),
}
LABELS = {
    "zh": ("基本医疗保险统筹基金支付", "政策范围内个人自付", "大病保险支付", "基金支付合计", "个人负担合计"),
    "en": ("Basic pool", "In-scope self-pay", "Critical-illness insurance", "Funds in total", "Patient pays"),
}


def scenario(tmp_path: Path, code: str, day: str) -> Path:
    path = tmp_path / f"{code}.yaml"
    path.write_text(
        f"- name: {code} resident\n  jurisdiction: {code}\n"
        "  patient: {id: '210202198005011234', scheme: resident, birth_date: 1980-05-01}\n"
        f"  claims: [{{id: A1, kind: inpatient, discharged: {day}, hospital_level: tertiary, total: 55000, in_scope: 51000}}]\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("code", sorted(CASES))
def test_sheet_in_both_languages_for_each_plugin(tmp_path, code, lang):
    day, pool, self_pay, critical, funds, patient = CASES[code]
    out, err = io.StringIO(), io.StringIO()
    assert main(["explain", str(scenario(tmp_path, code, day)), "--lang", lang], out=out, err=err) == 0, err.getvalue()
    lines = out.getvalue().splitlines()

    def amount_of(label: str) -> str:
        line = next(line for line in lines if line.strip().startswith(label))
        return line.split()[-1]

    labels = LABELS[lang]
    assert [amount_of(label) for label in labels] == [pool, self_pay, critical, funds, patient]
    assert "2102**********1234" in out.getvalue()
    # the rule comes from this jurisdiction: by its id in English, by its name in Chinese
    place = {"liaoning": "辽宁省", "dalian": "大连市", "yingkou": "营口市"}[code]
    rule = f"{code}/critical_illness.schedule[" if lang == "en" else f"依据：{place}·大病保险支付标准"
    assert rule in out.getvalue()
    html = tmp_path / "sheet.html"
    assert (
        main(
            ["explain", str(scenario(tmp_path, code, day)), "--lang", lang, "--html", str(html)],
            out=io.StringIO(),
            err=err,
        )
        == 0
    )
    page = html.read_text(encoding="utf-8")
    assert f'<td class="amount">{critical}</td>' in page
    assert f'<td class="amount">{funds}</td>' in page
