"""The ledger's guarantees, each on SQLite and on PostgreSQL.

Amounts come from tests/data/testland.yaml. Residents' critical illness (general schedule):
threshold 20,000, then 60% of the first 50,000 above it, 65% up to 100,000 above it, 70%
beyond; ``F(base)`` is the year's entitlement and a claim gets ``F(after) − paid before``.
"""

from __future__ import annotations

import json
import logging

import pytest

from medinsure import Engine, InvalidInput, Patient, RuleNotInForce, UnknownJurisdiction
from medinsure.ledger import ClaimConflict, ClaimReversed, Ledger, LedgerError, UnknownClaim, open_ledger
from support import D, claim, patient, presettled
from support.ledger import tamper

P = patient(id="210203198001011234")


def c1(**kw):
    # self-pay 15,000: year base 15,000 < 20,000 → critical illness 0
    return presettled(15000, 5000, id="C1", discharged="2020-02-01", **kw)


def c2(**kw):
    # self-pay 25,000: base 15,000 → 40,000; F(40,000) = 20,000 × 60% = 12,000 → 12,000
    return presettled(25000, 5000, id="C2", discharged="2020-05-01", **kw)


def c3(**kw):
    # self-pay 50,000: base 40,000 → 90,000; F = 50,000 × 60% + 20,000 × 65% = 43,000 → 31,000
    return presettled(50000, 10000, id="C3", discharged="2020-08-01", **kw)


def settle_three(ledger: Ledger) -> list:
    return [ledger.settle(P, c, jurisdiction="testland") for c in (c1(), c2(), c3())]


def amounts(settlement) -> dict:
    return {k: v for k, v in settlement.amounts().items() if v}


# --- settling, atomic and idempotent ----------------------------------------------------------


def test_settling_records_what_the_engine_gives(ledger, engine):
    p = patient(id="P1")
    claims = [
        claim(id="C1", discharged="2020-03-15", hospital_level="tertiary", total=50000, in_scope=45000),
        claim(id="C2", discharged="2020-09-01", hospital_level="secondary", total=30000, in_scope=30000),
    ]
    recorded = [ledger.settle(p, c, jurisdiction="testland") for c in claims]
    assert [s.to_dict() for s in recorded] == [s.to_dict() for s in engine.settle(p, claims, jurisdiction="testland")]
    # C1: (45,000 − 1,000) × 60% = 26,400; self-pay 18,600
    # C2: (30,000 − 600) × 70% = 20,580; self-pay 9,420; year 28,020 → 8,020 × 60% = 4,812
    assert amounts(recorded[1]) == {
        "deductible": D(600),
        "basic_pool": D(20580),
        "in_scope_self_pay": D(9420),
        "critical_illness": D(4812),
        "fund_total": D(25392),
        "patient_total": D(4608),
    }
    acc = ledger.accumulator("P1", 2020)
    assert (acc.in_scope, acc.basic_pool, acc.bases["critical_illness"], acc.paid["critical_illness"]) == (
        D(75000),
        D(46980),
        D(28020),
        D(4812),
    )
    assert acc == recorded[1].accumulator_after
    assert ledger.verify().ok


def test_the_same_claim_again_returns_the_stored_settlement_and_changes_nothing(ledger):
    first = settle_three(ledger)
    before = ledger.dump()
    again = ledger.settle(P, c2(), jurisdiction="testland")
    assert again == first[1]  # the whole Settlement: lines, rule versions, accumulators
    assert again.critical_illness == D(12000)
    # the same content written differently is the same claim
    same = presettled("25000.00", "5000", id="C2", discharged="2020-05-01")
    assert ledger.settle(P, same, jurisdiction="testland") == first[1]
    assert ledger.dump() == before


def test_record_says_whether_it_recorded_the_claim(ledger):
    first = ledger.record(P, c1(), jurisdiction="testland")
    assert first.new
    again = ledger.record(P, c1(), jurisdiction="testland")
    assert (again.new, again.settlement) == (False, first.settlement)


