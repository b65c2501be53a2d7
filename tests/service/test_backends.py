"""Input a database could not store is refused as input, on SQLite and on PostgreSQL alike.

PostgreSQL refuses a NUL in text, and no database stores a lone surrogate as UTF-8: an id or a
reason holding one is a 422 naming the field (a 404 in a path), never a 503 or a 500.
"""

from __future__ import annotations

import json

from support.service import server


def _case(person: str, claim: str) -> dict:
    return {
        "jurisdiction": "testland",
        "patient": {"id": person, "scheme": "resident"},
        "claims": [
            {"id": claim, "kind": "inpatient", "discharged": "2020-03-01", "hospital_level": "tertiary"}
            | {"total": 5000, "in_scope": 5000}
        ],
    }


BAD = [("A\x00B", "C1", "patient.id"), ("P1", "C\x001", "claim.id"), ("P\ud8001", "C1", "patient.id")]


def test_ids_a_database_cannot_store_are_refused(ledger_target):
    with server("--ledger", ledger_target) as running, running.client() as client:
        for person, claim, field in BAD:
            body = json.dumps(_case(person, claim)).encode()  # JSON escapes: \u0000, \ud800
            for path in ("/v1/settle", "/v1/presettle", "/v1/settlements"):
                response = client.post(path, content=body, headers={"Content-Type": "application/json"})
                assert response.status_code == 422, (path, response.text)
                found = response.json()
                assert found["field"] == field
                assert found["reason"] in ("contains the character U+0000", "contains the character U+D800")
        for path in ("/v1/settlements/X%00Y", "/v1/persons/X%00Y/years/2020", "/v1/settlements/%ED%A0%80"):
            assert client.get(path).status_code == 404, path
        assert client.post("/v1/settlements", json=_case("P1", "C1")).status_code == 201
        response = client.post("/v1/settlements/C1/reverse", json={"reason": "bad\x00reason"})
        assert response.status_code == 422
        assert response.json()["field"] == "reason"
        assert client.get("/v1/health").status_code == 200  # the ledger still answers
