"""``medinsure ledger verify`` finds no difference after a concurrent, fuzzed, crashed-and-resumed run."""

from __future__ import annotations

import io

from medinsure.cli import main
from medinsure.ledger import open_ledger
from support.ledger import (
    CLI,
    claim_counter,
    cli_process,
    current_state,
    kill_when,
    run_workers,
    scenario_text,
    settle_items,
    worker_reverse,
    worker_settle,
    workload,
)

BAD_FILES = {
    "conflict.yaml": """\
- name: a known claim id with other amounts
  jurisdiction: testland
  patient: {id: "2102002100000000021", scheme: resident}
  claims:
    - {id: LATE1, kind: inpatient, discharged: 2020-01-02, hospital_level: primary, total: 10, in_scope: 10}
    - {id: S21P0Y2020N0, kind: inpatient, discharged: 2020-01-01, hospital_level: primary, total: 1, in_scope: 1}
""",
    "amount.yaml": """\
- name: three decimals after a good claim
  jurisdiction: testland
  patient: {id: P9, scheme: resident}
  claims:
    - {id: LATE2, kind: inpatient, discharged: 2021-05-01, hospital_level: primary, total: 100, in_scope: 100}
    - {id: LATE3, kind: inpatient, discharged: 2021-05-02, hospital_level: primary, total: 100, in_scope: 99.999}
""",
    "nowhere.json": '[{"name": "x", "jurisdiction": "atlantis", "patient": {"id": "P9", "scheme": "resident"},'
    ' "claims": [{"id": "LATE4", "kind": "inpatient", "discharged": "2020-02-02", "total": 1, "in_scope": 1}]}]',
    "garbage.yaml": "\x00\x01 not a scenario",
}


def test_verify_finds_no_difference_after_a_concurrent_fuzzed_crashed_run(new_target, engine, tmp_path):
    target = new_target()
    first = workload(seed=21, persons=6, claims_per_year=3)  # 36 claims
    reversed_ids = [first[i][1]["id"] for i in (1, 8, 20, 33)]
    # three processes settle the same claims in their own orders while a fourth reverses four
    # of them as soon as each is recorded
    run_workers(
        [(worker_settle, (target, first, seed)) for seed in range(3)]
        + [(worker_reverse, (target, reversed_ids, "refund"))]
    )

    # the same persons' later claims (and late ones: their dates are anywhere in the year),
    # settled from a file in groups of three claims by a process killed in the middle, then run again
    second = workload(seed=21, persons=6, claims_per_year=4, start=3)  # 48 claims
    file = tmp_path / "second.yaml"
    file.write_text(scenario_text(second), encoding="utf-8")
    argv = ["settle", str(file), "--ledger", target, "--commit-every", "3"]
    with claim_counter(target) as count:
        base = count()
        kill_when(cli_process(*argv), lambda: count() >= base + len(second) // 4)
        assert count() < base + len(second), "killed in the middle of the file"
    resumed = cli_process(*argv)
    assert resumed.wait(timeout=120) == 0

    # malformed files change nothing
    with open_ledger(target, engine) as ledger:
        before = ledger.dump()
    for name, text in BAD_FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert main(["settle", str(tmp_path / name), "--ledger", target, *CLI], err=io.StringIO()) == 2, name
    with open_ledger(target, engine) as ledger:
        assert ledger.dump() == before

    out = io.StringIO()
    assert main(["ledger", "verify", "--ledger", target, *CLI], out=out) == 0
    # 6 persons × 2 years; 36 + 48 claims, each settled once (84 events), and 4 reversals
    assert out.getvalue() == "12 person-years, 84 claims, 88 events: no difference\n"

    # and the years hold what one sequential run of the claims that stand gives
    standing = [item for item in first + second if item[1]["id"] not in reversed_ids]
    with open_ledger(target, engine) as ledger, open_ledger(new_target(), engine) as sequential:
        assert all(ledger.entry(claim_id).reversed for claim_id in reversed_ids)
        settle_items(sequential, standing)
        assert current_state(ledger, standing)["accumulators"] == current_state(sequential, standing)["accumulators"]
