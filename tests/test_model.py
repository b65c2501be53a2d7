"""The input model: patients and claims from mappings, defaults, one clear error per bad field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from medinsure import Claim, InvalidInput, Patient
from medinsure.model import identifier, parse_date


def test_claim_from_mapping_defaults_and_derived_costs():
    c = Claim.from_mapping(
        {
            "id": "C1",
            "kind": "inpatient",
            "discharged": "2021-03-15",
            "total": 40000,
            "in_scope": "36000",
            "class_b_self_pay": 1000,
        }
    )
    assert c.out_of_scope == Decimal("3000.00")
    assert (c.referral, c.location, c.filed, c.designated) == ("none", "local", True, True)
    assert c.year == 2021
    assert c.service_date == dt.date(2021, 3, 15)


def test_claim_with_basic_defaults_in_scope_and_total():
    c = Claim.from_mapping(
        {
            "id": "C1",
            "kind": "inpatient",
            "discharged": "2021-03-15",
            "basic": {"pool": 21000, "in_scope_self_pay": 15000},
        }
    )
    assert c.in_scope == Decimal("36000.00")
    assert c.total == Decimal("36000.00")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"in_scope": 50000}, "claim.in_scope='50000.00': above claim.total 40000.00"),
        ({"total": -1}, "claim.total=-1: must not be negative"),
        ({"total": 1.5}, "claim.total=1.5: float is not accepted"),
        ({"kind": "dental"}, "claim.kind='dental': expected one of inpatient"),
        ({"discharged": "2021-02-30"}, "claim.discharged='2021-02-30': not a date of the calendar"),
        ({"admitted": "2021-04-01"}, "claim.discharged='2021-03-15': before admitted 2021-04-01"),
        ({"hospital_level": "quaternary"}, "claim.hospital_level='quaternary'"),
        ({"filed": "yes"}, "claim.filed='yes': expected true or false"),
        ({"colour": "red"}, "claim.colour='red': unknown key"),
        ({"id": ""}, "claim.id='': must not be empty"),
        ({"basic": {"pool": 1, "in_scope_self_pay": 2}}, "does not add up to claim.in_scope"),
        ({"basic": {"pool": 1, "self_pay": 2}}, "claim.basic.self_pay=2: unknown key"),
    ],
)
def test_bad_claim_names_field_and_value(changes, message):
    data = {"id": "C1", "kind": "inpatient", "discharged": "2021-03-15", "total": 40000, "in_scope": 36000}
    data.update(changes)
    with pytest.raises(InvalidInput) as info:
        Claim.from_mapping(data)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scheme": "private"}, "patient.scheme='private': expected one of resident, employee"),
        ({"status": "retired"}, "patient.status='retired': only employees have a status"),
        ({"categories": ["Poor"]}, "patient.categories='Poor'"),
        ({"birth_date": "1980-13-01"}, "patient.birth_date='1980-13-01'"),
        (
            {"contributions": [{"paid_on": "2020-01-01", "from": "2020-02-01"}]},
            "patient.contributions[0].to=None: required",
        ),
        (
            {"contributions": [{"paid_on": "2020-01-01", "from": "2020-02-01", "to": "2020-01-01"}]},
            "patient.contributions[0].end",
        ),
        ({"nickname": "Li"}, "patient.nickname='Li': unknown key"),
    ],
)
def test_bad_patient_names_field_and_value(changes, message):
    data = {"id": "P1", "scheme": "resident"}
    data.update(changes)
    with pytest.raises(InvalidInput) as info:
        Patient.from_mapping(data)
    assert message in str(info.value)


def test_age_on_a_date():
    p = Patient.from_mapping({"id": "P1", "scheme": "resident", "birth_date": "2004-03-01"})
    assert p.age_on(dt.date(2022, 2, 28)) == 17
    assert p.age_on(dt.date(2022, 3, 1)) == 18
    assert Patient.from_mapping({"id": "P", "scheme": "employee"}).employee_status == "in_service"


@pytest.mark.parametrize("text", ["20210301", "2021-W10-1", "2021-3-1", "2021-03-01T00:00", "２０２１-03-01"])
def test_a_date_is_written_yyyy_mm_dd_and_nothing_else(text):
    with pytest.raises(InvalidInput, match="expected a date written YYYY-MM-DD"):
        parse_date(text, "claim.discharged")


@pytest.mark.parametrize("text", ["2021-02-30", "0000-01-01", "2021-13-45"])
def test_a_date_that_is_not_in_the_calendar_is_refused(text):
    with pytest.raises(InvalidInput, match="not a date of the calendar"):
        parse_date(text, "claim.discharged")


@pytest.mark.parametrize(
    ("given", "stored"),
    [("K1", "K1"), ("Ｋ１", "K1"), ("  K1\u3000", "K1"), (12, "12"), ("２１０２０３", "210203"), ("ｶ", "カ")],
)
def test_an_id_written_two_ways_is_one_id(given, stored):
    assert identifier(given, "claim.id") == stored
    assert (
        Claim.from_mapping(
            {"id": given, "kind": "outpatient", "discharged": "2021-03-01", "total": 1, "in_scope": 1}
        ).id
        == stored
    )


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("K1\u200b", "contains the character U+200B"),  # zero-width space
        ("K1\nC9,forged,row", "contains the character U+000A"),  # a newline forging a row
        ("\x1b[31mK1", "contains the character U+001B"),  # an ANSI escape
        ("K\u202e1", "contains the character U+202E"),  # a bidi override
        ("K\x001", "contains the character U+0000"),  # NUL
        ("K" * 65, "longer than 64 characters"),
        pytest.param("K" * 10_000_000, "longer than 64 characters", id="ten million characters"),
        ("", "must not be empty"),
        ("\u3000", "must not be empty"),
        (True, "expected text"),
    ],
)
def test_an_id_that_could_forge_or_hide_a_character_is_refused(given, reason):
    with pytest.raises(InvalidInput) as info:
        identifier(given, "patient.id")
    assert info.value.reason == reason
    assert "\n" not in str(info.value)
    assert "\x1b" not in str(info.value)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("bad", ["C\x001", "C\n1", "C\ud8001", "\x7f"])
def test_an_id_with_a_control_character_or_a_lone_surrogate_is_refused(bad):
    with pytest.raises(InvalidInput, match=r"claim\.id=.*: contains the character U\+"):
        Claim.from_mapping({"id": bad, "kind": "inpatient", "discharged": "2020-01-01", "total": 1, "in_scope": 1})
    with pytest.raises(InvalidInput, match=r"patient\.id=.*: contains the character U\+"):
        Patient.from_mapping({"id": bad, "scheme": "resident"})
    assert Patient.from_mapping({"id": " 身份证 P1\t", "scheme": "resident"}).id == "身份证 P1"