@pytest.mark.parametrize(
    ("who", "what", "jurisdiction", "field"),
    [
        (P, presettled(25001, 5000, id="C2", discharged="2020-05-01"), "testland", "claim.basic.in_scope_self_pay"),
        (P, presettled(25000, 5000, id="C2", discharged="2020-05-02"), "testland", "claim.discharged"),
        (patient(id=P.id, categories=["minimum_living"]), c2(), "testland", "patient.categories"),
        (P, c2(), "testcity", "jurisdiction"),
        (patient(id="110101199003071234"), c2(), "testland", "patient.id"),
        (patient(id=P.id, service_years=25), c2(), "testland", "patient.service_years"),
    ],
)
def test_the_same_id_with_other_content_is_refused(ledger, who, what, jurisdiction, field):
    settle_three(ledger)
    before = ledger.dump()
    with pytest.raises(ClaimConflict) as info:
        ledger.settle(who, what, jurisdiction=jurisdiction)
    message = str(info.value)
    assert message.startswith("claim.id='C2': already in the ledger with different content (")
    assert f"{field}: stored " in message
    assert "110101199003071234" not in message
    assert "210203198001011234" not in message
    assert ledger.dump() == before


def test_settlement_and_accumulator_commit_together_or_not_at_all(ledger, monkeypatch):
    settle_three(ledger)
    before = ledger.dump()

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is gone")

    # the failure comes after the settlement rows of the claim are written
    monkeypatch.setattr(ledger, "_store_accumulators", fail)
    late = presettled(1000, id="C4", discharged="2020-10-01")
    with pytest.raises(RuntimeError):
        ledger.settle(P, late, jurisdiction="testland")
    with pytest.raises(RuntimeError):
        ledger.reverse("C2")
    assert ledger.dump() == before
    assert ledger.entry("C4") is None
    monkeypatch.undo()
    # C4: base 90,000 → 91,000; F(91,000) = 43,000 + 1,000 × 65% = 43,650 → 650
    assert ledger.settle(P, late, jurisdiction="testland").critical_illness == D(650)
    assert ledger.verify().ok


def test_bad_claims_leave_the_ledger_as_it_was(ledger):
    settle_three(ledger)
    before = ledger.dump()
    with pytest.raises(RuleNotInForce):  # before the first known value
        ledger.settle(P, presettled(100, id="X1", discharged="2019-12-31"), jurisdiction="testland")
    with pytest.raises(InvalidInput, match=r"claim\.hospital_level"):
        ledger.settle(P, claim(id="X2", hospital_level=None, in_scope=100), jurisdiction="testland")
    with pytest.raises(UnknownJurisdiction):
        ledger.settle(P, presettled(100, id="X3"), jurisdiction="atlantis")
    with pytest.raises(InvalidInput, match=r"claim\.tags"):
        ledger.settle(P, presettled(100, id="X4", tags=["no_such_term"]), jurisdiction="testland")
    with pytest.raises(InvalidInput, match="expected a Claim"):
        ledger.settle(P, {"id": "X5"}, jurisdiction="testland")  # type: ignore[arg-type]
    assert ledger.dump() == before


# --- order: arrival order, late claims --------------------------------------------------------


def test_a_late_claim_settles_into_its_service_year_after_the_claims_already_there(ledger, engine):
    september = presettled(30000, id="A", discharged="2020-09-01")
    next_year = presettled(25000, id="B", discharged="2021-02-01")
    late_march = presettled(40000, id="L", discharged="2020-03-10")  # a manual application, months late
    a = ledger.settle(P, september, jurisdiction="testland")
    b = ledger.settle(P, next_year, jurisdiction="testland")
    acc_2021 = ledger.accumulator(P.id, 2021)
    late = ledger.settle(P, late_march, jurisdiction="testland")
    # A: F(30,000) = 10,000 × 60% = 6,000;  B (2021): F(25,000) = 5,000 × 60% = 3,000
    assert (a.critical_illness, b.critical_illness) == (D(6000), D(3000))
    # L joins 2020 after A: base 30,000 → 70,000, F(70,000) = 50,000 × 60% = 30,000 → 30,000 − 6,000
    assert late.critical_illness == D(24000)
    assert late.accumulator_before == a.accumulator_after
    # claims already settled are not reopened, and the other year is untouched
    assert [(e.claim_id, e.version) for e in ledger.entries(P.id)] == [("A", 1), ("L", 1), ("B", 1)]
    assert ledger.settlement("A") == a
    assert ledger.accumulator(P.id, 2021) == acc_2021
    # in service-date order L would get F(40,000) = 12,000 and A 18,000: the same year, 30,000
    by_date = engine.settle(P, [late_march, september], jurisdiction="testland")
    assert [s.critical_illness for s in by_date] == [D(12000), D(18000)]
    assert ledger.accumulator(P.id, 2020) == by_date[-1].accumulator_after
    assert ledger.verify().ok


