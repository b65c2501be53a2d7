"""The service's OpenAPI 3.1 document, assembled from the JSON Schemas the package ships.

There is one source of truth for every shape: ``claim-input.schema.json`` (patients and
claims, as scenario files give them), ``settlement.schema.json`` (the settlement output of
``medinsure settle --format json``) and ``service.schema.json`` (what only the service reads
and writes: requests, events, a person-year, problems). :func:`components` copies every
definition of the three into ``components.schemas`` under a class-like name (``claim`` →
``Claim``) and rewrites each ``$ref`` to point there, so a client generator sees the same
fields the library reads and writes; nothing is written twice.

Every operation carries examples (``examples.json`` beside this module: real requests and what
the service answered to them).
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from medinsure import __version__
from medinsure.io.writers import load_schema
from medinsure.service.config import MAX_BODY

__all__ = ["SCHEMA_FILES", "component_name", "components", "examples", "openapi_document"]

#: The shipped schemas the document is made of.
SCHEMA_FILES = ("claim-input", "settlement", "service")
#: The component of a file's root schema, where one is used (the settlement output is a list).
ROOTS = {"settlement": "Settlements"}


def component_name(definition: str) -> str:
    """The component name of a schema definition: ``settle_request`` → ``SettleRequest``."""
    return "".join(part[:1].upper() + part[1:] for part in definition.replace("-", "_").split("_"))


def _target(ref: str, here: str) -> str:
    """The component reference of ``ref`` written in the schema file ``here``."""
    path, _, pointer = ref.partition("#")
    file = path.removesuffix(".schema.json") if path else here
    if file not in SCHEMA_FILES:
        raise ValueError(f"{here}.schema.json: $ref {ref!r} names a schema that is not shipped")
    if not pointer:
        return f"#/components/schemas/{ROOTS[file]}"
    parts = pointer.split("/")
    if parts[:2] != ["", "$defs"] or len(parts) < 3:
        raise ValueError(f"{here}.schema.json: $ref {ref!r} does not point into $defs")
    return "/".join(["#/components/schemas", component_name(parts[2]), *parts[3:]])


def _rewrite(node: Any, here: str) -> Any:
    if isinstance(node, dict):
        return {
            key: _target(value, here) if key == "$ref" else _rewrite(value, here)
            for key, value in node.items()
            if key not in ("$schema", "$id", "$defs")
        }
    if isinstance(node, list):
        return [_rewrite(value, here) for value in node]
    return node


def components() -> dict[str, Any]:
    """Every definition of the shipped schemas as OpenAPI components, references rewritten."""
    out: dict[str, Any] = {}
    for file in SCHEMA_FILES:
        schema = load_schema(file)
        for name, definition in schema.get("$defs", {}).items():
            component = component_name(name)
            if component in out:
                raise ValueError(f"{file}.schema.json: definition {name!r} is already a component")
            out[component] = _rewrite(definition, file)
        if file in ROOTS:
            root = _rewrite(schema, file)
            out[ROOTS[file]] = root
    return out


def examples() -> dict[str, Any]:
    """The examples of the document (``examples.json``): real requests and the answers to them."""
    text = (files("medinsure.service") / "examples.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], example: Any, media: str = "application/json") -> dict[str, Any]:
    return {media: {"schema": schema, "example": example}}


_PARAMETERS: dict[str, dict[str, Any]] = {
    "national": {
        "name": "national",
        "in": "query",
        "required": False,
        "description": "add the national platform's field names to each settlement (`national`)",
        "schema": {"type": "boolean", "default": False},
        "example": False,
    },
    "lang": {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "language of the HTML settlement sheet (`Accept: text/html`)",
        "schema": {"enum": ["zh", "en"], "default": "zh"},
        "example": "zh",
    },
    "copy": {
        "name": "copy",
        "in": "query",
        "required": False,
        "description": "which settlement sheet (`Accept: text/html`): `audit`, every step with its rule and source;"
        " `patient`, the 出院结算单 handed to the patient",
        "schema": {"enum": ["audit", "patient"], "default": "audit"},
        "example": "audit",
    },
    "show_ids": {
        "name": "show_ids",
        "in": "query",
        "required": False,
        "description": "person ids unmasked in an HTML sheet or a person-year; only where the server allows it"
        " (--allow-show-ids), else 403",
        "schema": {"type": "boolean", "default": False},
        "example": False,
    },
    "settlement_id": {
        "name": "settlement_id",
        "in": "path",
        "required": True,
        "description": "the settlement's claim id or its `setl_id` (a `/` in it sent as `%2F`)",
        "schema": {"type": "string", "minLength": 1},
        "example": "A1",
    },
}

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    400: "the body is not JSON",
    401: "no bearer token, or a wrong one",
    403: "person ids asked unmasked, which this server does not allow",
    404: "not found (or, for the ledger's endpoints, a server started without --ledger)",
    405: "the path does not take this method",
    409: "a claim id recorded with other content, or a reversed claim",
    410: "the settlement was reversed",
    413: f"the body is larger than the server's limit (--max-body, {MAX_BODY:,} bytes by default)",
    415: "the body is not application/json",
    422: "a patient, claim or parameter the library refuses: the field and value are named",
    500: "an unexpected error, logged under the request id",
    503: "the request took too long (--timeout), or the ledger is busy or unreachable; retry",
}


def _problem(status: int, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": _STATUS_TEXT[status],
        "content": {"application/problem+json": {"schema": _ref("Problem"), "example": example}},
    }


def _errors(ex: dict[str, Any], *statuses: int) -> dict[str, Any]:
    problems = ex["problems"]
    return {str(s): _problem(s, problems[str(s)]) for s in (*statuses, 401, 500, 503)}


def _settlements(ex: dict[str, Any], status: int, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            **_json(_ref("Settlements"), ex["settlements"]),
            "text/html": {
                "schema": {"type": "string"},
                "example": ex["sheet"],
            },
        },
    }


def _body(ex: dict[str, Any], schema: str, example: Any, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": _json(_ref(schema), example)}


def _paths(ex: dict[str, Any]) -> dict[str, Any]:
    p = _PARAMETERS
    sheet = [p["national"], p["lang"], p["copy"], p["show_ids"]]
    return {
        "/v1/health": {
            "get": {
                "operationId": "getHealth",
                "tags": ["service"],
                "summary": "The server is up",
                "description": "Answers without a token, for load balancers and monitoring.",
                "security": [],
                "responses": {
                    "200": {"description": "OK", "content": _json(_ref("Health"), ex["health"])},
                    **_errors(ex, 404),
                },
            }
        },
        "/v1/jurisdictions": {
            "get": {
                "operationId": "listJurisdictions",
                "tags": ["rules"],
                "summary": "The installed jurisdictions",
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": _json({"type": "array", "items": _ref("Jurisdiction")}, ex["jurisdictions"]),
                    },
                    **_errors(ex, 404),
                },
            }
        },
        "/v1/jurisdictions/{code}/rules": {
            "get": {
                "operationId": "getRules",
                "tags": ["rules"],
                "summary": "A jurisdiction's rule tables, every value with its dates and source",
                "parameters": [
                    {
                        "name": "code",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "example": "dalian",
                    },
                    {
                        "name": "year",
                        "in": "query",
                        "required": False,
                        "description": "only the values in force during this year",
                        "schema": {"type": "integer", "minimum": 1000, "maximum": 9999},
                        "example": 2021,
                    },
                ],
                "responses": {
                    "200": {"description": "OK", "content": _json(_ref("Rules"), ex["rules"])},
                    **_errors(ex, 404, 405, 422),
                },
            }
        },
        "/v1/settle": {
            "post": {
                "operationId": "settle",
                "tags": ["settlement"],
                "summary": "Settle one person's claims; nothing is stored",
                "description": "The claims are settled in the order given, as `medinsure settle` settles a scenario"
                " case: the answer is the same JSON (or, with `Accept: text/html`, the settlement sheets of"
                " `medinsure explain --html`). Give the year's earlier claims, or its `accumulators`.",
                "parameters": sheet,
                "requestBody": _body(ex, "SettleRequest", ex["settle_request"]),
                "responses": {
                    "200": _settlements(ex, 200, "the settlements, in the order of the claims"),
                    **_errors(ex, 400, 404, 413, 415, 422),
                },
            }
        },
        "/v1/presettle": {
            "post": {
                "operationId": "presettle",
                "tags": ["ledger"],
                "summary": "Pre-settle claims against the ledger (预结算); nothing is recorded",
                "description": "What each claim would get if recorded now, after the claims the ledger holds."
                " A claim already recorded with the same content gives its stored settlement.",
                "parameters": sheet,
                "requestBody": _body(ex, "LedgerRequest", ex["settle_request"]),
                "responses": {
                    "200": _settlements(ex, 200, "the pre-settlements, in the order of the claims"),
                    **_errors(ex, 400, 404, 409, 413, 415, 422),
                },
            }
        },
        "/v1/settlements": {
            "post": {
                "operationId": "recordSettlements",
                "tags": ["ledger"],
                "summary": "Settle claims into the ledger (结算); idempotent by claim id",
                "description": "The request is pre-settled whole first, so a bad claim anywhere records nothing;"
                " then each claim is recorded in its own transaction. A claim recorded already with the same"
                " content gives its stored settlement (200 when every claim was recorded already); with other"
                " content it is a 409 naming the differing field.",
                "parameters": sheet,
                "requestBody": _body(ex, "LedgerRequest", ex["settle_request"]),
                "responses": {
                    "201": _settlements(ex, 201, "recorded: the settlements, in the order of the claims"),
                    "200": _settlements(ex, 200, "every claim was recorded already: their stored settlements"),
                    **_errors(ex, 400, 404, 409, 413, 415, 422),
                },
            }
        },
        "/v1/settlements/{settlement_id}": {
            "get": {
                "operationId": "getSettlement",
                "tags": ["ledger"],
                "summary": "A recorded settlement (its current version), as JSON or as the settlement sheet",
                "parameters": [p["settlement_id"], *sheet],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            **_json(_ref("Settlement"), ex["settlements"][0]),
                            "text/html": {"schema": {"type": "string"}, "example": ex["sheet"]},
                        },
                    },
                    **_errors(ex, 403, 404, 405, 410, 422),
                },
            }
        },
        "/v1/settlements/{settlement_id}/reverse": {
            "post": {
                "operationId": "reverseSettlement",
                "tags": ["ledger"],
                "summary": "Reverse a recorded settlement (冲销); the later claims of its year are settled again",
                "parameters": [p["settlement_id"]],
                "requestBody": _body(ex, "ReverseRequest", ex["reverse_request"], required=False),
                "responses": {
                    "200": {"description": "the ledger event", "content": _json(_ref("Event"), ex["event"])},
                    **_errors(ex, 400, 404, 405, 409, 413, 415, 422),
                },
            }
        },
        "/v1/persons/{person_id}/years/{year}": {
            "get": {
                "operationId": "getPersonYear",
                "tags": ["ledger"],
                "summary": "A person-year in the ledger: claims, accumulator, audit trail (ids masked)",
                "parameters": [
                    {
                        "name": "person_id",
                        "in": "path",
                        "required": True,
                        "description": "the patient's id (a `/` in it sent as `%2F`)",
                        "schema": {"type": "string", "minLength": 1},
                        "example": "210202198005011234",
                    },
                    {
                        "name": "year",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1000, "maximum": 9999},
                        "example": 2021,
                    },
                    p["national"],
                    p["show_ids"],
                ],
                "responses": {
                    "200": {"description": "OK", "content": _json(_ref("PersonYear"), ex["person_year"])},
                    **_errors(ex, 403, 404, 405, 422),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenapi",
                "tags": ["service"],
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": _json({"type": "object"}, {"openapi": "3.1.0", "info": {"title": "medinsure"}}),
                    },
                    **_errors(ex, 404),
                },
            }
        },
        "/docs": {
            "get": {
                "operationId": "getDocs",
                "tags": ["service"],
                "summary": "Interactive documentation: every operation, its examples, a form to send them",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "text/html": {"schema": {"type": "string"}, "example": "<!DOCTYPE html><html>…</html>"}
                        },
                    },
                    **_errors(ex, 404),
                },
            }
        },
    }


def openapi_document(*, token: bool = False) -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``token=True`` declares the bearer token every data endpoint needs."""
    ex = examples()
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "medinsure settlement service",
            "version": __version__,
            "summary": "Settle Chinese public medical-insurance claims exactly to the fen, every yuan traced"
            " to its rule and source.",
            "description": "Settlements are the JSON of `medinsure settle --format json`; amounts are decimal"
            " strings in yuan with two decimals (send amounts as strings or integers; a number with a point"
            " is read exactly, never as a float). Errors are RFC 9457 problem details whose `detail` is the"
            " command line's one-line error, naming the field and value.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "settlement", "description": "settling without storing anything"},
            {"name": "ledger", "description": "the annual ledger (a server started with --ledger)"},
            {"name": "rules", "description": "jurisdictions and their rule tables"},
            {"name": "service", "description": "the server itself"},
        ],
        "paths": _paths(ex),
        "components": {
            "schemas": components(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the token of the server's --token-file",
                }
            },
        },
    }
    if token:
        document["security"] = [{"bearer": []}]
    return document
