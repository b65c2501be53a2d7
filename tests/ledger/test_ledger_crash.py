"""Crash safety: ``medinsure settle FILE --ledger L`` killed with SIGKILL in the middle of the
file, then run again on the same file, ends with exactly the ledger of a clean run."""

from __future__ import annotations

import io
import subprocess

from medinsure.cli import main
from medinsure.ledger import open_ledger
from support.ledger import (
    CLI,
    audit_trail,
    claim_counter,
    cli_process,
    current_state,
    kill_when,
    scenario_text,
    workload,
)


def test_killed_twice_and_run_again_ends_as_a_clean_run(new_target, engine, tmp_path):
    items = workload(seed=5, persons=30, claims_per_year=3)  # 180 claims: 30 persons, 2 years
    file = tmp_path / "claims.yaml"
    file.write_text(scenario_text(items), encoding="utf-8")
    crashed, clean = new_target(), new_target()
    argv = ["settle", str(file), "--ledger", crashed, "--format", "json"]

    open_ledger(crashed, engine).close()  # the tables, for the counter to read
    with claim_counter(crashed) as count:
        for at in (len(items) // 5, len(items) // 2):
            proc = cli_process(*argv)
            kill_when(proc, lambda at=at: count() >= at)
            assert at <= count() < len(items), "killed in the middle of the file"
    final = cli_process(*argv, stdout=subprocess.PIPE)
    output, errors = final.communicate(timeout=120)
    assert (final.returncode, errors) == (0, b"")

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
