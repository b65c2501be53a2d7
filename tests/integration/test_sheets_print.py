"""The patient copy and the audit copy in a real headless Chromium: text, 大写, tiers, pages.

Uses the installed plugins (Dalian, Yingkou) and Debian's ``chromium``, ``fonts-noto-cjk`` and
``poppler-utils`` (``.ci/setup-browser.sh``). Without them the tests are skipped on a
developer's machine and fail in CI. Each Chromium run is bounded by a timeout and reads a local
file only.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from medinsure import Engine
from medinsure.io.masking import mask_id
from medinsure.io.printing import find_chromium, print_pdf
from medinsure.io.records import settle_file
from medinsure.io.sheets import jurisdiction_names, render_document
from medinsure.money import capital
from support import DATA, run

ROOT = DATA.parent.parent
FILES = [
    ROOT / "examples" / "dalian-2021.yaml",
    ROOT / "examples" / "national-platform.yaml",
    DATA / "yingkou-sheet.yaml",
]
# one Dalian resident with three admissions, a Dalian employee (E1), a Yingkou resident (Y1)
CLAIMS = ("A1", "A2", "A3", "E1", "Y1")
IDENTIFIERS = re.compile(
    r"\b(critical_illness|basic_pool|burden_subsidy|large_amount|medical_assistance|in_scope\w*|"
    r"dalian|yingkou|liaoning|fund_total|patient_total|schedule|threshold)\b"
)


def _need(tool: str | None, what: str) -> str:
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} is not installed; .ci/setup-browser.sh installs it")
        pytest.skip(f"{what} is not installed (bash .ci/setup-browser.sh)")
    return tool


@pytest.fixture(scope="module")
def settlements():
    engine = Engine.from_installed()
    chosen = [s for path in FILES for s in settle_file(path, engine=engine) if s.claim.id in CLAIMS]
    assert [s.claim.id for s in chosen] == list(CLAIMS)
    return engine, chosen


def rendered_text(document: str, tmp_path: Path) -> str:
    """The page's text after Chromium has loaded and laid it out (its DOM, tags removed)."""
    chromium = _need(find_chromium(), "Chromium")
    page = tmp_path / "page.html"
    page.write_text(document, encoding="utf-8")
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    dom = result.stdout.decode("utf-8")
    body = dom.partition("<body>")[2]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(
        [_need(shutil.which("pdfinfo"), "pdfinfo (poppler-utils)"), str(pdf)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        [_need(shutil.which("pdftotext"), "pdftotext (poppler-utils)"), "-layout", str(pdf), "-"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("copy", ["patient", "audit"])
def test_chinese_sheets_in_chromium(settlements, tmp_path, copy):
    engine, chosen = settlements
    document = render_document(chosen, lang="zh", copy=copy, names=jurisdiction_names(engine))
    text = rendered_text(document, tmp_path)
    # no ASCII identifier in the Chinese text; the places by name
    assert IDENTIFIERS.findall(text) == []
    assert "大连市" in text
    assert "营口市" in text
    # the 大写 of each total, by hand: 38,000 / 105,000 / 150,000 / 10,000 / 55,000
    for words in ("叁万捌仟元整", "壹拾万伍仟元整", "壹拾伍万元整", "壹万元整", "伍万伍仟元整"):
        assert words in text
    assert capital(chosen[1].claim.total) == "壹拾万伍仟元整"
    # the employee's account and cash: account 2,000, mutual aid 300, cash 1,155 (壹仟壹佰伍拾伍元整)
    assert "个人账户支付" in text
    assert "壹仟壹佰伍拾伍元整" in text
    # a resident's sheet shows no employee-only fund
    resident = document.partition('data-claim="E1"')[0]
    assert "个人负担过重补助" not in resident
    assert "大额医疗补助" not in resident
    # a pre-settled claim without its deductible: 未提供, not 0.00
    assert "未提供" in text
    if copy == "audit":
        # A2: self-pay 15,000 + 60,000 = 75,000, 55,000 above the threshold 20,000
        assert "50,000 × 60% = 30,000" in text
        assert "5,000 × 65% = 3,250" in text
        assert "依据：大连市·大病保险支付标准" in text
        assert "[已核实]" in text
        assert "[未核实]" in text
    else:
        assert "依据" not in text
        assert "[已核实]" not in text
        assert "王*英" in text
        assert "心内科" in text
        assert "ZY2025000123" in text

    pdf = tmp_path / f"{copy}.pdf"
    print_pdf(document, pdf)
    assert pdf_pages(pdf) == len(CLAIMS)  # one claim per printed page


def test_explain_pdf_has_the_masked_id_the_total_and_its_capitals(tmp_path):
    _need(find_chromium(), "Chromium")
    pdf = tmp_path / "sheets.pdf"
    code, out, err = run("explain", str(FILES[0]), "--copy", "patient", "--pdf", str(pdf))
    assert (code, out, err) == (0, "", "")
    text = pdf_text(pdf)
    assert mask_id("210202198005011234") in text
    assert "210202198005011234" not in text
    assert "105,000.00" in text
    assert "壹拾万伍仟元整" in text
    assert pdf_pages(pdf) == 3
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, timeout=60, check=True).stdout
    embedded = [line.split() for line in fonts.splitlines()[2:]]
    assert any("WenQuanYiZenHei" in row[0] for row in embedded)  # the Chinese font, embedded (subset)
    assert all(row[-5] == "yes" for row in embedded)


def test_the_national_example_validates_against_the_shipped_schema():
    import json

    import jsonschema

    from medinsure.io.writers import load_schema

    code, out, err = run(
        "settle", str(ROOT / "examples" / "national-platform.yaml"), "--national-fields", "--format", "json"
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    jsonschema.validate(data, load_schema("settlement"))
    by_claim = {s["claim_id"]: s["national"]["setlinfo"] for s in data}
    # E1 (by hand in the file): account 2,000, mutual aid 300, cash 1,155; B1: deductible not given
    assert (by_claim["E1"]["acct_pay"], by_claim["E1"]["psn_cash_pay"]) == ("2000.00", "1155.00")
    assert by_claim["B1"]["act_pay_dedc"] is None
    assert by_claim["L1"]["overlmt_selfpay"] == "1000.00"
