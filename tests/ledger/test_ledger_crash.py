"""Crash safety: ``medinsure settle FILE --ledger L`` killed with SIGKILL in the middle of the
file, then run again on the same file, ends with exactly the ledger of a clean run.

Recorded in groups (``--commit-every``), the groups committed before the kill stay and the run
again resumes after them; recorded in one transaction (the default), the kill leaves the ledger
as it was.
"""

from __future__ import annotations

import io
import subprocess
import time

from medinsure.cli import main
from medinsure.ledger import open_ledger
from support.ledger import (
    CLI,
    audit_trail,
    claim_counter,
    cli_process,
    current_state,
    file_writer_probe,
    kill_when,
    scenario_text,
    settle_items,
    workload,
)


def assert_as_a_clean_run(crashed, new_target, engine, file, argv, items):
    """Run ``argv`` once more on ``crashed``: it ends as one run on a new ledger."""
    final = cli_process(*argv, stdout=subprocess.PIPE)
    output, errors = final.communicate(timeout=120)
    assert (final.returncode, errors) == (0, b"")
    clean = new_target()
    out = io.StringIO()
    assert main(["settle", str(file), "--ledger", clean, "--format", "json", *CLI], out=out) == 0
    # the resumed run printed what a clean run prints: every settlement, stored or new
    assert output.decode("utf-8") == out.getvalue()
    with open_ledger(crashed, engine) as a, open_ledger(clean, engine) as b:
        # the same claims in the same order, each with one version: the same settlements and
        # accumulators, and the same audit trail
        assert current_state(a, items) == current_state(b, items)
        assert audit_trail(a, items) == audit_trail(b, items)
        assert a.verify().ok


def test_killed_twice_in_groups_and_run_again_ends_as_a_clean_run(new_target, engine, tmp_path):
    items = workload(seed=5, persons=30, claims_per_year=3)  # 180 claims: 30 persons, 2 years
    file = tmp_path / "claims.yaml"
    file.write_text(scenario_text(items), encoding="utf-8")
    crashed = new_target()
    argv = ["settle", str(file), "--ledger", crashed, "--format", "json", "--commit-every", "7"]

    open_ledger(crashed, engine).close()  # the tables, for the counter to read
    with claim_counter(crashed) as count:
        for at in (len(items) // 5, len(items) // 2):
            proc = cli_process(*argv)
            kill_when(proc, lambda at=at: count() >= at)
            assert at <= count() < len(items), "killed in the middle of the file"
            assert count() % 7 == 0, "groups are recorded whole"
    assert_as_a_clean_run(crashed, new_target, engine, file, argv, items)


def test_killed_in_its_one_transaction_a_file_leaves_the_ledger_as_it_was(new_target, engine, tmp_path):
    items = workload(seed=6, persons=150, claims_per_year=5)  # 1,500 claims: 150 persons, 2 years
    file = tmp_path / "claims.yaml"
    file.write_text(scenario_text(items), encoding="utf-8")
    crashed = new_target()
    with open_ledger(crashed, engine) as ledger:  # a ledger holding claims of others already
        settle_items(ledger, workload(seed=99, persons=2, claims_per_year=2))
        before = ledger.dump()
    argv = ["settle", str(file), "--ledger", crashed, "--format", "json"]
    with file_writer_probe(crashed) as recording, claim_counter(crashed) as count:
        for delay in (0.0, 0.1):
            proc = cli_process(*argv)

            def in_the_middle(delay: float = delay) -> bool:
                if not recording():
                    return False
                time.sleep(delay)
                return True

            kill_when(proc, in_the_middle)
            assert count() == 8
    with open_ledger(crashed, engine) as ledger:
        assert ledger.dump() == before
    assert_as_a_clean_run(crashed, new_target, engine, file, argv, items)
