"""The ledger commands: settle --ledger, reverse, correct, ledger show, ledger verify."""

from __future__ import annotations

import io
import json
import re
import textwrap
from pathlib import Path

import pytest

from medinsure.cli import main
from medinsure.io.national import derived_setl_id
from medinsure.ledger import open_ledger
from support import ARGS, TESTS
from support.ledger import tamper

HERE = TESTS
EXAMPLE = HERE / "data" / "settle-example.yaml"
ID = "210203198001011234"
MASKED = "2102**********1234"

# Two admissions of one resident in 2020 (tests/data/testland.yaml):
# C1 tertiary: (45,000 − 1,000) × 60% = 26,400 pool, self-pay 18,600, critical illness 0
# C2 secondary: (30,000 − 600) × 70% = 20,580 pool, self-pay 9,420; year 28,020 → 8,020 × 60% = 4,812
FILE = f"""\
- name: a resident identified by an ID number
  jurisdiction: testland
  patient: {{id: "{ID}", scheme: resident}}
  claims:
    - {{id: C1, kind: inpatient, discharged: 2020-03-15, hospital_level: tertiary, total: 50000, in_scope: 45000}}
    - {{id: C2, kind: inpatient, discharged: 2020-09-01, hospital_level: secondary, total: 30000, in_scope: 30000}}
  expect:
    C1: {{basic_pool: 1}}   # wrong on purpose: settle ignores expectations
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, *ARGS], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, name: str = "claims.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def dump(target: str, engine) -> bytes:
    with open_ledger(target, engine, create=False) as ledger:
        return ledger.dump()


def test_settle_into_a_ledger_prints_what_settle_prints_and_again_the_stored(target, engine):
    plain = run("settle", str(EXAMPLE), "--format", "json")
    first = run("settle", str(EXAMPLE), "--format", "json", "--ledger", target)
    assert first == plain
    assert first[0] == 0
    assert [d["critical_illness"] for d in json.loads(first[1])] == ["0.00", "4812.00"]
    recorded = dump(target, engine)
    assert run("settle", str(EXAMPLE), "--format", "json", "--ledger", target) == plain
    assert dump(target, engine) == recorded


def test_settle_ignores_expectations_and_masks_ids_in_the_table(target, tmp_path):
    file = write(tmp_path, FILE)
    code, out, err = run("settle", file, "--ledger", target)
    assert (code, err) == (0, "")
    c2 = next(line for line in out.splitlines() if line.startswith("C2 "))
    assert c2.split()[:3] == ["C2", MASKED, "2020"]
    assert "4,812.00" in c2.split()
    assert ID not in out
    code, out, _ = run("settle", file, "--ledger", target, "--show-ids")
    assert ID in out
    # JSON is data for programs: ids as they are, the same as without a ledger
    code, out, _ = run("settle", file, "--ledger", target, "--format", "json")
    assert json.loads(out)[0]["patient_id"] == ID


def test_a_dry_run_prints_the_pre_settlement_and_records_nothing(target, engine, tmp_path):
    file = write(tmp_path, FILE)
    two = write(
        tmp_path,
        f"""\
        - name: a third admission
          jurisdiction: testland
          patient: {{id: "{ID}", scheme: resident}}
          claims:
            - {{id: C3, kind: inpatient, discharged: 2020-11-01, basic: {{pool: 0, in_scope_self_pay: 10000}}}}
        """,
        "c3.yaml",
    )
    run("settle", file, "--ledger", target)
    before = dump(target, engine)
    code, out, err = run("settle", two, "--ledger", target, "--dry-run", "--format", "json")
    assert (code, err) == (0, "")
    # year base 28,020 → 38,020: F = 18,020 × 60% = 10,812 → 10,812 − 4,812 = 6,000
    assert json.loads(out)[0]["critical_illness"] == "6000.00"
    code, out, _ = run("settle", two, "--ledger", target, "--dry-run")
    assert out.startswith("Pre-settlement against ledger ")
    assert "nothing recorded" in out
    assert dump(target, engine) == before


def test_show_reverse_verify(target, engine, tmp_path):
    run("settle", write(tmp_path, FILE), "--ledger", target)
    code, out, err = run("ledger", "show", ID, "--ledger", target)
    assert (code, err) == (0, "")
    assert out.startswith(f"Person {MASKED}\n\nYear 2020: 2 claims, in settlement order\n")
    assert re.search(r"2  C2 +2020-09-01 +1  settled +20,580\.00 +4,812\.00 +25,392\.00 +4,608\.00", out)
    assert "base critical_illness: 28,020.00, paid 4,812.00" in out
    assert ID not in out

    code, out, err = run("reverse", "C1", "--ledger", target, "--reason", "refund")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    setl = derived_setl_id("testland", ID, "C1")
    assert lines[0] == (
        f"Reversed claim C1 (person {MASKED}, year 2020; setl_id {setl}, 2305 reversal): ledger event 3, reason: refund"
    )
    # C2 after nothing: year base 9,420 < 20,000 → its 4,812 of critical illness is taken back
    assert re.search(r"C2 +v1→v2 +critical_illness +-4,812\.00", out)
    assert re.search(r"C1 +v1→v2 +basic_pool +-26,400\.00", out)

    code, out, _ = run("ledger", "show", ID, "--year", "2020", "--ledger", target, "--show-ids")
    assert out.startswith(f"Person {ID}\n\nYear 2020: 2 claims, 1 reversed, in settlement order\n")
    # the audit trail names each step by the platform's interface and setl_id
    assert f"settle C1 (2304, setl_id {setl})" in out
    assert f"reverse C1 (2305, setl_id {setl}) — refund" in out

    assert run("ledger", "verify", "--ledger", target) == (
        0,
        "1 person-years, 2 claims, 3 events: no difference\n",
        "",
    )
    _break_accumulator(target)
    code, out, _ = run("ledger", "verify", "--ledger", target)
    assert code == 1
    assert f"DIFF person {MASKED}, year 2020: accumulator.in_scope: stored '1.00', recomputed '30000.00'" in out
    assert out.endswith("1 person-years, 2 claims, 3 events: 1 differences\n")


def _break_accumulator(target: str) -> None:
    tamper(
        target,
        'UPDATE ledger_person_years SET accumulator = replace(accumulator, \'"in_scope":"30000.00"\', \'"in_scope":"1.00"\')',
    )


def test_correct_replaces_recorded_claims(target, tmp_path):
    run("settle", write(tmp_path, FILE), "--ledger", target)
    fixed = write(tmp_path, FILE.replace("total: 30000, in_scope: 30000", "total: 30000, in_scope: 20000"), "fix.yaml")
    code, out, err = run("correct", fixed, "--ledger", target, "--reason", "resubmitted")
    assert (code, err) == (0, "")
    assert "Claim C1: as recorded, nothing to correct." in out
    assert f"Corrected claim C2 (person {MASKED}, year 2020): ledger event 3, reason: resubmitted" in out
    # C2: (20,000 − 600) × 70% = 13,580 pool, self-pay 6,420; year 25,020 → 5,020 × 60% = 3,012
    assert re.search(r"C2 +v1→v2 +critical_illness +-1,800\.00", out)
    assert re.search(r"C2 +v1→v2 +basic_pool +-7,000\.00", out)
    assert run("ledger", "verify", "--ledger", target)[0] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["reverse", "C9"], "medinsure reverse: claim.id='C9': not in the ledger"),
        (["ledger", "show", "110101199003071234"], "medinsure ledger: person='1101**********1234': the ledger holds"),
        (["ledger", "show", ID, "--year", "2019"], f"medinsure ledger: person='{MASKED}': the ledger holds no claims"),
    ],
)
def test_errors_are_one_line_with_exit_2_and_masked_ids(target, tmp_path, argv, message):
    run("settle", write(tmp_path, FILE), "--ledger", target)
    code, _out, err = run(*argv, "--ledger", target)
    assert code == 2
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1
    assert "110101199003071234" not in err
    assert ID not in err


def test_a_conflicting_file_is_refused_whole_and_masked(target, engine, tmp_path):
    run("settle", write(tmp_path, FILE), "--ledger", target)
    before = dump(target, engine)
    other = FILE.replace(ID, "110101199003071234").replace("C1", "C0")
    code, _, err = run("settle", write(tmp_path, other, "other.yaml"), "--ledger", target)
    assert code == 2
    assert "case 'a resident identified by an ID number', claims[1]: claim.id='C2': already in the ledger" in err
    assert "patient.id: stored '2102**********1234', given '1101**********1234'" in err
    assert "110101199003071234" not in err
    assert ID not in err
    # C0, before the conflicting C2 in the file, was not recorded either
    assert dump(target, engine) == before
    code, _, err = run("settle", write(tmp_path, other, "other.yaml"), "--ledger", target, "--show-ids")
    assert "given '110101199003071234'" in err


def test_ledger_commands_need_a_ledger(tmp_path):
    code, _, err = run("settle", str(EXAMPLE), "--dry-run")
    assert code == 2
    assert "--dry-run: needs --ledger" in err
    code, _, err = run("ledger", "verify", "--ledger", str(tmp_path / "none.sqlite"))
    assert code == 2
    assert "no such ledger file" in err


def test_a_conflicting_file_is_refused_whole_in_groups_too(target, engine, tmp_path):
    run("settle", write(tmp_path, FILE), "--ledger", target)
    before = dump(target, engine)
    other = FILE.replace(ID, "110101199003071234").replace("C1", "C0")
    code, _, err = run("settle", write(tmp_path, other, "other.yaml"), "--ledger", target, "--commit-every", "1")
    assert code == 2
    assert "claims[1]: claim.id='C2': already in the ledger" in err  # found by the pre-settlement
    assert "recorded" not in err
    assert dump(target, engine) == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--commit-every", "0"], "--commit-every: expected a number of claims, 1 or more, not '0'"),
        (["--commit-every", "x"], "--commit-every: expected a number of claims, 1 or more, not 'x'"),
        (["--commit-every", "2", "--dry-run"], "--commit-every: goes with recording"),
    ],
)
def test_commit_every_takes_a_number_of_claims(target, tmp_path, options, message):
    code, out, err = run("settle", write(tmp_path, FILE), "--ledger", target, *options)
    assert (code, out) == (2, "")
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_claim_raced_in_between_groups_stops_the_file_and_a_run_again_resumes(target, engine, tmp_path, monkeypatch):
    """Another writer records claim C2 with other content while the file is recorded one claim
    per transaction: C1 stays recorded, the error says so; the file fixed and run again resumes."""
    import medinsure.cli.ledger as ledger_cli

    file = write(tmp_path, FILE)
    racer = FILE.replace("total: 30000", "total: 30001").replace("C1", "R1")  # C2 with other content
    items = ledger_cli._items
    calls = []

    def raced(*args, **kwargs):
        calls.append(args)
        for number, submission in enumerate(items(*args, **kwargs), start=1):
            if len(calls) == 2 and number == 2:  # recording (after the pre-settlement), C1 committed
                assert run("settle", write(tmp_path, racer, "racer.yaml"), "--ledger", target)[0] == 0
            yield submission

    monkeypatch.setattr(ledger_cli, "_items", raced)
    code, out, err = run("settle", file, "--ledger", target, "--commit-every", "1", "--format", "json")
    assert (code, out) == (2, "")  # the output is whole or none
    assert "claims[1]: claim.id='C2': already in the ledger with different content" in err
    assert err.rstrip().endswith(
        "(the claim before it is recorded, in groups of 1: run the file again once it is fixed;"
        " recorded claims are returned as they are)"
    )
    with open_ledger(target, engine) as ledger:
        assert [ledger.entry(c) is not None for c in ("C1", "C2", "R1")] == [True, True, True]
    monkeypatch.setattr(ledger_cli, "_items", items)
    fixed = write(tmp_path, FILE.replace("total: 30000", "total: 30001"), "fixed.yaml")
    assert run("settle", fixed, "--ledger", target, "--commit-every", "1")[0] == 0
    assert run("ledger", "verify", "--ledger", target)[0] == 0