# --- reversal and correction ------------------------------------------------------------------


def test_reversal_resettles_the_later_claims_and_records_the_adjustments(ledger):
    first = settle_three(ledger)
    assert [s.critical_illness for s in first] == [D(0), D(12000), D(31000)]
    event = ledger.reverse("C2", reason="refund: admission cancelled")
    assert (event.kind, event.claim_id, event.reason) == ("reverse", "C2", "refund: admission cancelled")
    got = {(a.claim_id, a.component): (a.from_version, a.to_version, a.amount) for a in event.adjustments}
    assert got == {
        # C2 is taken back whole: pool 5,000, self-pay 25,000, critical illness 12,000
        ("C2", "basic_pool"): (1, 2, D(-5000)),
        ("C2", "in_scope_self_pay"): (1, 2, D(-25000)),
        ("C2", "critical_illness"): (1, 2, D(-12000)),
        ("C2", "fund_total"): (1, 2, D(-17000)),
        ("C2", "patient_total"): (1, 2, D(-13000)),
        # C3 again after C1 alone: base 15,000 → 65,000; F(65,000) = 45,000 × 60% = 27,000
        ("C3", "critical_illness"): (1, 2, D(-4000)),
        ("C3", "fund_total"): (1, 2, D(-4000)),
        ("C3", "patient_total"): (1, 2, D(4000)),
    }
    assert event.versions == (("C2", 2), ("C3", 2))  # C1, before C2, is untouched
    entries = {e.claim_id: e for e in ledger.entries(P.id, 2020)}
    assert (entries["C1"].version, entries["C2"].version, entries["C3"].version) == (1, 2, 2)
    assert entries["C2"].reversed
    assert entries["C2"].settlement is None
    assert entries["C3"].settlement.critical_illness == D(27000)
    assert entries["C3"].settlement.accumulator_before == first[0].accumulator_after
    acc = ledger.accumulator(P.id, 2020)
    # C1 + C3: in scope 20,000 + 60,000; pool 15,000; base 65,000; paid 27,000; two claims
    assert (acc.in_scope, acc.basic_pool, acc.bases["critical_illness"], acc.paid["critical_illness"], acc.claims) == (
        D(80000),
        D(15000),
        D(65000),
        D(27000),
        2,
    )
    # the audit trail: every event of the year, the adjustments of each claim add up
    assert [(e.kind, e.claim_id) for e in ledger.events(P.id, 2020)] == [
        ("settle", "C1"),
        ("settle", "C2"),
        ("settle", "C3"),
        ("reverse", "C2"),
    ]
    assert ledger.verify().ok


def test_a_reversed_claim_is_not_used_again(ledger):
    settle_three(ledger)
    ledger.reverse("C3")
    before = ledger.dump()
    with pytest.raises(ClaimReversed, match=r"claim.id='C3': reversed by ledger event 4"):
        ledger.reverse("C3")
    with pytest.raises(ClaimReversed):
        ledger.settle(P, c3(), jurisdiction="testland")
    with pytest.raises(ClaimReversed):
        ledger.correct(P, c3(total=70000), jurisdiction="testland")
    with pytest.raises(UnknownClaim, match=r"claim\.id='C9': not in the ledger"):
        ledger.reverse("C9")
    with pytest.raises(UnknownClaim):
        ledger.correct(P, presettled(1, id="C9"), jurisdiction="testland")
    assert ledger.dump() == before


