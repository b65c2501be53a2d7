"""Recording many claims at once (``Ledger.record_many``), and what a racing writer does to it.

The docs promise (docs/ledger.md, "A file at once"): without ``commit_every`` a file is one
transaction, all or nothing, even when another writer records one of its claim ids meanwhile —
the other writer waits, then finds the file's claim and is refused (or, had it come first, the
file is refused whole); with ``commit_every=N`` each group of N is whole or not at all, a claim
raced in between groups stops the file with the groups before recorded, and recording the file
again resumes it.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest

from medinsure import Claim, Patient
from medinsure.errors import ClaimConflict, InputError, InvalidInput
from medinsure.ledger import Ledger, Submission, open_ledger
from medinsure.ledger.codec import canonical_json
from support.ledger import Item, current_state, file_writer_probe, settle_items, workload


def submissions(items: list[Item]) -> list[Submission]:
    return [
        Submission(Patient.from_mapping(p), Claim.from_mapping(c), j, f"row {i}")
        for i, (p, c, j) in enumerate(items, start=1)
    ]


def other_content(item: Item) -> Item:
    patient, claim, jurisdiction = item
    return patient, {**claim, "total": str(Decimal(claim["total"]) + 1)}, jurisdiction


def rows(ledger: Ledger) -> list[Any]:
    """The ledger's rows without the times events were recorded at."""
    return [line for line in ledger.dump().decode().splitlines() if not line.startswith('["ledger_events"')]


@pytest.mark.parametrize("every", [None, 1, 7])
def test_many_at_once_write_what_one_by_one_writes(new_target, engine, every):
    items = workload(seed=3, persons=5, claims_per_year=4)  # 40 claims, persons interleaved by year
    with open_ledger(new_target(), engine) as one, open_ledger(new_target(), engine) as many:
        settled = settle_items(one, items)
        got = list(many.record_many(submissions(items), commit_every=every))
        assert [r.new for r in got] == [True] * len(items)
        assert {r.settlement.claim.id: canonical_json(r.settlement.to_dict()) for r in got} == settled
        assert current_state(many, items) == current_state(one, items)
        if many.dialect != "postgresql":  # event ids and arrival numbers too (PostgreSQL's sequences may skip)
            assert rows(many) == rows(one)
        # again: every claim comes back as stored, nothing is written
        before = many.dump()
        again = list(many.record_many(submissions(items), commit_every=every))
        assert [r.new for r in again] == [False] * len(items)
        assert [r.settlement for r in again] == [r.settlement for r in got]
        assert many.dump() == before
        assert many.verify().ok


def test_a_bad_claim_anywhere_records_nothing_of_one_transaction(ledger):
    items = workload(seed=4, persons=3, claims_per_year=3)
    settle_items(ledger, items[:2])
    before = ledger.dump()
    bad = [*items[2:10], other_content(items[1]), *items[10:]]
    with pytest.raises(InputError) as refused:
        list(ledger.record_many(submissions(bad)))
    assert str(refused.value).startswith("row 9: claim.id=")
    assert "already in the ledger with different content" in str(refused.value)
    assert ledger.dump() == before


def test_stopping_early_records_nothing_of_one_transaction(ledger):
    items = workload(seed=4, persons=3, claims_per_year=3)
    before = ledger.dump()
    recording = ledger.record_many(submissions(items))
    assert next(recording).new
    recording.close()
    assert ledger.dump() == before


def test_a_claim_id_given_twice_is_refused(ledger):
    items = workload(seed=4, persons=2, claims_per_year=2)
    with pytest.raises(InputError, match=r"^row 9: claim.id=.*claim id given twice \(first at row 1\)"):
        list(ledger.record_many(submissions([*items, items[0]])))
    assert ledger.entry(items[0][1]["id"]) is None
    with pytest.raises(InvalidInput, match="commit_every"):
        list(ledger.record_many(submissions(items), commit_every=0))
    with pytest.raises(InvalidInput, match="expected a Submission"):
        list(ledger.record_many([items[0]]))  # type: ignore[list-item]


