"""Several processes settling claims of the same persons at once, on SQLite and PostgreSQL.

Four processes each settle *all* the claims of six persons over two years, each in its own
random order, into one ledger. "The same as a sequential run" means, precisely:

1. every claim is recorded exactly once — one arrival number, one submission, one settlement
   version and one settle event — whichever process got there first;
2. every process got back, for every claim, the settlement the ledger stores (the processes
   that came second got the stored one);
3. the ledger's settlement order *is* a sequential run: settling each person-year's claims one
   by one in the ledger's order, in one process, with the engine alone, gives exactly the
   stored settlements (every amount, line and accumulator) and the stored accumulators;
4. each person-year's accumulator is exactly that of a plain sequential run of the claims in
   file order — a year's totals do not depend on the order of its claims (split-invariance;
   the workload stays below every basic pool cap), so any interleaving must end there.
"""

from __future__ import annotations

import json

from medinsure import Accumulator, Claim, Patient
from medinsure.ledger import open_ledger
from medinsure.ledger.codec import canonical_json
from support.ledger import current_state, run_workers, settle_items, shuffled, worker_settle, workload

WORKERS = 4


def table_counts(dump: bytes) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in dump.decode().splitlines():
        table = json.loads(line)[0]
        counts[table] = counts.get(table, 0) + 1
    return counts


def test_concurrent_processes_end_as_a_sequential_run(target, new_target, engine):
    items = workload(seed=11, persons=6, claims_per_year=4)
    ids = [c["id"] for _, c, _ in items]
    # the workers also race to create the tables; then they start settling all at once
    returned = run_workers([(worker_settle, (target, items, seed)) for seed in range(WORKERS)])

    with open_ledger(new_target(), engine) as sequential:
        settle_items(sequential, items)
        expected = current_state(sequential, items)["accumulators"]

    with open_ledger(target, engine) as ledger:
        # 1. exactly once
        counts = table_counts(ledger.dump())
        for table in ("ledger_claims", "ledger_submissions", "ledger_settlements", "ledger_events"):
            assert counts[table] == len(items), table
        state = current_state(ledger, items)
        assert sorted(state["order"]) == sorted(ids)
        # the processes took turns: the ledger's order is no single worker's order
        assert all(state["order"] != [c["id"] for _, c, _ in shuffled(items, seed)] for seed in range(WORKERS))
        assert {version for version, _, _ in state["claims"].values()} == {1}
        # 2. every process got the stored settlement
        stored = {cid: record for cid, (_, _, record) in state["claims"].items()}
        for got in returned:
            assert got == stored
        # 3. the ledger's order is a sequential run of the engine alone
        by_key: dict[tuple[str, int], list[tuple[int, Patient, Claim]]] = {}
        for p, c, _ in items:
            entry = ledger.entry(c["id"])
            assert entry is not None
            by_key.setdefault((p["id"], entry.year), []).append(
                (entry.seq, Patient.from_mapping(p), Claim.from_mapping(c))
            )
        for (person_id, year), claims in by_key.items():
            acc = Accumulator.empty(person_id, year)
            for _, patient, claim in sorted(claims, key=lambda t: t[0]):
                fresh = engine.settle_claim(patient, claim, jurisdiction="testland", accumulator=acc)
                assert canonical_json(fresh.to_dict()) == stored[claim.id]
                acc = fresh.accumulator_after
            assert acc == ledger.accumulator(person_id, year)
        assert ledger.verify().ok
        # 4. the accumulators of a plain sequential run in file order
        assert state["accumulators"] == expected