def test_a_correction_keeps_the_claims_place_as_if_it_had_come_right_the_first_time(ledger, new_target, engine):
    settle_three(ledger)
    fixed = presettled(35000, 5000, id="C2", discharged="2020-05-01")
    event = ledger.correct(P, fixed, jurisdiction="testland", reason="hospital resubmitted")
    got = {(a.claim_id, a.component): a.amount for a in event.adjustments}
    assert got == {
        # C2: base 15,000 → 50,000; F(50,000) = 30,000 × 60% = 18,000 (was 12,000)
        ("C2", "in_scope_self_pay"): D(10000),
        ("C2", "critical_illness"): D(6000),
        ("C2", "fund_total"): D(6000),
        ("C2", "patient_total"): D(4000),  # 40,000 − 23,000 = 17,000 (was 13,000)
        # C3: base 50,000 → 100,000; F = 30,000 + 30,000 × 65% = 49,500 → 49,500 − 18,000 = 31,500
        ("C3", "critical_illness"): D(500),
        ("C3", "fund_total"): D(500),
        ("C3", "patient_total"): D(-500),
    }
    assert [(e.claim_id, e.seq, e.version, e.submission) for e in ledger.entries(P.id)] == [
        ("C1", 1, 1, 1),
        ("C2", 2, 2, 2),
        ("C3", 3, 2, 1),
    ]
    # the same as a ledger that received the corrected claim in the first place
    with open_ledger(new_target(), engine) as right:
        for c in (c1(), fixed, c3()):
            right.settle(P, c, jurisdiction="testland")
        for claim_id in ("C1", "C2", "C3"):
            assert ledger.settlement(claim_id) == right.settlement(claim_id)
        assert ledger.accumulator(P.id, 2020) == right.accumulator(P.id, 2020)
    # the corrected content is now the claim: settling it returns it; the old content conflicts
    assert ledger.settle(P, fixed, jurisdiction="testland").critical_illness == D(18000)
    with pytest.raises(ClaimConflict):
        ledger.settle(P, c2(), jurisdiction="testland")
    assert ledger.correct(P, fixed, jurisdiction="testland") is None  # nothing to correct
    assert ledger.verify().ok


def test_a_correction_may_move_a_claim_to_another_year(ledger):
    settle_three(ledger)
    moved = presettled(25000, 5000, id="C2", discharged="2021-01-10")
    event = ledger.correct(P, moved, jurisdiction="testland", reason="wrong discharge date")
    got = {(a.claim_id, a.component): a.amount for a in event.adjustments}
    # 2021: C2 alone, F(25,000) = 5,000 × 60% = 3,000 (was 12,000)
    # 2020: C3 after C1 alone, F(65,000) = 27,000 (was 31,000)
    assert got == {
        ("C2", "critical_illness"): D(-9000),
        ("C2", "fund_total"): D(-9000),
        ("C2", "patient_total"): D(9000),
        ("C3", "critical_illness"): D(-4000),
        ("C3", "fund_total"): D(-4000),
        ("C3", "patient_total"): D(4000),
    }
    assert ledger.years(P.id) == [2020, 2021]
    assert [e.claim_id for e in ledger.entries(P.id, 2020)] == ["C1", "C3"]
    assert ledger.accumulator(P.id, 2021).paid["critical_illness"] == D(3000)
    assert ledger.accumulator(P.id, 2020).paid["critical_illness"] == D(27000)
    assert ledger.verify().ok


# --- pre-settlement ---------------------------------------------------------------------------


def test_a_pre_settlement_sees_the_ledger_and_records_nothing(ledger):
    first = ledger.settle(P, c1(), jurisdiction="testland")
    before = ledger.dump()
    preview = ledger.presettle(P, [c1(), c2(), c3()], jurisdiction="testland")
    # C1 is recorded already: its stored settlement; C2 and C3 see C1 and each other
    assert preview[0] == first
    assert [s.critical_illness for s in preview] == [D(0), D(12000), D(31000)]
    assert ledger.dump() == before
    assert ledger.entry("C2") is None
    recorded = [ledger.settle(P, c, jurisdiction="testland") for c in (c2(), c3())]
    assert [s.to_dict() for s in recorded] == [s.to_dict() for s in preview[1:]]
    with ledger.dry_run() as dry:
        dry.settle(P, presettled(1, id="D1"), jurisdiction="testland")
        with pytest.raises(InvalidInput, match="given twice in one pre-settlement"):
            dry.settle(P, presettled(1, id="D1"), jurisdiction="testland")


