"""The JSON Schemas the package ships describe what the model reads and what the engine writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest

from medinsure.io.data import read_data_file
from medinsure.io.scenarios import CASE_KEYS
from medinsure.io.writers import load_schema
from medinsure.model import BasicResult, Claim, Contribution, Patient
from medinsure.rules.names import COMPONENTS
from support import as_json

ROOT = Path(__file__).parent.parent.parent
SCENARIO_FILES = sorted(
    [
        *(ROOT / "tests" / "cases").glob("*.yaml"),
        *(ROOT / "plugins").glob("*/tests/cases/*.yaml"),
        *(ROOT / "examples").glob("*.yaml"),
        *(ROOT / "tests" / "data").glob("settle-example*.yaml"),
    ]
)
INPUT = load_schema("claim-input")


def test_there_are_scenario_files_of_every_kind():
    assert len(SCENARIO_FILES) >= 10
    assert any("plugins" in p.parts for p in SCENARIO_FILES)
    assert any("examples" in p.parts for p in SCENARIO_FILES)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_scenario_file_in_the_repository_validates(path):
    jsonschema.validate(as_json(read_data_file(path)), INPUT)


def properties(name: str) -> set[str]:
    return set(INPUT["$defs"][name]["properties"])


def test_the_schema_names_exactly_the_fields_the_model_reads():
    assert properties("case") == set(CASE_KEYS)
    assert properties("patient") == set(Patient.FIELDS)
    assert properties("claim") == set(Claim.FIELDS)
    assert properties("basic") == {f.name for f in attrs.fields(BasicResult)}
    assert properties("contribution") == {"paid_on", "from", "to"}
    assert set(INPUT["$defs"]["case"]["properties"]["expect"]["additionalProperties"]["properties"]) == {
        *COMPONENTS,
        "error",
    }
    assert Contribution.from_mapping({"paid_on": "2021-01-05", "from": "2021-01-01", "to": "2021-12-31"})


@pytest.mark.parametrize(
    ("path", "value", "accepted"),
    [
        (("patient", "service_years"), 12, True),
        (("patient", "nickname"), "x", False),
        (("claims", 0, "in_scope"), "12.345", False),
        (("claims", 0, "basic", "pool"), -1, False),
    ],
)
def test_the_schema_accepts_and_refuses_as_the_model_does(path, value, accepted):
    case = {
        "name": "one",
        "jurisdiction": "testland",
        "patient": {"id": "P1", "scheme": "resident"},
        "claims": [
            {"id": "C1", "kind": "inpatient", "discharged": "2021-03-01", "basic": {"pool": 0, "in_scope_self_pay": 1}}
        ],
    }
    target: Any = case
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    patient, claim = case["patient"], case["claims"][0]
    try:
        Claim.from_mapping(claim)
        Patient.from_mapping(patient)
    except Exception:
        model_accepts = False
    else:
        model_accepts = True
    assert model_accepts == accepted
    if accepted:
        jsonschema.validate([case], INPUT)
    else:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate([case], INPUT)
