"""Trust and coverage with the installed plugins: carried-forward values in every output, strict
mode on the command line, and the years `medinsure plugins` shows, each settled.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from medinsure import Claim, Engine, Patient
from medinsure.errors import RuleNotInForce
from medinsure.io.writers import load_schema
from support import run, write

CARRIED = "dalian/critical_illness.schedule[general]@2021-01-01"


def dalian_case(tmp_path: Path, day: str) -> Path:
    # a Dalian resident whose basic settlement was made elsewhere: in-scope self-pay 60,000;
    # critical illness on the 2021 schedule: (60,000 − 20,000) × 60% = 24,000
    return write(
        tmp_path,
        f"""
        - name: Dalian resident
          jurisdiction: dalian
          patient: {{id: "210202198005011234", scheme: resident}}
          claims:
            - {{id: C1, kind: inpatient, discharged: {day}, basic: {{pool: 10000, in_scope_self_pay: 60000}}}}
        """,
    )


def test_a_dalian_2025_claim_is_marked_carried_forward_in_table_json_and_sheet(tmp_path):
    path = dalian_case(tmp_path, "2025-06-01")
    code, table, err = run("settle", str(path))
    assert (code, err) == (0, "")
    assert "24,000.00" in table
    assert f"    carried forward: {CARRIED} (its source speaks to 2021-12-31)" in table
    code, out, _ = run("settle", str(path), "--format", "json")
    data = json.loads(out)
    jsonschema.validate(data, load_schema("settlement"))
    (s,) = data
    assert s["carried_forward"] == [CARRIED]
    assert s["trust"] == {
        "lines": 4,  # the given deductible and pool, the self-pay, critical illness
        "verified": 0,
        "unverified": 1,
        "carried_forward": 1,
        "without_rule": 3,
        "refused_by_unverified": 0,
    }
    (line,) = [line for line in s["lines"] if line["component"] == "critical_illness"]
    (rule,) = line["rules"]
    assert (line["trust"], rule["verified"], rule["source_verified"], rule["until"]) == (
        "carried_forward",
        False,
        True,
        "2021-12-31",
    )
    assert rule["quote"].startswith("城乡居民医保参保人员一个自然年度内住院发生医疗费用中")
    code, sheet, _ = run("explain", str(path), "--lang", "en")
    assert code == 0
    assert "carried forward past its source's last date 2021-12-31: unverified for this claim" in sheet
    assert "4 lines: 0 rest on verified values; 1 on unverified values (1 of them on values carried forward" in sheet
    assert "Quote: 城乡居民医保参保人员一个自然年度内住院发生医疗费用中" in sheet
    code, sheet, _ = run("explain", str(path))
    assert "沿用（已超出来源所述日期 2021-12-31，本次结算视为未核实）" in sheet


@pytest.mark.parametrize("strict", ["--strict", "--strict=carried-forward"])
def test_a_dalian_2025_claim_is_refused_under_strict_with_exit_2_and_one_line(tmp_path, strict):
    path = dalian_case(tmp_path, "2025-06-01")
    for command in ("settle", "explain", "check"):
        code, out, err = run(command, strict, str(path))
        if command == "check":  # a refused claim is a failed case
            assert code == 1
            assert "strict mode refuses it" in out
            continue
        assert (code, out) == (2, "")
        assert len(err.splitlines()) == 1
        assert err.startswith(f"medinsure {command}: {path}: case 'Dalian resident', claims[0]: ")
        assert f"jurisdiction 'dalian', rule '{CARRIED}'" in err
        assert "value 'threshold 20,000.00; 0.00–50,000.00 at 60%" in err
        assert (
            "is carried forward past 2021-12-31, the last date its source speaks for, to the claim's date 2025-06-01"
            in err
        )


def test_a_dalian_2021_claim_on_verified_values_settles_under_strict(tmp_path):
    path = dalian_case(tmp_path, "2021-06-01")
    for strict in ("--strict=carried-forward", "--strict"):
        code, out, err = run("settle", strict, str(path), "--format", "json")
        assert (code, err) == (0, "")
        (s,) = json.loads(out)
        assert s["critical_illness"] == "24000.00"
        assert s["carried_forward"] == []
        assert s["trust"]["verified"] == 1


def test_the_ledger_commands_take_strict(tmp_path):
    path = dalian_case(tmp_path, "2025-06-01")
    ledger = str(tmp_path / "ledger.sqlite")
    code, _, err = run("settle", "--strict", str(path), "--ledger", ledger)
    assert code == 2
    assert "strict mode refuses it" in err
    assert run("settle", str(path), "--ledger", ledger)[0] == 0
    # verify lists each recorded claim that strict mode would refuse as a difference (exit 1)
    code, out, _ = run("ledger", "verify", "--ledger", ledger, "--strict=carried-forward")
    assert code == 1
    assert "claim C1: settlement: stored recorded, recomputed refused:" in out
    assert "strict mode refuses it" in out
    assert run("ledger", "verify", "--ledger", ledger)[0] == 0


def test_compare_takes_strict(tmp_path):
    csv = tmp_path / "claims.csv"
    csv.write_text(
        "jurisdiction,patient_id,scheme,claim_id,kind,discharged,hospital_level,total,in_scope\n"
        "dalian,P1,resident,C1,inpatient,2025-03-01,tertiary,30000,30000\n",
        encoding="utf-8",
    )
    assert run("compare", str(csv))[0] == 0
    code, _, err = run("compare", "--strict=carried-forward", str(csv))
    assert code == 2
    assert "strict mode refuses it" in err


def plugin_years() -> dict[str, tuple[int, int]]:
    code, out, _ = run("plugins")
    assert code == 0
    years = {}
    for line in out.splitlines()[1:]:
        cells = line.split()
        span = re.fullmatch(r"(\d{4})(?:–(\d{4}))?", cells[5])
        assert span, line
        years[cells[0]] = (int(span[1]), int(span[2] or span[1]))
    return years


def test_plugins_shows_years_in_which_raw_costs_settle():
    years = plugin_years()
    assert years["liaoning"] == (2025, 2025)  # its basic tables start in 2025
    assert years["dalian"] == (2021, 2025)
    engine = Engine.from_installed()
    for code, (first, last) in years.items():
        patients = [
            Patient(id="P", scheme="resident", birth_date=dt.date(1970, 1, 1)),
            Patient(id="P", scheme="resident", birth_date=dt.date(first - 8, 1, 1)),  # a child (Jiangsu's rules)
            Patient(id="P", scheme="employee", status="retired", service_years=30),
        ]
        for day in (dt.date(first, 1, 1), dt.date(last, 12, 31)):
            paid = []
            for patient in patients:
                claim = Claim(
                    id="C",
                    kind="inpatient",
                    discharged=day,
                    hospital_level="secondary",
                    total=Decimal(40000),
                    in_scope=Decimal(40000),
                )
                paid.append(engine.settle_claim(patient, claim, jurisdiction=code).basic_pool)
            assert max(paid) > 0, (code, day)
        before = Claim.from_mapping(
            {"id": "C", "kind": "inpatient", "discharged": dt.date(first, 1, 1) - dt.timedelta(days=1),
             "hospital_level": "secondary", "total": 40000, "in_scope": 40000}
        )  # fmt: skip
        with pytest.raises(RuleNotInForce, match=r"no (version|rules) in force"):
            engine.settle_claim(patients[0], before, jurisdiction=code)


def test_rules_for_a_year_lists_what_is_in_force_then_and_marks_what_is_carried_forward():
    code, out, _ = run("rules", "dalian", "--year", "2025", "--format", "json")
    assert code == 0
    data = json.loads(out)
    ci = next(b for b in data["benefits"] if b["key"] == "critical_illness")
    general = next(r for r in ci["schedules"]["rows"] if r["row"] == "general")
    assert [(v["from"], v["to"], v["carried_forward"]) for v in general["versions"]] == [
        ("2021-01-01", "2021-12-31", True)
    ]
    delay = next(t for t in data["tables"] if t["name"] == "coverage.start_delay_months")
    # the 2021–2024 version ended before 2025 and is not listed; the 2025 one is in force, not carried
    assert [(v["from"], v["carried_forward"]) for v in delay["rows"][0]["versions"]] == [("2025-01-01", False)]
    code, text, _ = run("rules", "dalian", "--year", "2025")
    assert "[verified; CARRIED FORWARD past 2021-12-31]" in text
    assert "2021-01-01 – 2024-12-31" not in text
    code, text, _ = run("rules", "tieling", "--year", "2024", "--format", "json")
    data = json.loads(text)
    assert all(not t["rows"] for t in data["tables"])  # Tieling's rules start in 2025
    assert data["eligibility"] == []


def test_a_flat_file_settled_for_the_table_names_the_carried_forward_values_and_takes_strict(tmp_path):
    csv = tmp_path / "claims.csv"
    csv.write_text(
        "jurisdiction,patient_id,scheme,claim_id,kind,discharged,hospital_level,total,in_scope\n"
        "dalian,P1,resident,C1,inpatient,2021-03-01,tertiary,30000,30000\n"
        "dalian,P2,resident,C2,inpatient,2025-03-01,tertiary,30000,30000\n",
        encoding="utf-8",
    )
    code, table, err = run("settle", str(csv))  # the batch path: amounts, then the values carried forward
    assert (code, err) == (0, "")
    assert f"    carried forward: {CARRIED} (its source speaks to 2021-12-31)" in table
    code, out, err = run("settle", "--strict=carried-forward", str(csv))
    assert code == 2
    assert "C2" not in out
    assert len(err.splitlines()) == 1
    assert err.startswith(f"medinsure settle: {csv}: row 3: jurisdiction 'dalian', rule '{CARRIED}'")
