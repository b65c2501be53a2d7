"""The OpenAPI document: valid OpenAPI 3.1, made of the shipped JSON Schemas, an example everywhere.

The examples in ``src/medinsure/service/examples.json`` are what the service's operations give
for the Dalian example with the installed plugins; when the rules or the output change on
purpose, write them again with ``python tests/support/service.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from medinsure.io.writers import load_schema
from medinsure.service.openapi import SCHEMA_FILES, component_name, components, examples, openapi_document
from support.service import make_examples

DOCUMENT = openapi_document(token=True)


def test_the_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"] == "3.1.0"
    validate(DOCUMENT)
    validate(openapi_document(token=False))
    broken = copy.deepcopy(DOCUMENT)
    broken["paths"]["/v1/settle"]["post"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Nothing"
    }
    with pytest.raises(Exception, match="Nothing"):
        validate(broken)


def test_every_component_is_a_shipped_schema_definition_with_its_references_moved():
    found = components()
    expected = {}
    for file in SCHEMA_FILES:
        for name, definition in load_schema(file).get("$defs", {}).items():
            expected[component_name(name)] = definition
    assert set(found) == {*expected, "Settlements"}
    # the same definition, but for where its references point
    claim = found["Claim"]
    assert claim["properties"]["basic"] == {"$ref": "#/components/schemas/Basic"}
    assert {k: v for k, v in claim.items() if k != "properties"} == {
        k: v for k, v in expected["Claim"].items() if k != "properties"
    }
    assert claim["properties"]["total"] == expected["Claim"]["properties"]["total"]
    request = found["SettleRequest"]["properties"]
    assert request["patient"] == {"$ref": "#/components/schemas/Patient"}
    assert request["expect"] == {"$ref": "#/components/schemas/Case/properties/expect"}
    assert found["Settlements"]["items"] == {"$ref": "#/components/schemas/Settlement"}
    assert found["PersonYear"]["properties"]["accumulator"] == {
        "$ref": "#/components/schemas/Settlement/properties/accumulator_after"
    }


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_has_an_id_a_summary_and_examples():
    ids = [op["operationId"] for _, _, op in _operations()]
    assert len(ids) == len(set(ids)) == 11
    for path, method, operation in _operations():
        assert operation["summary"], (path, method)
        if "requestBody" in operation:
            for media in operation["requestBody"]["content"].values():
                assert "example" in media, (path, method)
        for status, response in operation["responses"].items():
            for media_type, media in response.get("content", {}).items():
                assert "example" in media, (path, method, status, media_type)
        for parameter in operation.get("parameters", []):
            assert "example" in parameter, (path, method, parameter["name"])


def _examples(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """(JSON pointer of a schema, its example) for every media type and parameter of the document."""
    if isinstance(node, dict):
        if "schema" in node and "example" in node:
            yield f"{pointer}/schema", node["example"]
        for key, value in node.items():
            yield from _examples(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")


def test_every_example_validates_against_its_schema():
    document = {**DOCUMENT, "$id": "urn:medinsure:openapi"}
    registry = Registry().with_resource("urn:medinsure:openapi", Resource(document, DRAFT202012))
    checked = 0
    for pointer, example in _examples(DOCUMENT["paths"]):
        schema = {"$ref": f"urn:medinsure:openapi#/paths{pointer}"}
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        validator.validate(example)
        checked += 1
    assert checked >= 60
    # and a wrong example would be found
    schema = {"$ref": "urn:medinsure:openapi#/components/schemas/Settlements"}
    wrong = copy.deepcopy(examples()["settlements"])
    wrong[0]["basic_pool"] = 21000.0
    with pytest.raises(ValidationError):
        jsonschema.Draft202012Validator(schema, registry=registry).validate(wrong)


def test_the_examples_are_what_the_service_gives():
    assert examples() == make_examples(), "the examples are stale: python tests/support/service.py writes them"


def test_a_server_with_a_token_says_so_and_one_without_does_not():
    assert DOCUMENT["security"] == [{"bearer": []}]
    assert "security" not in openapi_document(token=False)
    open_ones = sorted(op["operationId"] for _, _, op in _operations() if op.get("security") == [])
    assert open_ones == ["getDocs", "getHealth", "getOpenapi"]


def test_the_served_document_is_the_one_made_here(api):
    with api.client(token=False) as client:
        assert client.get("/openapi.json").json() == DOCUMENT