# --- verify -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "what"),
    [
        (
            "UPDATE ledger_person_years SET accumulator = replace(accumulator, '\"claims\":3', '\"claims\":4')",
            "accumulator.claims: stored 4, recomputed 3",
        ),
        (
            "UPDATE ledger_adjustments SET amount = '12000.01' WHERE claim_id = 'C2' AND component = 'critical_illness'",
            "claim C2: critical_illness: adjustments: stored 12,000.01, recomputed 12,000.00",
        ),
        (
            'UPDATE ledger_settlements SET record = replace(record, \'"critical_illness":"31000.00"\','
            " '\"critical_illness\":\"31000.10\"'), amounts = replace(amounts, '31000.00', '31000.10')"
            " WHERE claim_id = 'C3'",
            "claim C3: critical_illness: stored 31,000.10, recomputed 31,000.00",
        ),
        ("DELETE FROM ledger_events WHERE event_id = 1", "claim C1: version 1: event: stored 1, recomputed none"),
        (
            'UPDATE ledger_submissions SET content = replace(content, \'"scheme":"resident"\', \'"scheme":"employee"\')'
            " WHERE claim_id = 'C1'",
            "claim C1: submission 1",
        ),
    ],
    ids=["accumulator", "adjustment", "settlement", "event", "content"],
)
def test_verify_finds_what_was_changed_behind_the_ledgers_back(target, engine, sql, what):
    with open_ledger(target, engine) as ledger:
        settle_three(ledger)
        assert ledger.verify().ok
    tamper(target, sql)
    with open_ledger(target, engine) as ledger:
        report = ledger.verify()
    assert not report.ok
    found = [d.describe(ledger.masker) for d in report.differences]
    assert any(what in text for text in found), found
    assert all("210203198001011234" not in text for text in found)
    assert all(text.startswith("person 2102**********1234, year 2020") for text in found)


def test_the_ledgers_log_masks_person_ids(ledger, caplog):
    with caplog.at_level(logging.INFO, logger="medinsure.ledger"):
        settle_three(ledger)
        ledger.reverse("C2", reason="refund")
        ledger.correct(P, c3(total=70000), jurisdiction="testland")
    assert [r.getMessage() for r in caplog.records] == [
        "settled claim C1 (person 2102**********1234, 2020)",
        "settled claim C2 (person 2102**********1234, 2020)",
        "settled claim C3 (person 2102**********1234, 2020)",
        "reversed claim C2 (person 2102**********1234, 2020)",
        "corrected claim C3 (person 2102**********1234, 2020)",
    ]


# --- opening ----------------------------------------------------------------------------------


