"""Bad input never touches the ledger: after each malformed file or claim, every table of the
ledger is byte-for-byte what it was (``Ledger.dump``).

A malformed file is a valid file with one defect put somewhere in it — in a claim, a patient,
a case or the file itself — among valid claims that would be recorded if the file were
accepted; or bytes and text that are no scenario file at all. Each is refused whole, with exit
code 2 and one line, before anything is written.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medinsure import Claim, MedinsureError, Patient
from medinsure.cli import main
from medinsure.ledger import Ledger, open_ledger
from support.ledger import CLI

PERSON = {"id": "210203198001011234", "scheme": "resident"}
EXISTING = {
    "id": "EXIST1",
    "kind": "inpatient",
    "discharged": "2020-04-01",
    "hospital_level": "secondary",
    "total": "30000.00",
    "in_scope": "28000.00",
}
Mapping = dict[str, Any]


def _drop(key: str) -> Callable[[Mapping], Mapping]:
    return lambda c: {k: v for k, v in c.items() if k != key}


def _set(**values: Any) -> Callable[[Mapping], Mapping]:
    return lambda c: {**c, **values}


#: Each makes a valid claim invalid, whatever its amounts.
CLAIM_DEFECTS: dict[str, Callable[[Mapping], Mapping]] = {
    "negative amount": _set(total="-5.00"),
    "three decimals": _set(in_scope="100.005"),
    "in scope above total": lambda c: {**c, "total": "1.00", "in_scope": "2.00"},
    "class-B beyond total": lambda c: {**c, "class_b_self_pay": c["total"]},
    "unknown key": _set(hosptal_level="primary"),
    "unknown kind": _set(kind="surgery"),
    "no such date": _set(discharged="2020-02-30"),
    "not a date": _set(discharged="yesterday"),
    "admitted after discharge": _set(admitted="2020-12-31", discharged="2020-12-30"),
    "no id": _drop("id"),
    "empty id": _set(id="  "),
    "no discharge date": _drop("discharged"),
    "before the first rules": _set(discharged="2019-06-30"),
    "unknown hospital level": _set(hospital_level="quaternary"),
    "unknown tag": _set(tags=["zz_unknown_term"]),
    "basic does not add up": lambda c: {
        **_drop("hospital_level")(c),
        "basic": {"pool": "10.00", "in_scope_self_pay": "10.00"},
        "in_scope": "30.00",
        "total": "30.00",
    },
    "boolean amount": _set(total=True),
    "text amount": _set(total="lots"),
    "boolean filed": _set(filed="maybe"),
    "conflicts with a recorded claim": lambda c: {**EXISTING, "total": "30001.00", "in_scope": "28001.00"},
}

#: Each makes a valid case invalid.
CASE_DEFECTS: dict[str, Callable[[Mapping], Mapping]] = {
    "unknown jurisdiction": _set(jurisdiction="atlantis"),
    "unknown scheme": lambda case: {**case, "patient": {**case["patient"], "scheme": "citizen"}},
    "unknown patient key": lambda case: {**case, "patient": {**case["patient"], "nmae": "x"}},
    "resident with a status": lambda case: {
        **case,
        "patient": {**case["patient"], "scheme": "resident", "status": "retired"},
    },
    "empty patient id": lambda case: {**case, "patient": {**case["patient"], "id": ""}},
    "no claims": _set(claims=[]),
    "unknown case key": _set(colour="red"),
    "unknown expected component": lambda case: {**case, "expect": {case["claims"][0]["id"]: {"critical": 0}}},
}

_ids = itertools.count()


@st.composite
def valid_claims(draw: st.DrawFn, n: int) -> list[Mapping]:
    claims = []
    for _ in range(n):
        in_scope = draw(st.integers(100_00, 60_000_00))
        claims.append(
            {
                "id": f"NEW{next(_ids)}",  # never recorded: if one were, the dump would show it
                "kind": "inpatient",
                "discharged": draw(st.dates(dt.date(2020, 1, 1), dt.date(2022, 12, 31))).isoformat(),
                "hospital_level": draw(st.sampled_from(["tertiary", "secondary", "primary", "community"])),
                "total": f"{(in_scope + draw(st.integers(0, 5_000_00))) / 100:.2f}",
                "in_scope": f"{in_scope / 100:.2f}",
            }
        )
    return claims


DEFECTS = ["duplicate id", *CLAIM_DEFECTS, *CASE_DEFECTS]
ANY_DEFECT = st.sampled_from(DEFECTS)


@st.composite
def bad_files(draw: st.DrawFn, defects: st.SearchStrategy[str] = ANY_DEFECT) -> tuple[str, bytes]:
    """(suffix, content) of a scenario file with exactly one defect."""
    persons = [PERSON, {"id": "P2", "scheme": "employee"}][: draw(st.integers(1, 2))]
    cases = [
        {
            "name": f"case {i}",
            "jurisdiction": "testland",
            "patient": dict(person),
            "claims": draw(valid_claims(draw(st.integers(1, 3)))),
        }
        for i, person in enumerate(persons)
    ]
    where = draw(st.integers(0, len(cases) - 1))
    defect = draw(defects)
    case = cases[where]
    if defect in CASE_DEFECTS:
        cases[where] = CASE_DEFECTS[defect](case)
    elif defect == "duplicate id":  # the same claim twice in one file
        cases[where]["claims"].append(dict(case["claims"][0]))
    else:
        good = case["claims"]
        position = draw(st.integers(0, len(good)))
        bad = CLAIM_DEFECTS[defect](draw(valid_claims(1))[0])
        cases[where]["claims"] = [*good[:position], bad, *good[position:]]
    if draw(st.booleans()):
        return ".json", json.dumps(cases, ensure_ascii=False).encode("utf-8")
    return ".yaml", yaml.safe_dump(cases, allow_unicode=True).encode("utf-8")


not_scenarios = st.one_of(
    st.binary(max_size=200).map(lambda b: (".yaml", b)),
    st.text(max_size=200).map(lambda t: (".yaml", t.encode("utf-8"))),
    st.text(max_size=200).map(lambda t: (".json", t.encode("utf-8"))),
)


@pytest.fixture
def recorded(target: str, engine) -> tuple[str, bytes]:
    """A ledger holding a year of one person, and its dump."""
    with open_ledger(target, engine) as ledger:
        ledger.settle(Patient.from_mapping(PERSON), Claim.from_mapping(EXISTING), jurisdiction="testland")
        ledger.reverse("EXIST1", reason="to have a reversal in the tables too")  # a reversed id...
        again = {**EXISTING, "id": "EXIST2"}
        ledger.settle(Patient.from_mapping(PERSON), Claim.from_mapping(again), jurisdiction="testland")
        return target, ledger.dump()


_FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_files = itertools.count()


def refuse(target: str, before: bytes, *, engine, folder, file: tuple[str, bytes], dry_run: bool = False) -> None:
    suffix, content = file
    path = folder / f"bad{next(_files)}{suffix}"
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    argv = ["settle", str(path), "--ledger", target, *CLI, *(["--dry-run"] if dry_run else [])]
    code = main(argv, out=out, err=err)
    assert code == 2, (content, out.getvalue())
    assert err.getvalue().startswith("medinsure settle: ")
    assert len(err.getvalue().strip().splitlines()) == 1
    assert "210203198001011234" not in err.getvalue()
    with open_ledger(target, engine, create=False) as ledger:
        assert ledger.dump() == before


@_FUZZ
@given(file=st.one_of(bad_files(), not_scenarios), dry_run=st.booleans())
def test_a_malformed_file_is_refused_whole_and_the_ledger_is_unchanged(recorded, engine, tmp_path, file, dry_run):
    refuse(*recorded, engine=engine, folder=tmp_path, file=file, dry_run=dry_run)


@settings(_FUZZ, max_examples=1)
@given(data=st.data())
def test_every_kind_of_defect_is_refused(recorded, engine, tmp_path, data):
    for defect in DEFECTS:
        refuse(*recorded, engine=engine, folder=tmp_path, file=data.draw(bad_files(st.just(defect)), label=defect))


junk = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.dictionaries(st.text(max_size=3), st.integers()))


@st.composite
def bad_calls(draw: st.DrawFn) -> tuple[str, Callable[[Ledger], Any]]:
    """A call of the ledger's API with bad input: (description, call)."""
    patient = Patient.from_mapping(PERSON)
    what = draw(st.sampled_from(["settle", "correct", "presettle", "reverse", "junk"]))
    if what == "reverse":
        claim_id = draw(st.text(max_size=8).filter(lambda s: s not in ("EXIST2",)))
        return f"reverse {claim_id!r}", lambda ledger: ledger.reverse(claim_id)
    if what == "junk":
        p, c, j = draw(junk), draw(junk), draw(st.one_of(junk, st.just("testland")))
        return f"settle({p!r}, {c!r})", lambda ledger: ledger.settle(p, c, jurisdiction=j)  # type: ignore[arg-type]
    # a claim that is valid on its own but that the rules, or the ledger, refuse
    defect = draw(
        st.sampled_from(
            ["before the first rules", "no hospital level", "unknown tag", "unknown jurisdiction", "conflict"]
        )
    )
    raw = draw(valid_claims(1))[0]
    jurisdiction = "testland"
    if defect == "unknown jurisdiction":
        jurisdiction = "atlantis"
    elif defect == "conflict":
        raw = {**EXISTING, "id": "EXIST2", "total": "30000.01"}
    elif defect == "no hospital level":  # a resident's ratio in testland depends on the level
        raw = _drop("hospital_level")(raw)
    else:
        raw = CLAIM_DEFECTS[defect](raw)
    if what == "correct" and defect != "conflict":
        raw = {**raw, "id": "EXIST2"}
    claim = Claim.from_mapping(raw)
    if what == "settle":
        return f"settle {raw}", lambda ledger: ledger.settle(patient, claim, jurisdiction=jurisdiction)
    if what == "presettle":
        return f"presettle {raw}", lambda ledger: ledger.presettle(patient, [claim], jurisdiction=jurisdiction)
    if defect == "conflict":  # a correction of a reversed claim
        raw = {**raw, "id": "EXIST1"}
        claim = Claim.from_mapping(raw)
    return f"correct {raw}", lambda ledger: ledger.correct(patient, claim, jurisdiction=jurisdiction)


@_FUZZ
@given(call=bad_calls())
def test_a_bad_call_raises_and_the_ledger_is_unchanged(recorded, engine, call):
    target, before = recorded
    description, action = call
    with open_ledger(target, engine) as ledger:
        with pytest.raises(MedinsureError):
            action(ledger)
        assert ledger.dump() == before, description