def test_groups_before_an_error_stay_recorded_and_a_run_again_resumes(ledger):
    items = workload(seed=8, persons=4, claims_per_year=5)  # 40 claims
    settle_items(ledger, [other_content(items[25])])  # recorded before, with other content
    got = []
    with pytest.raises(InputError, match=r"^row 26: .*already in the ledger with different content"):
        got.extend(ledger.record_many(submissions(items), commit_every=10))
    assert len(got) == 20  # two groups of ten; the third held the conflict
    recorded = [ledger.entry(c["id"]) is not None for _, c, _ in items]
    assert recorded == [True] * 20 + [False] * 5 + [True] + [False] * 14
    fixed = [*items[:25], other_content(items[25]), *items[26:]]
    again = list(ledger.record_many(submissions(fixed), commit_every=10))
    assert [r.new for r in again] == [False] * 20 + [True] * 5 + [False] + [True] * 14
    assert ledger.verify().ok


# --- the race --------------------------------------------------------------------------------


def race(target, engine, items, racer, every):
    """Record ``items`` (claim X last) while ``racer`` (X with other content) is recorded by
    another connection once 30 claims of the file are through. What each side got."""
    outcome: dict[str, Any] = {}
    subs = submissions(items)
    with open_ledger(target, engine) as a:

        def record_racer() -> None:
            patient, claim, jurisdiction = racer
            with open_ledger(target, engine) as b:  # a connection of its own, in its own thread
                try:
                    outcome["racer"] = b.record(
                        Patient.from_mapping(patient), Claim.from_mapping(claim), jurisdiction=jurisdiction
                    ).new
                except ClaimConflict as exc:
                    outcome["racer"] = exc

        recording = a.record_many(subs, commit_every=every)
        got = [next(recording) for _ in range(30)]
        other = threading.Thread(target=record_racer)
        other.start()
        if every is None:  # the file's transaction holds the ledger: the racer waits
            time.sleep(0.3)
            assert other.is_alive()
        else:  # between groups, the racer goes in
            other.join(timeout=30)
        try:
            got.extend(recording)
            outcome["file"] = len(got)
        except InputError as exc:
            outcome["file"] = exc
        other.join(timeout=30)
        assert not other.is_alive()
    return outcome


def test_racing_a_file_in_one_transaction_the_other_writer_waits_and_is_refused(target, engine):
    items = workload(seed=12, persons=10, claims_per_year=5)  # 100 claims, X the last
    outcome = race(target, engine, items, other_content(items[-1]), every=None)
    assert outcome["file"] == len(items)
    assert isinstance(outcome["racer"], ClaimConflict)
    with open_ledger(target, engine) as ledger:
        assert all(ledger.entry(c["id"]) is not None for _, c, _ in items)
        assert ledger.entry(items[-1][1]["id"]).claim == Claim.from_mapping(items[-1][1])
        assert ledger.verify().ok


def test_a_file_in_one_transaction_after_the_racer_is_refused_whole(target, engine):
    items = workload(seed=12, persons=10, claims_per_year=5)
    with open_ledger(target, engine) as ledger:
        settle_items(ledger, [other_content(items[-1])])
        before = ledger.dump()
        with pytest.raises(InputError, match=r"^row 100: .*already in the ledger with different content"):
            list(ledger.record_many(submissions(items)))
        assert ledger.dump() == before


def test_racing_a_file_in_groups_stops_it_with_the_groups_before_recorded(target, engine):
    items = workload(seed=12, persons=10, claims_per_year=5)
    outcome = race(target, engine, items, other_content(items[-1]), every=10)
    assert outcome["racer"] is True  # recorded between two groups of the file
    assert isinstance(outcome["file"], InputError)
    assert str(outcome["file"]).startswith("row 100: ")
    with open_ledger(target, engine) as ledger:
        recorded = [ledger.entry(c["id"]) is not None for _, c, _ in items]
        assert recorded == [True] * 90 + [False] * 9 + [True]  # nine groups of the file, and the racer's X
        assert ledger.entry(items[-1][1]["id"]).claim == Claim.from_mapping(other_content(items[-1])[1])
        # the file fixed (X as the racer gave it) and run again: it resumes after its groups
        fixed = [*items[:-1], other_content(items[-1])]
        again = list(ledger.record_many(submissions(fixed), commit_every=10))
        assert [r.new for r in again] == [False] * 90 + [True] * 9 + [False]
        assert ledger.verify().ok


def test_the_probe_sees_a_file_being_recorded(target, engine):
    items = workload(seed=2, persons=2, claims_per_year=2)
    with open_ledger(target, engine) as ledger, file_writer_probe(target) as recording:
        assert not recording()
        many = ledger.record_many(submissions(items))
        next(many)
        assert recording()
        list(many)
        assert not recording()
