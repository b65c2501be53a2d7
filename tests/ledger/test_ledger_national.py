"""Pre-settlement, settlement and reversal by the platform's ids, and the schema-1 migration."""

from __future__ import annotations

import pytest

from medinsure import InvalidInput
from medinsure.io.national import derived_setl_id, setlinfo
from medinsure.ledger import LedgerError, open_ledger
from support import D, claim, patient
from support.ledger import tamper

P = patient(id="210203198001011234")


def c1(**kw):
    # tertiary resident: (45,000 − 1,000) × 60% = 26,400
    return claim(id="C1", discharged="2020-03-15", total=50000, in_scope=45000, mdtrt_id="M-1", **kw)


def c2():
    # secondary: (30,000 − 600) × 70% = 20,580; year self-pay 18,600 + 9,420 = 28,020 → 8,020 × 60% = 4,812
    return claim(id="C2", discharged="2020-09-01", hospital_level="secondary", total=30000, in_scope=30000)


def test_presettle_settle_reverse_by_setl_id_round_trip(ledger):
    before = ledger.dump()
    (pre,) = ledger.presettle(P, [c1()], jurisdiction="testland")
    assert ledger.dump() == before  # 2303 records nothing
    settled = ledger.settle(P, c1(), jurisdiction="testland")
    assert settled.amounts() == pre.amounts()
    assert settled.basic_pool == D(26400)
    later = ledger.settle(P, c2(), jurisdiction="testland")
    assert later.critical_illness == D(4812)
    setl = setlinfo(settled)["setl_id"]
    assert setl == derived_setl_id("testland", P.id, "C1")
    ids = ledger.ids(setl_id=setl)
    assert ids is not None
    assert (ids.claim_id, ids.mdtrt_id, ids.psn_no) == ("C1", "M-1", P.id)

    with pytest.raises(InvalidInput, match=r"setl_id .* was recorded with mdtrt_id 'M-1'"):
        ledger.reverse_settlement(setl, mdtrt_id="M-2", psn_no=P.id)
    with pytest.raises(LedgerError, match="setl_id='nope': not in the ledger"):
        ledger.reverse_settlement("nope")
    event = ledger.reverse_settlement(setl, mdtrt_id="M-1", psn_no=P.id, reason="refund")
    assert (event.kind, event.claim_id, event.setl_id) == ("reverse", "C1", setl)
    # C2 alone: self-pay 9,420 < 20,000 → critical illness 4,812 taken back
    assert {(a.claim_id, a.component, a.amount) for a in event.adjustments} >= {
        ("C1", "basic_pool", D(-26400)),
        ("C2", "critical_illness", D(-4812)),
    }
    trail = [(e.kind, e.claim_id, e.setl_id) for e in ledger.events(P.id, 2020)]
    assert trail[0] == ("settle", "C1", setl)
    assert trail[-1] == ("reverse", "C1", setl)
    assert ledger.verify().ok


def test_a_given_setl_id_is_kept_and_may_not_be_reused(ledger):
    ledger.settle(P, c1(setl_id="S-1"), jurisdiction="testland")
    assert ledger.ids(claim_id="C1").setl_id == "S-1"
    with pytest.raises(InvalidInput, match="already the setl_id of claim 'C1'"):
        ledger.settle(P, claim(id="C9", total=1, in_scope=1, setl_id="S-1"), jurisdiction="testland")
    assert ledger.entry("C9") is None  # nothing half-written


def test_a_schema_1_ledger_is_brought_to_schema_2_on_open(target, engine):
    with open_ledger(target, engine) as ledger:
        ledger.settle(P, c1(), jurisdiction="testland")
    tamper(target, "DROP TABLE ledger_setl_ids")
    tamper(target, "UPDATE ledger_meta SET value = '1' WHERE key = 'schema'")
    with open_ledger(target, engine) as ledger:
        ids = ledger.ids(claim_id="C1")
        assert ids is not None
        assert ids.setl_id == derived_setl_id("testland", P.id, "C1")
        assert ids.mdtrt_id == "M-1"
        assert ledger.verify().ok
    tamper(target, "UPDATE ledger_meta SET value = '0' WHERE key = 'schema'")
    with pytest.raises(LedgerError, match="schema version '0' is not the one this medinsure reads"):
        open_ledger(target, engine)


def test_the_command_line_presettles_settles_and_reverses_by_setl_id(target, engine):
    from support import ARGS, TESTS, run

    open_ledger(target, engine).close()  # an empty ledger
    example = str(TESTS / "data" / "national.yaml")
    code, out, err = run("presettle", *ARGS, "--ledger", target, example)
    assert (code, err) == (0, "")
    assert "(2206 outpatient / 2303 inpatient): nothing recorded." in out
    code, out, err = run("settle", *ARGS, "--ledger", target, "--format", "json", "--national-fields", example)
    assert (code, err) == (0, "")
    setl = derived_setl_id("testland", "P1", "C1")
    assert f'"setl_id": "{setl}"' in out
    code, out, err = run("reverse", *ARGS, "--ledger", target, "--setl-id", setl, "--psn-no", "P1", "--show-ids")
    assert (code, err) == (0, "")
    assert out.startswith(f"Reversed claim C1 (person P1, year 2020; setl_id {setl}, 2305 reversal)")
    code, out, err = run("reverse", *ARGS, "--ledger", target, "C1", "--setl-id", setl)
    assert (code, out) == (2, "")
    assert "give a CLAIM_ID or --setl-id (one of them)" in err
