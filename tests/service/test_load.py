"""Under load, two server processes of two workers each on one ledger keep every ledger guarantee.

Eight clients, each with 80 claims of its own persons (testland, 2020 and 2021; set
``MEDINSURE_TEST_LOAD_CLAIMS=500`` for 500 each, a run of a minute or two), send them in
order over HTTP to the two servers in turn, one to four claims a request; now and then a client
sends a request again (a retry: 200, the same body) or reverses the claim it just recorded.
Then all eight send the same 10 claims of other persons at once: each is recorded once (one
201, the rest 200, every body the same).

The ledger must then equal a sequential run: every claim's settlement and every person-year's
accumulator are what the engine gives settling each person's claims in order (without the
reversed ones), ``verify()`` finds nothing, and no claim is lost or counted twice. Runs on SQLite
and on PostgreSQL; every request has a timeout, so the test stops by itself.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle
from typing import Any

import httpx

from medinsure import Claim, Patient
from medinsure.io.writers import settlement_record
from medinsure.ledger import open_ledger
from support import testland_engine
from support.ledger import Item, workload
from support.service import servers

CLIENTS = 8
CLAIMS = int(os.environ.get("MEDINSURE_TEST_LOAD_CLAIMS", "80"))  # a client's claims: a multiple of 20
CLAIMS_PER_YEAR = 10
PERSONS = CLIENTS * CLAIMS // (2 * CLAIMS_PER_YEAR)  # each person has claims in 2020 and 2021
RETRY_EVERY = 7  # every 7th request is sent twice
REVERSE_EVERY = 40  # every 40th request's last claim is reversed right after it is recorded


def _requests(items: list[Item]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """A client's claims as requests of 1, 2, 3, 4, 1, … claims, never across a person-year."""
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        groups.setdefault((item[0]["id"], item[1]["discharged"][:4]), []).append(item)
    sizes = cycle((1, 2, 3, 4))
    out = []
    for group in groups.values():
        i = 0
        while i < len(group):
            size = next(sizes)
            out.append((group[i][0], [claim for _, claim, _ in group[i : i + size]]))
            i += size
    return out


def _body(patient: dict[str, Any], claims: list[dict[str, Any]]) -> dict[str, Any]:
    return {"jurisdiction": "testland", "patient": patient, "claims": claims}


def _client(urls: list[str], items: list[Item]) -> dict[str, Any]:
    """Send one client's claims; what the servers answered for each claim, and the claims reversed."""
    answers: dict[str, Any] = {}
    reversed_: set[str] = set()
    clients = [httpx.Client(base_url=url, timeout=60) for url in urls]
    try:
        for n, (patient, claims) in enumerate(_requests(items)):
            client = clients[n % len(clients)]
            response = client.post("/v1/settlements", json=_body(patient, claims))
            assert response.status_code == 201, response.text
            for claim, record in zip(claims, response.json(), strict=True):
                answers[claim["id"]] = record
            if n % RETRY_EVERY == 0:  # the answer was lost: the same request again, at the other server
                again = clients[(n + 1) % len(clients)].post("/v1/settlements", json=_body(patient, claims))
                assert (again.status_code, again.json()) == (200, response.json())
            if n % REVERSE_EVERY == 0:
                last = claims[-1]["id"]
                reversal = client.post(f"/v1/settlements/{last}/reverse", json={"reason": "load test"})
                assert reversal.status_code == 200, reversal.text
                reversed_.add(last)
    finally:
        for c in clients:
            c.close()
    return {"answers": answers, "reversed": reversed_}


def _contend(urls: list[str], items: list[Item], start: threading.Barrier, index: int) -> list[tuple[int, Any]]:
    """Send the shared claims one by one, at the same moment as the other clients."""
    out = []
    with httpx.Client(base_url=urls[index % len(urls)], timeout=60) as client:
        start.wait(timeout=60)
        for patient, claim, _ in items:
            response = client.post("/v1/settlements", json=_body(patient, [claim]))
            out.append((response.status_code, response.json()))
    return out


def _sequential(items: list[Item], skip: set[str]) -> tuple[dict[str, Any], dict[tuple[str, int], Any]]:
    """Each person's claims settled in order by the engine alone, without the reversed ones."""
    engine = testland_engine()
    by_person: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for patient, claim, _ in items:
        by_person.setdefault(patient["id"], (patient, []))[1].append(claim)
    records: dict[str, Any] = {}
    accumulators: dict[tuple[str, int], Any] = {}
    for patient, claims in by_person.values():
        kept = [Claim.from_mapping(c) for c in claims if c["id"] not in skip]
        for s in engine.settle(Patient.from_mapping(patient), kept, jurisdiction="testland"):
            records[s.claim.id] = settlement_record(s)
            accumulators[(patient["id"], s.claim.year)] = s.accumulator_after.to_dict()
    return records, accumulators


def test_two_servers_of_two_workers_under_load_equal_a_sequential_run(ledger_target):
    items = workload(14, PERSONS, CLAIMS_PER_YEAR)
    shared = workload(15, 5, 2, years=(2021,))
    assert len(items) == CLIENTS * CLAIMS
    own = [[item for item in items if int(item[0]["id"][8:14]) % CLIENTS == k] for k in range(CLIENTS)]
    assert all(len(claims) == CLAIMS for claims in own)
    target = ledger_target
    options = ("--ledger", target, "--workers", "2", "--ledger-connections", "3", "--timeout", "60")
    with servers(2, *options) as running:
        urls = [r.url for r in running]
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = [f.result(timeout=300) for f in [pool.submit(_client, urls, claims) for claims in own]]
            start = threading.Barrier(CLIENTS)
            contended = [
                f.result(timeout=120) for f in [pool.submit(_contend, urls, shared, start, k) for k in range(CLIENTS)]
            ]

    reversed_ = set().union(*(r["reversed"] for r in results))
    assert len(reversed_) >= CLIENTS
    records, accumulators = _sequential(items + shared, reversed_)
    for result in results:  # what each client was told is what a sequential run gives
        for claim_id, answer in result["answers"].items():
            if claim_id not in reversed_:
                assert answer == records[claim_id], claim_id
    for i, (patient, claim, _) in enumerate(shared):  # one client recorded each shared claim
        statuses = sorted(answers[i][0] for answers in contended)
        assert statuses == [200] * (CLIENTS - 1) + [201], claim["id"]
        assert all(answers[i][1] == [records[claim["id"]]] for answers in contended)
        del patient

    with open_ledger(target, testland_engine(), create=False) as ledger:
        report = ledger.verify()
        assert report.ok, [d.describe(ledger.masker) for d in report.differences[:5]]
        assert report.claims == len(items) + len(shared)  # none lost, none twice
        for _, claim, _ in items + shared:
            entry = ledger.entry(claim["id"])
            assert entry is not None
            if claim["id"] in reversed_:
                assert entry.status == "reversed"
            else:
                assert settlement_record(entry.settlement) == records[claim["id"]], claim["id"]
        for (person, year), accumulator in accumulators.items():
            assert ledger.accumulator(person, year).to_dict() == accumulator, (person, year)