def test_opening_refuses_what_is_not_a_ledger(target, engine):
    if not target.startswith("postgresql://"):
        open(target, "wb").close()  # an empty file: a SQLite database without tables
    with pytest.raises(LedgerError, match="holds no medinsure ledger"):
        open_ledger(target, engine, create=False)
    with open_ledger(target, engine) as ledger:
        ledger.settle(P, c1(), jurisdiction="testland")
    tamper(target, "UPDATE ledger_meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(LedgerError, match="schema version '99' is not the one this medinsure reads"):
        open_ledger(target, engine)


def test_sqlite_specific_opening_errors(tmp_path, engine):
    with pytest.raises(LedgerError, match="no such ledger file"):
        open_ledger(tmp_path / "none.sqlite", engine, create=False)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(LedgerError, match=r"junk\.sqlite: file is not a database"):
        open_ledger(junk, engine)


def test_postgres_url_errors_hide_the_password(engine):
    pytest.importorskip("psycopg")
    with pytest.raises(LedgerError) as info:
        open_ledger("postgresql://user:secret@127.0.0.1:1/nothing", engine, timeout=2)
    assert "secret" not in str(info.value)
    assert str(info.value).startswith("ledger postgresql://user:***@127.0.0.1:1/nothing: cannot connect:")


def test_settlement_records_round_trip(engine: Engine):
    """What the ledger stores gives back the very Settlement: refusals, caps, carried-forward rules."""
    from medinsure.ledger.codec import decode_settlement, encode_settlement

    poor = patient(id="P9", categories=["minimum_living"], birth_date="1950-01-01")
    employee = patient(id="E1", scheme="employee", status="retired")
    settlements = [
        *engine.settle(
            poor,
            [
                claim(id="R1", discharged="2022-03-01", in_scope=90000, total=95000, admitted="2022-02-01"),
                claim(id="R2", discharged="2022-04-01", in_scope=1000, designated=False),
            ],
            jurisdiction="testland",
        ),
        *engine.settle(
            employee,
            [
                claim(id="E1", in_scope=250000, class_b_self_pay=1000, total=260000),
                claim(id="E2", referral="referred_out", in_scope=20000, kind="outpatient_dialysis"),
            ],
            jurisdiction="testland",
        ),
        *engine.settle(poor, [claim(id="T1", in_scope=180000, tags=[])], jurisdiction="testcity"),
    ]
    assert any(s.refusals for s in settlements)
    assert any(s.carried_forward for s in settlements)
    for s in settlements:
        data = json.loads(json.dumps(encode_settlement(s)))
        assert decode_settlement(data) == s
        assert decode_settlement(data).explain() == s.explain()


# -- the ledger file and what is not a ledger ------------------------------------------------------


def test_a_new_sqlite_ledger_and_its_companions_are_readable_by_their_owner_only(tmp_path, engine):
    import os
    import stat

    path = tmp_path / "private.sqlite"
    with open_ledger(path, engine) as ledger:
        ledger.settle(patient(), presettled(100), jurisdiction="testland")
        companions = [p for p in (tmp_path / "private.sqlite-wal", tmp_path / "private.sqlite-shm") if p.exists()]
        assert companions  # WAL mode: written while the ledger is open
        for file in (path, *companions):
            assert stat.S_IMODE(os.stat(file).st_mode) == 0o600, file.name


def test_a_database_that_is_not_a_ledger_is_refused_and_left_as_it_was(new_target, engine):
    target = new_target()
    if target.startswith("postgresql"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("CREATE TABLE patients (id text)")
    else:
        import sqlite3

        with sqlite3.connect(target) as conn:
            conn.execute("CREATE TABLE patients (id text)")
    with pytest.raises(LedgerError, match=r"not a medinsure ledger \(it holds other tables: patients\)"):
        open_ledger(target, engine)
    with pytest.raises(LedgerError, match="holds no medinsure ledger"):
        open_ledger(target, engine, create=False)
    if target.startswith("postgresql"):
        with psycopg.connect(target) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                )
            ]
    else:
        with sqlite3.connect(target) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables == ["patients"]


def test_a_ledger_meta_without_the_marker_is_not_a_ledger(tmp_path, engine):
    import sqlite3

    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE ledger_meta (key text primary key, value text)")
        conn.execute("INSERT INTO ledger_meta VALUES ('schema', '7')")
    with pytest.raises(LedgerError, match=r"not a medinsure ledger \(its ledger_meta has no marker\)"):
        open_ledger(path, engine)


def test_the_stored_content_reads_back_as_the_patient_and_claim_given(ledger):
    """What a reversal or a correction settles again, and verify re-settles, is the patient as
    given: every field, the years of service too."""
    who = patient(id=P.id, scheme="employee", status="retired", birth_date="1950-01-01", service_years=25)
    given = presettled(30000, 12000, id="C9", discharged="2020-06-01")
    ledger.settle(who, given, jurisdiction="testland")
    entry = ledger.entry("C9")
    assert entry is not None
    assert entry.claim == given
    rows = [json.loads(line) for line in ledger.dump().decode().splitlines()]
    (content,) = [row[-1] for table, row in rows if table == "ledger_submissions" and row[0] == "C9"]
    assert Patient.from_mapping(json.loads(content)["patient"]) == who
