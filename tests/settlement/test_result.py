"""A settlement's record: its sheet names every rule and source, its JSON form."""

from __future__ import annotations

import re

from support import claim, patient


def test_explain_names_every_rule_and_source(engine):
    (s,) = engine.settle(patient(), [claim(total=60000, in_scope=40000)], jurisdiction="testland")
    sheet = s.explain()
    assert re.search(r"^Insured region +testland$", sheet, re.MULTILINE)
    assert re.search(r"^Rules +testplugin 9\.9\.9$", sheet, re.MULTILINE)
    for version in s.rule_versions:
        assert f"Rule: {version}" in sheet
    assert "Source: medinsure test suite, invented figures, 2020-01-01 [verified]" in sheet
    assert "(40,000.00 − 1,000.00) × 60% = 23,400.00" in sheet
    data = s.to_dict()
    assert data["critical_illness"] == "0.00"
    assert data["rule_versions"] == list(s.rule_versions)
    assert data["plugin_version"] == "9.9.9"


def test_notebook_views_of_a_settlement_and_an_engine(engine):
    (s,) = engine.settle(patient(), [claim(total=60000, in_scope=40000)], jurisdiction="testland")
    assert len(repr(s)) < 200
    assert "funds 23400.00" in repr(s)  # (40,000 − 1,000) × 60%
    html = s._repr_html_()
    assert "<td>basic_pool</td><td style='text-align:right'>23,400.00</td>" in html
    assert "(40,000.00 − 1,000.00) × 60% = 23,400.00" in html
    assert "testplugin 9.9.9" in html
    assert repr(engine).startswith("<Engine: ")
    assert "<td>testland</td>" in engine._repr_html_()
    assert "testplugin 9.9.9" in engine._repr_html_()


def test_notebook_view_of_a_rule_table(engine):
    html = engine.rules("testland").find_table("critical_illness.schedule")._repr_html_()
    assert "<b>critical_illness.schedule</b> (schedule)" in html
    assert "<td>general</td><td>2020-01-01</td>" in html
    assert "threshold 20,000" in html
    assert "medinsure test suite" in html
